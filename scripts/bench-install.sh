#!/usr/bin/env bash
# Benchmarks `wharf venv` + `wharf install` against uv and virtualenv+pip on the same site-like
# wheelhouse of real scientific wheels and the same requirements (numpy, scipy, pandas,
# matplotlib, scikit-learn, h5py, netCDF4 and their 15 dependencies: 7 350 files, ~390 MB
# installed).
#
#   scripts/bench-install.sh            # RUNS=5 timed runs per command (at least 5)
#   RUNS=10 BENCH_DIR=/tmp/b scripts/bench-install.sh
#   SKIP_PIP=1 scripts/bench-install.sh # without virtualenv+pip (a quick wharf/uv comparison)
#   FRESH=1 scripts/bench-install.sh    # --prepare moves old output aside instead of deleting
#   SETTLE=0 scripts/bench-install.sh   # no pause between commands (faster, biased: see below)
#
# Steps: builds wharf (release), the Python peers (scripts/test-env.sh: uv 0.13.10 from
# .cache/peers-current, the current release; UV=PATH for another; virtualenv,
# pip 24.2) and the fixture (scripts/build-sci-wheelhouse.py, cached in .cache/); installs
# hyperfine if missing; then one hyperfine invocation per command of each scenario:
#   1. cold    wharf venv+install, WHARF_CACHE_DIR emptied before each run (wheel cache,
#              interpreter probe cache, catalogue index) | the same with --no-cache (no wheel
#              cache written) | uv venv + uv pip install, UV_CACHE_DIR emptied before each run |
#              virtualenv --no-download + pip install --no-index (pip.conf)
#   2. warm    uv and wharf, each with its cache filled by a warm-up run and kept (only the
#              env is removed before each run)
#   3. venv    wharf venv | uv venv (| virtualenv --no-download, for reference)
#   4. floor   cp -a of a finished site-packages (and cp -al, the hard-link floor)
# and prints a table of medians with the ratios wharf/uv (cold; target <= 0.8; warm) and
# wharf venv/uv venv (target <= 1). Numbers go to BENCHMARKS.md by hand, with the caveats
# printed at the end.
#
# Why one hyperfine per command, with `sync; sleep $SETTLE` (65 s) before each: on an ext4
# WITHOUT a journal (the VMs here) the kernel refuses to reuse an inode deleted less than 60 s
# ago (300 s while its inode table block is dirty) and every new file or directory pays a
# scan over those (fs/ext4/ialloc.c, recently_deleted()). Each run's --prepare deletes the
# previous run's output, so a command's runs slow down with the number of inodes deleted in
# the last minute — by itself, and by whatever command ran just before. One hyperfine over
# several commands therefore favours the first one. Settled, each command starts clean and
# pays only for its own deletions (each tool's cost grows with the square of the number of
# inodes it creates). FRESH=1 removes the effect altogether (nothing is deleted while timing:
# the fresh-disk case of a Slurm job on a new node) at the price of ~2 GB per command.
#
# Every benchmarked process runs with an explicit environment (env -i): PATH, HOME, the site's
# PIP_CONFIG_FILE (the fixture's pip.conf) and PYTHONPATH (its `_manylinux.py` policy), and
# each tool's cache dir inside BENCH_DIR; the machine's PIP_* variables never leak in.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-5}
if [ "$runs" -lt 5 ]; then runs=5; fi
bench=${BENCH_DIR:-$repo/.cache/bench}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }

say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=$repo/target/release/wharf

say "Python peers and fixture"
eval "$(scripts/test-env.sh)"
test_python=$WHARF_TEST_PYTHON
peers_bin=$(dirname "$test_python")
# The current uv (0.13.x): older ones are slower, and benchmarks against them flatter wharf.
uv=${UV:-$WHARF_TEST_CURRENT_PEERS/uv}
virtualenv=$peers_bin/virtualenv
clean_path=/usr/local/bin:/usr/bin:/bin
network_env=()
for variable in PIP_CERT SSL_CERT_FILE REQUESTS_CA_BUNDLE HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy; do
  if [ -n "${!variable:-}" ]; then network_env+=("$variable=${!variable}"); fi
done
env -i PATH="$clean_path" HOME="$HOME" "${network_env[@]}" \
  "$test_python" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$test_python" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
requirements=$fixture/requirements.txt
links=("$fixture/wh/gentoo2023/x86-64-v3" "$fixture/wh/gentoo2023/generic" "$fixture/wh/generic")

if ! command -v hyperfine >/dev/null; then
  say "installing hyperfine"
  apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
fi

mkdir -p "$bench"
rm -rf "$bench"/env-* "$bench"/venv-* "$bench"/uv-cache "$bench"/wharf-cache "$bench"/floor-copy \
  "$bench"/trash "$bench"/*.json
q() { printf '%q' "$1"; }
settle_seconds=${SETTLE:-65}
settle() { # let ext4 forget recently deleted inodes (see the top of this file)
  if [ "$settle_seconds" -gt 0 ]; then
    say "settling ${settle_seconds}s"
    sync
    sleep "$settle_seconds"
  fi
}
# The --prepare command that clears PATHS: deleted, or with FRESH=1 moved to $bench/trash.
clear_cmd() {
  local quoted=""
  for path in "$@"; do quoted+=" $(q "$path")"; done
  if [ "${FRESH:-0}" = 1 ]; then
    echo "mkdir -p $(q "$bench/trash") && t=\$(mktemp -d $(q "$bench/trash")/XXXXXX) && for p in$quoted; do if [ -e \"\$p\" ]; then mv \"\$p\" \"\$t\"/; fi; done"
  else
    echo "rm -rf$quoted"
  fi
}
# The environment of every benchmarked command (hyperfine's shell inherits it).
site_env=(env -i PATH="$clean_path" HOME="$HOME" LANG=C.UTF-8
  PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python"
  UV_CACHE_DIR="$bench/uv-cache" WHARF_CACHE_DIR="$bench/wharf-cache"
  UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 NO_COLOR=1)

# The commands, as shell strings for hyperfine; ENV is the venv each one creates.
uv_links=""
for dir in "${links[@]}"; do uv_links+=" --find-links $(q "$dir")"; done
wharf_venv() { echo "$(q "$wharf") venv $(q "$1") --python $(q "$python")"; }
wharf_install() { echo "$(wharf_venv "$1") && $(q "$wharf") install --python $(q "$1") -r $(q "$requirements")"; }
uv_venv() { echo "$(q "$uv") venv -q $(q "$1") --python $(q "$python")"; }
uv_install() { echo "$(uv_venv "$1") && $(q "$uv") pip install -q --python $(q "$1") --no-index$uv_links -r $(q "$requirements")"; }
pip_venv() { echo "$(q "$virtualenv") -q --no-download $(q "$1") -p $(q "$python")"; }
pip_install() { echo "$(pip_venv "$1") && $(q "$1/bin/pip") install -q --no-index -r $(q "$requirements")"; }
e_wharf=$bench/env-wharf
e_uv=$bench/env-uv
e_pip=$bench/env-pip

say "checking each command once"
wharf_ok=1
if ! "${site_env[@]}" bash -c "$(wharf_install "$e_wharf")" >"$bench/wharf-check.log" 2>&1; then
  wharf_ok=0
  echo "wharf venv+install FAILED (see $bench/wharf-check.log); benchmarking the peers only:" >&2
  tail -20 "$bench/wharf-check.log" >&2
fi
"${site_env[@]}" bash -c "rm -rf $(q "$bench/uv-cache") && $(uv_install "$e_uv")" >&2
if [ "${SKIP_PIP:-0}" != 1 ]; then "${site_env[@]}" bash -c "$(pip_install "$e_pip")" >&2; fi
installed() {
  "${site_env[@]}" "$1/bin/python" -c 'import importlib.metadata as m
count = len({d.metadata["Name"] for d in m.distributions()})
print(count, "dists, numpy", m.version("numpy"))'
}
summary=$bench/installed.txt
: >"$summary"
if [ "$wharf_ok" = 1 ]; then echo "wharf:          $(installed "$e_wharf")" >>"$summary"; fi
echo "uv:             $(installed "$e_uv")" >>"$summary"
if [ "${SKIP_PIP:-0}" != 1 ]; then echo "virtualenv+pip: $(installed "$e_pip")" >>"$summary"; fi
cat "$summary" >&2
finished=$e_uv
if [ "$wharf_ok" = 1 ]; then finished=$e_wharf; fi
site_packages=$("${site_env[@]}" "$finished/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')

hyperfine_run() { # NAME SETTLE(0|1), then triples of (label, prepare, command)
  local name=$1 settled=$2
  shift 2
  local parts=() index=0
  say "scenario: $name"
  while [ $# -gt 0 ]; do
    if [ "$settled" = 1 ]; then settle; fi
    "${site_env[@]}" hyperfine --runs "$runs" --style basic \
      --export-json "$bench/$name-$index.json" --command-name "$1" --prepare "$2" "$3" >&2
    parts+=("$bench/$name-$index.json")
    rm -rf "$bench/trash"
    index=$((index + 1))
    shift 3
  done
  env -i PATH="$clean_path" "$test_python" -c 'import json, sys
results = [r for part in sys.argv[2:] for r in json.load(open(part))["results"]]
json.dump({"results": results}, open(sys.argv[1], "w"), indent=1)' "$bench/$name.json" "${parts[@]}"
}

cold=()
if [ "$wharf_ok" = 1 ]; then
  cold+=("wharf venv+install" "$(clear_cmd "$e_wharf" "$bench/wharf-cache")" "$(wharf_install "$e_wharf")")
  cold+=("wharf venv+install --no-cache" "$(clear_cmd "$e_wharf" "$bench/wharf-cache")" "$(wharf_install "$e_wharf") --no-cache")
fi
cold+=("uv venv+pip install (cold cache)" "$(clear_cmd "$e_uv" "$bench/uv-cache")" "$(uv_install "$e_uv")")
if [ "${SKIP_PIP:-0}" != 1 ]; then
  cold+=("virtualenv+pip install" "$(clear_cmd "$e_pip")" "$(pip_install "$e_pip")")
fi
hyperfine_run cold 1 "${cold[@]}"

# Warm: fill the caches once, then keep them (only the env is removed before each run).
"${site_env[@]}" bash -c "rm -rf $(q "$e_uv") && $(uv_install "$e_uv")" >&2
warm=("uv venv+pip install (warm cache)" "$(clear_cmd "$e_uv")" "$(uv_install "$e_uv")")
if [ "$wharf_ok" = 1 ]; then
  "${site_env[@]}" bash -c "rm -rf $(q "$e_wharf") && $(wharf_install "$e_wharf")" >/dev/null 2>&1
  warm+=("wharf venv+install (warm)" "$(clear_cmd "$e_wharf")" "$(wharf_install "$e_wharf")")
fi
hyperfine_run warm 1 "${warm[@]}"

venv=()
if [ "$wharf_ok" = 1 ]; then venv+=("wharf venv" "rm -rf $(q "$bench/venv-wharf")" "$(wharf_venv "$bench/venv-wharf")"); fi
venv+=("uv venv" "rm -rf $(q "$bench/venv-uv")" "$(uv_venv "$bench/venv-uv")")
if [ "${SKIP_PIP:-0}" != 1 ]; then
  venv+=("virtualenv --no-download" "rm -rf $(q "$bench/venv-pip")" "$(pip_venv "$bench/venv-pip")")
fi
hyperfine_run venv 0 "${venv[@]}"

copy=$bench/floor-copy
hyperfine_run floor 1 \
  "cp -a site-packages" "$(clear_cmd "$copy")" "cp -a $(q "$site_packages") $(q "$copy")" \
  "cp -al site-packages (hard links)" "$(clear_cmd "$copy")" "cp -al $(q "$site_packages") $(q "$copy")"
rm -rf "$copy"

say "results ($runs runs each; median, mean ± stddev, min)"
env -i PATH="$clean_path" HOME="$HOME" "$test_python" - "$bench" <<'EOF'
import json, sys
from pathlib import Path

bench = Path(sys.argv[1])
medians = {}
print(f"| {'scenario':<8} | {'command':<34} | {'median':>9} | {'mean ± stddev':>17} | {'min':>9} | {'user':>7} | {'system':>7} |")
print(f"|{'-' * 10}|{'-' * 36}|{'-' * 11}|{'-' * 19}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
for scenario in ["cold", "warm", "venv", "floor"]:
    path = bench / f"{scenario}.json"
    if not path.is_file():
        continue
    for result in json.loads(path.read_text())["results"]:
        name = result["command"]
        medians[(scenario, name)] = result["median"]
        mean = f"{result['mean']:.3f} ± {result['stddev'] or 0:.3f} s"
        cpu = f"{result['user']:>5.2f} s | {result['system']:>5.2f} s"
        print(f"| {scenario:<8} | {name:<34} | {result['median']:>7.3f} s | {mean:>17} | {result['min']:>7.3f} s | {cpu} |")


def ratio(label, numerator, denominator, target):
    if numerator in medians and denominator in medians:
        value = medians[numerator] / medians[denominator]
        if target is None:
            print(f"{label:<40} {value:6.2f}")
        else:
            verdict = "meets" if value <= target else "MISSES"
            print(f"{label:<40} {value:6.2f}   (target <= {target}: {verdict})")
    else:
        print(f"{label:<40}    n/a   (a command was not benchmarked)")


print()
ratio("wharf / uv, cold (venv + install)", ("cold", "wharf venv+install"), ("cold", "uv venv+pip install (cold cache)"), 0.8)
ratio("wharf --no-cache / uv, cold", ("cold", "wharf venv+install --no-cache"), ("cold", "uv venv+pip install (cold cache)"), None)
ratio("wharf / uv, warm (venv + install)", ("warm", "wharf venv+install (warm)"), ("warm", "uv venv+pip install (warm cache)"), None)
ratio("wharf / virtualenv+pip (venv + install)", ("cold", "wharf venv+install"), ("cold", "virtualenv+pip install"), None)
ratio("wharf venv / uv venv", ("venv", "wharf venv"), ("venv", "uv venv"), 1.0)
ratio("wharf (cold) / cp -a floor", ("cold", "wharf venv+install"), ("floor", "cp -a site-packages"), None)
ratio("wharf (warm) / cp -al floor", ("warm", "wharf venv+install (warm)"), ("floor", "cp -al site-packages (hard links)"), None)
EOF

cat <<EOF

What each tool installed (checked once before timing):
$(sed 's/^/  /' "$summary")
Caveats:
  - uv ignores the site's _manylinux.py (its interpreter probe skips PYTHONPATH), so from the
    same find-links it may pick the manylinux numpy 2.0.2 where wharf and pip install the
    site's 1.26.4+computecanada: see the numpy versions above.
  - pip byte-compiles (.pyc) by default; wharf and uv do not unless asked (--compile).
  - Both warm runs link every file from the tool's cache (wharf: WHARF_CACHE_DIR/wheels-v2).
  - Each run's --prepare $(if [ "${FRESH:-0}" = 1 ]; then echo "moved the previous run's output aside (FRESH=1: nothing deleted while timing)"; else echo "deleted the previous run's env (and, cold, cache) just before it"; fi);
    on an ext4 without a journal every new inode then pays a scan over the inodes deleted in
    the last minute, so times grow with the square of the inodes a tool creates. Commands
    were settled ${settle_seconds}s apart (sync + sleep) so none pays for another's deletions.
  - Wheels, venvs and caches are on one filesystem ($bench), with the page cache warm;
    2 cores shared with other work: compare ratios from one run, not across machines.
EOF
