#!/usr/bin/env bash
# Benchmarks `wharf install .` of a pure-Python project (flit_core backend, one dependency)
# against `pip install --no-index .` and `uv pip install .`, side by side in one hyperfine
# run, warm: each tool's caches filled by a warm-up run and kept; each run installs into a
# fresh venv (made in --prepare, not timed). All three build offline from the same pinned
# backends wheelhouse (scripts/fetch-build-backends.py, .cache/build-backends).
#
#   scripts/bench-build.sh             # RUNS=10
#
# Caveats: pip has no cache of wheels built from local directories, so it rebuilds every
# run (its isolated build env is installed from the wheelhouse each time); uv and wharf reuse
# the wheel built from the unchanged tree. The machine has 2 cores shared with other jobs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$repo/scripts/test-env.sh")"
py=$WHARF_TEST_PYTHON
bin=$(dirname "$py")
base=$("$py" -c 'import sys; print(sys._base_executable)')
runs=${RUNS:-10}
cargo build --release --quiet -p wharf-cli
wharf=${CARGO_TARGET_DIR:-$repo/target}/release/wharf
"$py" "$repo/scripts/fetch-build-backends.py" "$repo/.cache/build-backends"
links=$repo/.cache/build-backends
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir/proj/bench_demo"
cat > "$dir/proj/pyproject.toml" <<'TOML'
[build-system]
requires = ["flit_core>=3.4,<4"]
build-backend = "flit_core.buildapi"

[project]
name = "bench_demo"
version = "0.1"
description = "benchmark project"
dependencies = ["packaging"]
TOML
echo 'VALUE = 1' > "$dir/proj/bench_demo/__init__.py"
clean="env -i PATH=$PATH HOME=$dir/home"
export WHARF=$wharf
cd "$dir/proj"
hyperfine --runs "$runs" --warmup 1 --export-markdown "$dir/bench-build.md" \
  --prepare "rm -rf $dir/env && $py -m venv --without-pip $dir/env" \
  -n "wharf install ." "$clean WHARF_CACHE_DIR=$dir/wharf-cache $wharf install -q --python $dir/env -f $links ." \
  -n "pip install --no-index ." "$clean $bin/python -m pip --python $dir/env/bin/python install -q --no-index -f $links ." \
  -n "uv pip install ." "$clean UV_CACHE_DIR=$dir/uv-cache $bin/uv pip install -q --python $dir/env/bin/python --offline --no-index -f $links ."
cat "$dir/bench-build.md"
