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

run validate -f examples/
run check --level baseline -f examples/
run check --level restricted -f examples/security-context.yaml
for f in examples/security-context*.yaml; do
    run explain -f "$f"
done
exit 0
