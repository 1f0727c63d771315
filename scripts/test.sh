#!/usr/bin/env bash
# Runs every test of wharf: sets up the pinned Python peers the tests compare against
# (scripts/test-env.sh, cached in .cache/), then cargo fmt --check, clippy, and the tests.
# Tests that need the network (PyPI downloads, cached in .cache/) or a real CPython run here.
set -euo pipefail
cd "$(dirname "$0")/.."
# The two-node Slurm cluster of the job tests; where Slurm cannot be installed (not root) the
# job tests say so and fail (WHARF_TEST_REQUIRE_PEERS: a test that cannot run never passes).
scripts/slurm-cluster.sh start || echo "test.sh: no test Slurm cluster (exit $?): the job tests will fail" >&2
# Headless Chromium for the page test of `wharf serve` (crates/wharf-cli/tests/serve_e2e.rs).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; } ||
    echo "test.sh: chromium could not be installed: the page test will fail" >&2
fi
# Assigned first: a failed setup stops here (`eval "$(…)"` alone would hide its exit status and
# leave the tests to skip without the peers).
test_env=$(scripts/test-env.sh)
eval "$test_env"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The tests no CI machine can run (`#[ignore]`, with the reason: a CPython other than 3.11),
# run here when this machine has one (python3.12 on PATH or a pyenv 3.12).
# The first candidate that runs (a pyenv shim for a version not selected does not).
python312=
for candidate in ${WHARF_TEST_PYTHON_312:-} $(command -v python3.12 || true) \
  $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 2>/dev/null || true); do
  if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then
    python312=$candidate
    break
  fi
done
if [ -n "$python312" ]; then
  echo "test.sh: $python312 is here: running the ignored tests that need a second CPython" >&2
  WHARF_TEST_PYTHON_312=$python312 cargo test --workspace --locked -- --ignored
else
  echo "test.sh: no CPython 3.12 here: the tests that need a second CPython stay ignored (see the reasons above)" >&2
fi
