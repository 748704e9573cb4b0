#!/usr/bin/env bash
# Refreshes third_party/proto from the registry packages named in its README.
# Run rarely (after a version bump); the result is committed and reviewed as a diff.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=$ROOT/third_party/proto
SITE=$("$ROOT/.venv/bin/python" -c 'import google.api, pathlib; print(pathlib.Path(google.api.__file__).parent.parent)')
for f in annotations http field_behavior httpbody resource; do cp "$SITE/api/$f.proto" "$DEST/google/api/"; done
for f in status error_details code; do cp "$SITE/rpc/$f.proto" "$DEST/google/rpc/"; done
PV_VERSION=1.3.0
mvn -q dependency:get -Dartifact="build.buf:protovalidate:$PV_VERSION" -Dtransitive=false
(cd "$DEST" && unzip -o -q "$HOME/.m2/repository/build/buf/protovalidate/$PV_VERSION/protovalidate-$PV_VERSION.jar" buf/validate/validate.proto)
echo "vendored protos refreshed under $DEST"
