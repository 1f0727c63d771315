#!/usr/bin/env bash
# What pip's hash-checking mode costs in wharf (issue 19): `wharf install -r` of the
# scientific set (18 wheels) from a hashed requirements file (`name==version --hash=sha256:…`,
# as `wharf lock --format requirements.txt` and `pip-compile --generate-hashes` write it)
# against the same pins without hashes, side by side in one hyperfine run per scenario:
# cold (the wheel cache and the digest cache emptied before each run) and warm. Prints the
# medians and the ratio hashed/unhashed. The installer reads every wheel once and takes its
# sha256 on the way (the cache is keyed by it), so checking the hashes should cost no read.
#
#   scripts/bench-hashes.sh                 # RUNS=10, BENCH_DIR on a tmpfs (/dev/shm)
#   BENCH_DIR=/var/tmp/x scripts/bench-hashes.sh   # on the disk
#
# Every command runs with an explicit environment (env -i): PATH, HOME, the fixture's
# PIP_CONFIG_FILE and PYTHONPATH, WHARF_CACHE_DIR.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-10}
dir=${BENCH_DIR:-/dev/shm/wharf-bench-hashes}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }
say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=$repo/target/release/wharf
test_env=$(scripts/test-env.sh)
eval "$test_env"
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
command -v hyperfine >/dev/null || apt-get install -y hyperfine >&2
q() { printf '%q' "$1"; }
rm -rf "$dir" && mkdir -p "$dir"
site="env -i PATH=$clean_path HOME=$(q "$HOME") LANG=C.UTF-8 NO_COLOR=1 PIP_CONFIG_FILE=$(q "$fixture/pip.conf") PYTHONPATH=$(q "$fixture/site-python") WHARF_CACHE_DIR=$(q "$dir/cache")"
# The same pins, with and without their hashes.
$site "$wharf" lock -r "$fixture/requirements.txt" --python "$python" --format requirements.txt -o "$dir/hashed.txt" >/dev/null 2>&1
grep -v -- '--hash' "$dir/hashed.txt" | sed 's/ *\\$//' >"$dir/unhashed.txt"
say "$(grep -c -- '--hash' "$dir/hashed.txt") hashed pins, $(grep -c '==' "$dir/unhashed.txt") unhashed"
install() { echo "$site $(q "$wharf") install -q --python $(q "$dir/env-$1") -r $(q "$dir/$1.txt")"; }
fresh() { echo "bash -c 'rm -rf $(q "$dir/env-$1") $2 && $site $(q "$wharf") venv -q $(q "$dir/env-$1") --python $(q "$python")'"; }
say "cold (caches emptied before each run)"
hyperfine -N --runs "$runs" --export-json "$dir/cold.json" \
  --prepare "$(fresh hashed "$(q "$dir/cache")")" -n hashed "$(install hashed)" \
  --prepare "$(fresh unhashed "$(q "$dir/cache")")" -n unhashed "$(install unhashed)" >&2
say "warm (caches filled)"
$site "$wharf" venv -q "$dir/warm" --python "$python" && $site "$wharf" install -q --python "$dir/warm" -r "$dir/hashed.txt"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$dir/warm.json" \
  --prepare "$(fresh hashed "")" -n hashed "$(install hashed)" \
  --prepare "$(fresh unhashed "")" -n unhashed "$(install unhashed)" >&2
for scenario in cold warm; do
  python3 - "$dir/$scenario.json" "$scenario" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
hashed, unhashed = results["hashed"]["median"], results["unhashed"]["median"]
print(f"{sys.argv[2]:5}  hashed {hashed:.3f} s  unhashed {unhashed:.3f} s  ratio {hashed / unhashed:.2f}")
PY
done
