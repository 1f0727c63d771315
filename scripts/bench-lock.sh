#!/usr/bin/env bash
# Benchmarks `wharf lock` against `uv pip compile` (uv 0.13.10) on two requirement sets, each
# resolved offline from one wheel directory by both tools, with the same CPython 3.11:
#   sci    the site-like wheelhouse of scripts/build-sci-wheelhouse.py (numpy, scipy, pandas,
#          matplotlib, scikit-learn, h5py, netCDF4; pip.conf find-links and constraints, the
#          site's `_manylinux.py` on PYTHONPATH), as scripts/bench-jobs.sh locks it;
#   large  `jupyterlab dask[complete] xarray[complete]`, whose wheels are fetched once from PyPI
#          (`pip download --only-binary :all:` for CPython 3.11, x86_64 manylinux) into
#          .cache/bench-lock/large-wheels; then no index, no config: `-f DIR` only.
# For each set: a check run (both tools' name==version sets compared, a diff printed when they
# differ), then hyperfine cold (each tool's cache emptied by --prepare before every run) and
# warm (the cache filled by a warm-up run and kept), and the medians with the ratios wharf/uv.
#
#   scripts/bench-lock.sh               # RUNS=10 timed runs per command (at least 5)
#   RUNS=20 BENCH_DIR=/tmp/b scripts/bench-lock.sh
#
# Every benchmarked process runs with an explicit environment (env -i): the machine's PIP_*,
# UV_* and PYTHONPATH never leak in.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-10}
if [ "$runs" -lt 5 ]; then runs=5; fi
bench=${BENCH_DIR:-$repo/.cache/bench-lock/run}
fixture=$repo/.cache/sci-wheelhouse
large_wheels=$repo/.cache/bench-lock/large-wheels
large_requirements=(jupyterlab 'dask[complete]' 'xarray[complete]')
say() { printf '\n== %s\n' "$*" >&2; }
q() { printf '%q' "$1"; }

say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=$repo/target/release/wharf

say "Python peers and the sci fixture"
eval "$(scripts/test-env.sh)"
test_python=$WHARF_TEST_PYTHON
uv=${UV:-$WHARF_TEST_CURRENT_PEERS/uv}
clean_path=/usr/local/bin:/usr/bin:/bin
network_env=()
for variable in PIP_CERT SSL_CERT_FILE REQUESTS_CA_BUNDLE HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy; do
  if [ -n "${!variable:-}" ]; then network_env+=("$variable=${!variable}"); fi
done
env -i PATH="$clean_path" HOME="$HOME" "${network_env[@]}" \
  "$test_python" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$test_python" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
python_version=$(env -i PATH="$clean_path" "$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
if [ "$python_version" != 3.11 ]; then
  echo "the large set's wheels are fetched for CPython 3.11; $python is $python_version" >&2
  exit 2
fi

if [ ! -f "$large_wheels/.complete" ]; then
  say "fetching the large set's wheels from PyPI (once) into $large_wheels"
  mkdir -p "$large_wheels"
  env -i PATH="$clean_path" HOME="$HOME" "${network_env[@]}" \
    "$WHARF_TEST_CURRENT_PEERS/python" -m pip download --disable-pip-version-check -q \
    --only-binary :all: --python-version 3.11 --implementation cp --abi cp311 --abi abi3 --abi none \
    --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux_2_5_x86_64 \
    --platform manylinux1_x86_64 --platform linux_x86_64 --platform any \
    -d "$large_wheels" "${large_requirements[@]}" >&2
  touch "$large_wheels/.complete"
fi

if ! command -v hyperfine >/dev/null; then
  say "installing hyperfine"
  apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
fi

mkdir -p "$bench"
rm -rf "$bench"/*.json "$bench"/*.txt "$bench"/*.pins "$bench"/*-cache
base_env=(env -i PATH="$clean_path" HOME="$HOME" LANG=C.UTF-8
  UV_CACHE_DIR="$bench/uv-cache" WHARF_CACHE_DIR="$bench/wharf-cache"
  UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 NO_COLOR=1)
# sci: the site's pip.conf (find-links, constraints) and `_manylinux.py`, as bench-jobs.sh.
sci_env=("${base_env[@]}" PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python")
sci_links=""
for dir in "$fixture/wh/gentoo2023/x86-64-v3" "$fixture/wh/gentoo2023/generic" "$fixture/wh/generic"; do
  sci_links+=" --find-links $(q "$dir")"
done
# large: nothing but the directory.
large_env=("${base_env[@]}" PIP_CONFIG_FILE=/dev/null UV_NO_CONFIG=1)
large_args=""
for requirement in "${large_requirements[@]}"; do large_args+=" $(q "$requirement")"; done

# The commands (shell strings for hyperfine), writing requirements.txt-style name==version.
w_sci="$(q "$wharf") lock -q -r $(q "$fixture/requirements.txt") --python $(q "$python") --format requirements.txt -o $(q "$bench/sci.wharf.txt")"
u_sci="$(q "$uv") pip compile -q --generate-hashes --no-header --no-annotate --no-index$sci_links -c $(q "$fixture/constraints.txt") --python $(q "$python") $(q "$fixture/requirements.txt") -o $(q "$bench/sci.uv.txt")"
w_large="$(q "$wharf") lock -q --python $(q "$python") -f $(q "$large_wheels") --format requirements.txt -o $(q "$bench/large.wharf.txt")$large_args"
printf '%s\n' "${large_requirements[@]}" >"$bench/large.in"
u_large="$(q "$uv") pip compile -q --generate-hashes --no-header --no-annotate --no-index --find-links $(q "$large_wheels") --python $(q "$python") -o $(q "$bench/large.uv.txt") $(q "$bench/large.in")"

pins() { # FILE: sorted name==version, names normalized, hashes and comments dropped
  sed -e 's/[[:space:]]*\\$//' -e 's/ --hash=.*//' -e 's/[[:space:]]*#.*//' "$1" |
    grep '==' | awk -F'==' '{ name = tolower($1); gsub(/[-_.]+/, "-", name); print name "==" $2 }' | sort -u
}
declare -A wharf_ok
resolved=$bench/resolved.txt
: >"$resolved"
check() { # SET ENV-ARRAY-NAME WHARF-CMD UV-CMD
  local set=$1 env_name=$2[@] w=$3 u=$4
  say "checking $set once"
  wharf_ok[$set]=1
  if ! "${!env_name}" bash -c "$w" >"$bench/$set.wharf.log" 2>&1; then
    wharf_ok[$set]=0
    echo "wharf lock FAILED on the $set set:" | tee -a "$resolved" >&2
    sed 's/^/    /' "$bench/$set.wharf.log" | tail -30 | tee -a "$resolved" >&2
  fi
  "${!env_name}" bash -c "$u" >&2
  pins "$bench/$set.uv.txt" >"$bench/$set.uv.pins"
  echo "$set: uv pip compile resolved $(wc -l <"$bench/$set.uv.pins") packages" >>"$resolved"
  if [ "${wharf_ok[$set]}" = 1 ]; then
    pins "$bench/$set.wharf.txt" >"$bench/$set.wharf.pins"
    echo "$set: wharf lock resolved $(wc -l <"$bench/$set.wharf.pins") packages" >>"$resolved"
    if cmp -s "$bench/$set.wharf.pins" "$bench/$set.uv.pins"; then
      echo "$set: the same name==version set" >>"$resolved"
    else
      echo "$set: the sets differ (- wharf, + uv):" >>"$resolved"
      diff "$bench/$set.wharf.pins" "$bench/$set.uv.pins" | grep '^[<>]' |
        sed -e 's/^</    -/' -e 's/^>/    +/' >>"$resolved" || true
    fi
  fi
}
check sci sci_env "$w_sci" "$u_sci"
check large large_env "$w_large" "$u_large"
cat "$resolved" >&2

hyperfine_run() { # NAME ENV-ARRAY-NAME PREPARE-WHARF PREPARE-UV WHARF-CMD UV-CMD [WHARF-OK]
  local name=$1 env_name=$2[@]
  local args=(--runs "$runs" --style basic --export-json "$bench/$name.json")
  if [ "${7:-1}" = 1 ]; then args+=(--prepare "$3" -n "wharf lock" "$5"); fi
  args+=(--prepare "$4" -n "uv pip compile" "$6")
  say "scenario: $name"
  "${!env_name}" hyperfine "${args[@]}" >&2
}
empty_wharf="rm -rf $(q "$bench/wharf-cache")"
empty_uv="rm -rf $(q "$bench/uv-cache")"
for set in sci large; do
  env_name=${set}_env w_name=w_$set u_name=u_$set
  hyperfine_run "$set-cold" "$env_name" "$empty_wharf" "$empty_uv" "${!w_name}" "${!u_name}" "${wharf_ok[$set]}"
  # Warm: one run fills each cache, then it is kept.
  env_array=$env_name[@]
  "${!env_array}" bash -c "${!u_name}" >/dev/null 2>&1
  if [ "${wharf_ok[$set]}" = 1 ]; then "${!env_array}" bash -c "${!w_name}" >/dev/null 2>&1; fi
  hyperfine_run "$set-warm" "$env_name" true true "${!w_name}" "${!u_name}" "${wharf_ok[$set]}"
done

say "results ($runs runs each; median, mean ± stddev, min)"
env -i PATH="$clean_path" "$test_python" - "$bench" <<'EOF'
import json, sys
from pathlib import Path

bench = Path(sys.argv[1])
medians = {}
print(f"| {'scenario':<10} | {'command':<15} | {'median':>9} | {'mean ± stddev':>17} | {'min':>9} |")
print(f"|{'-' * 12}|{'-' * 17}|{'-' * 11}|{'-' * 19}|{'-' * 11}|")
for scenario in ["sci-cold", "sci-warm", "large-cold", "large-warm"]:
    path = bench / f"{scenario}.json"
    if not path.is_file():
        continue
    for result in json.loads(path.read_text())["results"]:
        name = result["command"]
        medians[(scenario, name)] = result["median"]
        mean = f"{result['mean']:.3f} ± {result['stddev'] or 0:.3f} s"
        print(f"| {scenario:<10} | {name:<15} | {result['median']:>7.3f} s | {mean:>17} | {result['min']:>7.3f} s |")
print()
for scenario in ["sci-cold", "sci-warm", "large-cold", "large-warm"]:
    w, u = medians.get((scenario, "wharf lock")), medians.get((scenario, "uv pip compile"))
    text = f"{w / u:6.2f}" if w and u else "   n/a   (wharf failed)"
    print(f"wharf lock / uv pip compile, {scenario:<10} {text}")
EOF
printf '\nWhat each tool resolved (the check run):\n' >&2
sed 's/^/  /' "$resolved" >&2
cat >&2 <<EOF
Caveats:
  - sci: uv ignores the site's _manylinux.py (its interpreter probe skips PYTHONPATH), so it may
    lock the manylinux numpy where wharf locks the site's +computecanada build (see the diff).
  - Both write sha256 hashes (wharf always; uv with --generate-hashes), so both read every
    chosen wheel once when cold (wharf keeps digests in WHARF_CACHE_DIR, uv in UV_CACHE_DIR).
  - load: $(uptime)
EOF
