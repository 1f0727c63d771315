#!/usr/bin/env bash
# The cost of checking the wheel cache (issue 17): a warm `wharf install` and a warm
# `wharf venv ENV --from pylock.toml` of the scientific set (18 wheels, ~7 300 files), this
# wharf against an earlier one (BASE_REV, default f04bffd: entries keyed by path, size and
# mtime, files trusted), side by side in one hyperfine run per scenario, each with its own
# filled wheel cache. Prints the medians and the ratio this/base.
#
#   scripts/bench-cache.sh                     # RUNS=10, on a tmpfs (root) and on BENCH_DIR
#   BASE_WHARF=/path/to/old/wharf scripts/bench-cache.sh
#   TMPFS=0 scripts/bench-cache.sh             # the disk only
#
# The base is built once from BASE_REV in .cache/bench-base/ (a detached worktree and its own
# target directory, never committed). Every command runs with an explicit environment
# (env -i): PATH, HOME, the fixture's PIP_CONFIG_FILE and PYTHONPATH, WHARF_CACHE_DIR.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-10}
base_rev=${BASE_REV:-f04bffd}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }

say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=$repo/target/release/wharf
base=${BASE_WHARF:-}
if [ -z "$base" ]; then
  say "building the base wharf ($base_rev)"
  src=$repo/.cache/bench-base/src
  if [ ! -d "$src" ]; then git worktree add --detach "$src" "$base_rev" >&2; fi
  (cd "$src" && git checkout -q --detach "$base_rev" &&
    CARGO_TARGET_DIR="$repo/.cache/bench-base/target" cargo build --release -p wharf-cli >&2)
  base=$repo/.cache/bench-base/target/release/wharf
fi
eval "$(scripts/test-env.sh)"
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
requirements=$fixture/requirements.txt
command -v hyperfine >/dev/null || apt-get install -y hyperfine >&2
q() { printf '%q' "$1"; }

# One scenario set in directory $1 (named $2): prints "name median-this median-base ratio".
measure() {
  local dir=$1 label=$2
  rm -rf "$dir" && mkdir -p "$dir"
  local lock=$dir/pylock.toml
  for who in this base; do
    local bin=$wharf
    if [ "$who" = base ]; then bin=$base; fi
    local site=(env -i PATH="$clean_path" HOME="$HOME" LANG=C.UTF-8 NO_COLOR=1
      PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python"
      WHARF_CACHE_DIR="$dir/cache-$who")
    # Fill the cache (and the digest cache) once.
    "${site[@]}" "$bin" venv "$dir/warmup-$who" --python "$python" >/dev/null 2>&1
    "${site[@]}" "$bin" install --python "$dir/warmup-$who" -r "$requirements" >/dev/null 2>&1
    if [ "$who" = this ]; then
      "${site[@]}" "$bin" lock -r "$requirements" --python "$python" -o "$lock" >/dev/null 2>&1
    fi
    printf -v "site_$who" '%s ' "${site[@]/#/}"
  done
  local s_this s_base
  s_this="env -i PATH=$clean_path HOME=$(q "$HOME") LANG=C.UTF-8 NO_COLOR=1 PIP_CONFIG_FILE=$(q "$fixture/pip.conf") PYTHONPATH=$(q "$fixture/site-python") WHARF_CACHE_DIR=$(q "$dir/cache-this")"
  s_base="env -i PATH=$clean_path HOME=$(q "$HOME") LANG=C.UTF-8 NO_COLOR=1 PIP_CONFIG_FILE=$(q "$fixture/pip.conf") PYTHONPATH=$(q "$fixture/site-python") WHARF_CACHE_DIR=$(q "$dir/cache-base")"
  say "$label: warm install"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$dir/install.json" \
    --prepare "bash -c 'rm -rf $(q "$dir/e-this") && $s_this $(q "$wharf") venv $(q "$dir/e-this") --python $(q "$python") >/dev/null 2>&1'" \
    -n this "$s_this $(q "$wharf") install -q --python $(q "$dir/e-this") -r $(q "$requirements")" \
    --prepare "bash -c 'rm -rf $(q "$dir/e-base") && $s_base $(q "$base") venv $(q "$dir/e-base") --python $(q "$python") >/dev/null 2>&1'" \
    -n base "$s_base $(q "$base") install -q --python $(q "$dir/e-base") -r $(q "$requirements")" >&2
  say "$label: venv --from pylock.toml (warm cache)"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$dir/venv-from.json" \
    --prepare "rm -rf $(q "$dir/v-this")" \
    -n this "$s_this $(q "$wharf") venv -q $(q "$dir/v-this") --python $(q "$python") --from $(q "$lock")" \
    --prepare "rm -rf $(q "$dir/v-base")" \
    -n base "$s_base $(q "$base") venv -q $(q "$dir/v-base") --python $(q "$python") --from $(q "$lock")" >&2
  for scenario in install venv-from; do
    python3 - "$dir/$scenario.json" "$label" "$scenario" <<'EOF'
import json, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
print(f"{sys.argv[2]:6} {sys.argv[3]:10} this {results['this']*1000:8.1f} ms  base {results['base']*1000:8.1f} ms  ratio {results['this']/results['base']:.3f}")
EOF
  done
}

out=()
if [ "${TMPFS:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  t=$(mktemp -d)
  if mount -t tmpfs -o size=6g tmpfs "$t"; then
    out+=("$(measure "$t/b" tmpfs)")
    umount "$t"
  fi
  rmdir "$t" || true
fi
out+=("$(measure "${BENCH_DIR:-$repo/.cache/bench-cache}" disk)")
say "medians (this = $(git rev-parse --short HEAD), base = $base_rev)"
printf '%s\n' "${out[@]}"
