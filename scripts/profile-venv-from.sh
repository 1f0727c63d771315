#!/usr/bin/env bash
# Where `wharf venv DIR --from pylock.toml` spends its time (issue 21): one cold run (empty
# wheel cache and digest cache) of the scientific set's lock on a tmpfs under `perf record`,
# the samples grouped by what they do: inflate (libdeflate, zlib-rs for members over 256 MiB), sha256 (the wheels' against the lock
# and every file's against RECORD), the kernel creating and writing files, copies, the
# interpreter's own run (probe, bytecode), the rest. Prints one line per group with its share.
#
#   scripts/profile-venv-from.sh            # BENCH_DIR=/dev/shm/wharf-profile, RUNS=3 (summed)
#
# Needs `perf` (Debian: linux-perf). Commands run with an explicit environment (env -i).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
dir=${BENCH_DIR:-/dev/shm/wharf-profile}
runs=${RUNS:-3}
fixture=$repo/.cache/sci-wheelhouse
command -v perf >/dev/null || apt-get install -y linux-perf >&2
cargo build --release -p wharf-cli >&2
wharf=$repo/target/release/wharf
test_env=$(scripts/test-env.sh)
eval "$test_env"
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
rm -rf "$dir" && mkdir -p "$dir"
site=(env -i PATH="$clean_path" HOME="$HOME" LANG=C.UTF-8 NO_COLOR=1
  PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python" WHARF_CACHE_DIR="$dir/cache")
"${site[@]}" "$wharf" lock -r "$fixture/requirements.txt" --python "$python" -o "$dir/pylock.toml" >/dev/null 2>&1
for run in $(seq "$runs"); do
  rm -rf "$dir/cache" "$dir/env"
  perf record -q -F 4000 -g -o "$dir/perf-$run.data" -- \
    "${site[@]}" "$wharf" venv -q "$dir/env" --python "$python" --from "$dir/pylock.toml" >&2
done
for run in $(seq "$runs"); do
  perf report -i "$dir/perf-$run.data" --no-children --sort dso,symbol --stdio 2>/dev/null
done | python3 -c '
import re, sys
groups = {"inflate (libdeflate; zlib-rs streams big members)": 0.0, "sha256 (wheels and RECORD)": 0.0, "kernel: files and pages": 0.0,
          "copies (memmove/memset)": 0.0, "interpreter (python: probe, bytecode)": 0.0, "crc32": 0.0, "other": 0.0}
total = 0.0
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    share, dso, kind, symbol = float(m.group(1)), m.group(2), m.group(3), m.group(4)
    total += share
    if "crc32" in symbol:
        groups["crc32"] += share
    elif "inflate" in symbol or "zlib_rs" in symbol or "deflate" in symbol:
        groups["inflate (libdeflate; zlib-rs streams big members)"] += share
    elif "sha2" in symbol or "sha256" in symbol:
        groups["sha256 (wheels and RECORD)"] += share
    elif kind == "k":
        groups["kernel: files and pages"] += share
    elif "memmove" in symbol or "memset" in symbol or "memcpy" in symbol:
        groups["copies (memmove/memset)"] += share
    elif "python" in dso:
        groups["interpreter (python: probe, bytecode)"] += share
    else:
        groups["other"] += share
for name, share in sorted(groups.items(), key=lambda kv: -kv[1]):
    print(f"{name:40} {100 * share / total:5.1f}%")
'
