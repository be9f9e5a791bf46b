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
# The page's walkthroughs with the real kubectl against a real node: seclet server
# (API server + kubelet + runc/conmon), pulling the page's images from a local
# docker-registry on loopback that holds stand-ins built from busybox-static.
work=$(mktemp -d)
cleanup() {
    if [ -n "${server_pid:-}" ]; then
        .venv/bin/kubectl --kubeconfig "$work/kubeconfig" delete pods --all -A \
            --grace-period=1 >/dev/null 2>&1
        kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
    fi
    [ -n "${registry_pid:-}" ] && { kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; }
    rm -rf "$work"
}
trap cleanup EXIT
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
EOF
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
    .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/')" \
        2>/dev/null && break
    sleep 0.1
done
echo
echo "# a local registry on 127.0.0.1:$port with the page's images (stand-ins):"
.venv/bin/python tools/build_test_images.py --registry "127.0.0.1:$port" || exit 1
mirror="http://127.0.0.1:$port"
.venv/bin/seclet server --data-dir "$work/data" --port 0 --kubeconfig "$work/kubeconfig" \
    --registry-mirror "docker.io=$mirror" --registry-mirror "gcr.io=$mirror" \
    --registry-mirror "registry.k8s.io=$mirror" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do
    grep -q "serving" "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
echo
grep "serving" "$work/server.log"
# The kubelet registers the Node just after the API serves; on a fresh machine's first
# (cold) start `kubectl get nodes` came before it and printed "No resources found".
for _ in $(seq 100); do
    [ -n "$(.venv/bin/kubectl --kubeconfig "$work/kubeconfig" get nodes -o name 2>/dev/null)" ] \
        && break
    sleep 0.1
done
.venv/bin/kubectl --kubeconfig "$work/kubeconfig" wait --for=condition=Ready nodes --all \
    --timeout=60s >/dev/null
kube() {
    echo
    echo "\$ kubectl $*"
    .venv/bin/kubectl --kubeconfig "$work/kubeconfig" "$@"
    echo "(exit $?)"
}
running() {
    .venv/bin/kubectl --kubeconfig "$work/kubeconfig" wait --for=condition=Ready \
        --timeout=60s "pod/$1" >/dev/null
}
kube get nodes
kube apply -f examples/security-context.yaml
running security-context-demo
kube get pod security-context-demo
kube exec security-context-demo -- ps
kube exec security-context-demo -- sh -c 'cd /data && ls -l'
kube exec security-context-demo -- sh -c 'cd /data/demo && echo hello > testfile && ls -l'
kube exec security-context-demo -- id
# The page deletes each pod at the end; "sleep 1h" ignores SIGTERM, so a plain delete
# waits the 30 s grace period, as on any node. --now (1 s) to reuse the name sooner.
kube delete pod security-context-demo --now
kube apply -f examples/security-context-5.yaml
running security-context-demo
kube exec security-context-demo -- id
kube delete pod security-context-demo --now
kube apply -f examples/security-context-6.yaml
running security-context-demo
kube exec security-context-demo -- id
kube get pod security-context-demo -o 'jsonpath={.status.containerStatuses[0].user}{"\n"}'
kube get node -o 'jsonpath={.items[0].status.features}{"\n"}'
kube apply -f examples/security-context-2.yaml
running security-context-demo-2
kube exec security-context-demo-2 -- ps aux
kube apply -f examples/security-context-3.yaml
running security-context-demo-3
kube exec security-context-demo-3 -- grep Cap /proc/1/status
kube apply -f examples/security-context-4.yaml
running security-context-demo-4
kube exec security-context-demo-4 -- grep Cap /proc/1/status
kube describe pod security-context-demo-4
# The page's clean-up, as typed there (the grace periods run in parallel).
kube delete pod security-context-demo security-context-demo-2 security-context-demo-3 \
    security-context-demo-4
# Pod Security admission at the API.
kube create namespace strict
kube label namespace strict pod-security.kubernetes.io/enforce=baseline
kube apply -n strict -f examples/security-context-4.yaml
kube label namespace default pod-security.kubernetes.io/warn=restricted
kube apply -f examples/security-context-2.yaml
kube delete pod security-context-demo-2 --now
exit 0
