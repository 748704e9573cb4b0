//go:build tools

// Package apiserver pins the Kubernetes API server that `make check` runs for its server-side dry-run
// of the manifests. k8s.io/kubernetes cannot be `go install`ed (its go.mod has replace directives
// for its staging modules), so this module requires it and replaces each staging module with its
// published version instead; `go build k8s.io/kubernetes/cmd/kube-apiserver` from here builds it.
package apiserver

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
