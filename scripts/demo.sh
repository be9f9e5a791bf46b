#!/usr/bin/env bash
# The main job: install what is needed, then show what kube-apiserver, Pod Security
# and the node say about each of the page's example Pods (examples/).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
seclet=.venv/bin/seclet

run() {
    echo
    echo "\$ seclet $*"
    "$seclet" "$@"
    echo "(exit $?)"
}

img=examples/images
run validate -f examples/
run check --level baseline -f examples/
run check --level restricted -f examples/security-context.yaml
run explain -f examples/security-context.yaml
run explain -f examples/security-context-2.yaml --image-config $img/hello-app-2.0.json
run explain -f examples/security-context-3.yaml --image-config $img/hello-app-2.0.json
run explain -f examples/security-context-4.yaml --image-config $img/hello-app-2.0.json
run explain -f examples/security-context-5.yaml --image-root $img/agnhost-2.45 \
    --image-config $img/agnhost-2.45/config.json
run explain -f examples/security-context-6.yaml --image-root $img/agnhost-2.45 \
    --image-config $img/agnhost-2.45/config.json
exit 0
