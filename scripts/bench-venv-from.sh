#!/usr/bin/env bash
# The job path against uv and against the floor (issue 21), on a tmpfs and on this machine's
# disk in one run: the scientific set of the sci fixture (22 wheels, ~7 300 files, ~330 MB
# installed), locked once, then for each filesystem (FILESYSTEMS, default "tmpfs disk": a tmpfs
# under /dev/shm, and .cache/ on the repository's disk):
#
#   venv --from  wharf venv DIR --from pylock.toml
#                | uv venv DIR + uv pip sync pylock.toml (uv 0.13.x, the current release)
#   install      wharf venv DIR + wharf install -r requirements.txt
#                | uv venv DIR + uv pip install -r requirements.txt (the same find-links)
#   floor        crates/wharf-install/examples/floor.rs on the lock's wheels: every member
#                inflated into memory (libdeflate), and the same files created on the same
#                filesystem from memory, each in parallel
#
# cold: each tool's cache (wheel cache, interpreter probe, uv's cache) is emptied before each
# run by hyperfine's --prepare, with the last run's environment. One hyperfine per pair (the two
# commands of a pair alternate within it only as hyperfine orders them: all runs of the first,
# then of the second); RUNS runs (default 7) after one warm-up. Prints medians, user and system
# seconds, the ratios wharf/uv, and each command's distance to the floor (inflate + create).
#
#   scripts/bench-venv-from.sh
#   RUNS=10 FILESYSTEMS=tmpfs scripts/bench-venv-from.sh
#
# Every command runs with an explicit environment (env -i): PATH, HOME, the site's
# PIP_CONFIG_FILE and PYTHONPATH, the tools' cache directories; the machine's PIP_* never leak in.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-7}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }
q() { printf '%q' "$1"; }

say "building wharf and the floor (release)"
cargo build --release -p wharf-cli >&2
cargo build --release -p wharf-install --example floor >&2
wharf=${CARGO_TARGET_DIR:-$repo/target}/release/wharf
floor=${CARGO_TARGET_DIR:-$repo/target}/release/examples/floor

say "Python peers and fixture"
eval "$(scripts/test-env.sh)"
uv=${UV:-$WHARF_TEST_CURRENT_PEERS/uv}
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
requirements=$fixture/requirements.txt
uv_links=""
for dir in "$fixture/wh/gentoo2023/x86-64-v3" "$fixture/wh/gentoo2023/generic" "$fixture/wh/generic"; do
  uv_links+=" --find-links $(q "$dir")"
done
if ! command -v hyperfine >/dev/null; then
  apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
fi
echo "wharf $("$wharf" --version), $("$uv" --version), $(hyperfine --version), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

results=$repo/.cache/bench-venv-from
rm -rf "$results"
mkdir -p "$results"
lock=$results/pylock.toml
env -i PATH="$clean_path" HOME="$HOME" PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python" \
  WHARF_CACHE_DIR="$results/lock-cache" "$wharf" lock -q -r "$requirements" --python "$python" -o "$lock"
mapfile -t wheels < <("$WHARF_TEST_PYTHON" -c '
import sys, tomllib, pathlib
lock = pathlib.Path(sys.argv[1])
for package in tomllib.loads(lock.read_text())["packages"]:
    for wheel in package.get("wheels", []):
        print((lock.parent / wheel["path"]).resolve())' "$lock")
echo "${#wheels[@]} wheels locked" >&2

for fs in ${FILESYSTEMS:-tmpfs disk}; do
  case $fs in
    tmpfs) dir=$(mktemp -d /dev/shm/wharf-bench-XXXXXX) ;;
    disk) dir=$(mktemp -d "$repo/.cache/bench-venv-from-disk-XXXXXX") ;;
    *) echo "unknown filesystem $fs (tmpfs or disk)" >&2; exit 2 ;;
  esac
  say "$fs: $dir ($(df --output=fstype "$dir" | tail -1))"
  site_env=(env -i PATH="$clean_path" HOME="$HOME" LANG=C.UTF-8
    PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python"
    UV_CACHE_DIR="$dir/uv-cache" WHARF_CACHE_DIR="$dir/wharf-cache"
    UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 NO_COLOR=1)
  env_dir=$dir/env
  clear="rm -rf $(q "$env_dir") $(q "$dir/uv-cache") $(q "$dir/wharf-cache")"
  w_from="$(q "$wharf") venv -q $(q "$env_dir") --from $(q "$lock")"
  u_from="$(q "$uv") venv -q $(q "$env_dir") --python $(q "$python") && VIRTUAL_ENV=$(q "$env_dir") $(q "$uv") pip sync -q --preview $(q "$lock")"
  w_install="$(q "$wharf") venv -q $(q "$env_dir") --python $(q "$python") && $(q "$wharf") install -q --python $(q "$env_dir") -r $(q "$requirements")"
  u_install="$(q "$uv") venv -q $(q "$env_dir") --python $(q "$python") && $(q "$uv") pip install -q --python $(q "$env_dir") --no-index$uv_links -r $(q "$requirements")"
  for pair in from install; do
    if [ $pair = from ]; then w=$w_from; u=$u_from; else w=$w_install; u=$u_install; fi
    "${site_env[@]}" hyperfine --runs "$runs" --warmup 1 --style basic --prepare "$clear" \
      --export-json "$results/$fs-$pair.json" -n "wharf $pair" "$w" -n "uv $pair" "$u" >&2
  done
  rm -rf "$env_dir" "$dir/uv-cache" "$dir/wharf-cache"
  : >"$results/$fs-floor.tsv"
  for _ in 1 2 3 4 5; do
    sync
    "$floor" "$dir/floor" "${wheels[@]}" >>"$results/$fs-floor.tsv"
    rm -rf "$dir/floor"
  done
  rm -rf "$dir"
done

say "results (medians of $runs cold runs; floor: median of 5)"
"$WHARF_TEST_PYTHON" - "$results" ${FILESYSTEMS:-tmpfs disk} <<'EOF'
import json, statistics, sys
from pathlib import Path
results = Path(sys.argv[1])
for fs in sys.argv[2:]:
    rows = [line.split("\t") for line in (results / f"{fs}-floor.tsv").read_text().splitlines() if line]
    inflate = statistics.median(float(r[1]) for r in rows) / 1000
    create = statistics.median(float(r[3]) for r in rows) / 1000
    print(f"\n{fs}: floor: inflate into memory {inflate:.3f} s, create the files from memory {create:.3f} s, sum {inflate + create:.3f} s")
    print("| command | median | user (mean) | sys (mean) |")
    print("| --- | ---: | ---: | ---: |")
    medians = {}
    for pair in ["from", "install"]:
        for r in json.loads((results / f"{fs}-{pair}.json").read_text())["results"]:
            medians[r["command"]] = r["median"]
            print(f"| {r['command']} | {r['median']:.3f} s | {r['user']:.2f} | {r['system']:.2f} |")
    for pair in ["from", "install"]:
        w, u = medians[f"wharf {pair}"], medians[f"uv {pair}"]
        print(f"{fs} {pair}: wharf / uv = {w / u:.2f}; wharf / floor = {w / (inflate + create):.2f}; uv / floor = {u / (inflate + create):.2f}")
EOF
