#!/usr/bin/env bash
# Runs every test of wharf: sets up the pinned Python peers the tests compare against
# (scripts/test-env.sh, cached in .cache/), then cargo fmt --check, clippy, and the tests.
# Tests that need the network (PyPI downloads, cached in .cache/) or a real CPython run here.
set -euo pipefail
cd "$(dirname "$0")/.."
# The two-node Slurm cluster of the job tests; where Slurm cannot be installed (not root) the
# job tests say so and skip.
scripts/slurm-cluster.sh start || echo "test.sh: no test Slurm cluster (exit $?): the job tests skip" >&2
# Assigned first: a failed setup stops here (`eval "$(…)"` alone would hide its exit status and
# leave the tests to skip without the peers).
test_env=$(scripts/test-env.sh)
eval "$test_env"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
