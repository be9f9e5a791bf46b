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
# seclet server with the real kubectl (pods are stored and admitted; running them
# under runc is the next step, issue #3).
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
.venv/bin/seclet server --data-dir "$work/data" --port 0 --kubeconfig "$work/kubeconfig" \
    2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q "serving" "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
kube() {
    echo
    echo "\$ kubectl $*"
    .venv/bin/kubectl --kubeconfig "$work/kubeconfig" "$@"
    echo "(exit $?)"
}
kube apply -f examples/security-context.yaml
kube get pods
kube create namespace strict
kube label namespace strict pod-security.kubernetes.io/enforce=baseline
kube apply -n strict -f examples/security-context-4.yaml
kube label namespace default pod-security.kubernetes.io/warn=restricted
kube apply -f examples/security-context-2.yaml
exit 0
