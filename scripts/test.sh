#!/usr/bin/env bash
# The whole test suite: install what is needed, then ruff, mypy --strict, the layer
# contracts, and pytest. Fails if pytest collects no test (its exit code 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== ruff"
.venv/bin/ruff check src tests tools bench
echo "== mypy --strict"
.venv/bin/mypy
echo "== import layers"
.venv/bin/lint-imports
echo "== pytest"
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing on purpose" >&2
    exit 1
fi
exit "$rc"
