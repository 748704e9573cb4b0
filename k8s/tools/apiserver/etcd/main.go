// Command etcd is etcd's own server (etcdmain), built here at the version the API server's module
// resolves: Debian's etcd 3.4 is too old for kube-apiserver 1.34 (its watch-cache reads need 3.5+).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
