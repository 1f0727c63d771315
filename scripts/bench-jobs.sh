#!/usr/bin/env bash
# Benchmarks the job-start environment on the test Slurm cluster (scripts/slurm-cluster.sh):
# the scientific set of the sci fixture (numpy, scipy, pandas, matplotlib, scikit-learn, h5py,
# netCDF4 and their dependencies: 22 packages, ~7 350 files), locked once, then made in each
# job's node-local $SLURM_TMPDIR, every run a new job (its Epilog removes the directory):
#
#   1. one node (`srun -N1 bash -c …`), the three recipes in turn round by round (RUNS rounds
#      after one not counted; medians and the ratios within each round):
#        wharf venv $SLURM_TMPDIR/env --from pylock.toml
#        the site's recipe: virtualenv --no-download + pip install --no-index -r requirements.txt
#        uv venv + uv pip sync pylock.toml (UV_CACHE_DIR in $SLURM_TMPDIR: a cold cache)
#        srun -N1 true (the job's own cost, in every line above)
#   2. per node (`salloc -N1|-N2 wharf venv --per-node --from pylock.toml`), with
#      --cpus-per-task=1 (each node's wharf on one thread: the two nodes of this one-host
#      cluster then use different cores, as real nodes would) and with the default threads
#      (both nodes on the same 2 cores: contention a real cluster does not have).
#
#   scripts/bench-jobs.sh                # RUNS=5 timed runs per command
#   RUNS=10 SETTLE=65 scripts/bench-jobs.sh
#   KEEP=1 scripts/bench-jobs.sh         # time only what an earlier run has no results for
#   FRESH=0 SETTLE=65 scripts/bench-jobs.sh   # each job's Epilog deletes its scratch at once
#   TMPFS=1 scripts/bench-jobs.sh        # the nodes' scratch on a tmpfs (root), see below
#
#   3. locking (no Slurm): `wharf lock` against `uv pip compile --format pylock.toml` on the same
#      requirements and find-links, each with no cache (cold) and with its cache kept (warm).
#
# FRESH (default 1): each job's Epilog moves its scratch aside instead of deleting it, and the
# script deletes it all at the end: nothing is deleted while timing, as on a fresh node-local
# disk. This VM's ext4 has no journal, and there the kernel will not reuse an inode deleted in
# the last minute but scans past it for every new one: with FRESH=0 each job pays for the ~7 350
# inodes the last job's Epilog deleted (see scripts/bench-install.sh). SETTLE (seconds, default
# 0) pauses before each command, which avoids that at 65 s per command. Every command runs with an explicit environment (env -i):
# PATH, HOME, SLURM_CONF, the site's PIP_CONFIG_FILE and PYTHONPATH; the machine's PIP_* never
# leak in. Prints a table of medians and the ratios; the numbers go to BENCHMARKS.md by hand.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-5}
settle_seconds=${SETTLE:-0}
bench=${BENCH_DIR:-$repo/.cache/bench-jobs}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }
q() { printf '%q' "$1"; }

say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=${CARGO_TARGET_DIR:-$repo/target}/release/wharf

say "cluster, Python peers and fixture"
scripts/slurm-cluster.sh start
slurm_state=$repo/.cache/slurm
# TMPFS=1 (root): the nodes' scratch ($SLURM_TMPDIR) on a tmpfs for this run, as on clusters
# whose node-local scratch is memory; it takes this VM's ext4 (see FRESH) out of the numbers.
# Deleting is cheap there, so each job's Epilog deletes its scratch at once (FRESH=0).
if [ "${TMPFS:-0}" = 1 ]; then
  mount -t tmpfs -o "size=${TMPFS_GB:-12}G" wharf-bench-scratch "$slurm_state/tmp"
  FRESH=0
fi
if [ "${FRESH:-1}" = 1 ]; then
  touch "$slurm_state/keep-scratch"
else
  rm -f "$slurm_state/keep-scratch"
fi
# The scratch moved aside is deleted when the script ends, however it ends.
trap 'rm -f "$slurm_state/keep-scratch"; rm -rf "$slurm_state/trash"; if [ "${TMPFS:-0}" = 1 ]; then umount "$slurm_state/tmp"; fi' EXIT
eval "$(scripts/slurm-cluster.sh env)"
eval "$(scripts/test-env.sh)"
peers_bin=$(dirname "$WHARF_TEST_PYTHON")
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
if ! command -v hyperfine >/dev/null; then
  apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
fi

# KEEP=1 keeps the results of an earlier run and times only the commands without one.
if [ "${KEEP:-0}" != 1 ]; then rm -rf "$bench"; fi
mkdir -p "$bench/bin"
ln -sf "$wharf" "$bench/bin/wharf"
# The current uv (0.13.x, `.cache/peers-current`); virtualenv from the test venv.
ln -sf "${UV:-$WHARF_TEST_CURRENT_PEERS/uv}" "$bench/bin/uv"
ln -sf "$peers_bin/virtualenv" "$bench/bin/virtualenv"
# The job's PATH: wharf and the peers, then the `python/3.11` module (the base CPython).
job_path="$bench/bin:$(dirname "$python"):$clean_path"
site_env=(env -i PATH="$job_path" HOME="$HOME" LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF"
  PIP_CONFIG_FILE="$fixture/pip.conf" PYTHONPATH="$fixture/site-python"
  XDG_CACHE_HOME="$bench/cache" UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1 NO_COLOR=1
  PIP_DISABLE_PIP_VERSION_CHECK=1)
cd "$bench"

say "locking (pylock.toml) and freezing (requirements.txt, the site's pip freeze)"
if [ ! -f pylock.toml ] || [ "${KEEP:-0}" != 1 ]; then
"${site_env[@]}" wharf lock -q -r "$fixture/requirements.txt" --python "$python" -o pylock.toml
"${site_env[@]}" wharf venv -q "$bench/frozen" --from pylock.toml
"${site_env[@]}" wharf freeze --python "$bench/frozen" >requirements.txt
rm -rf "$bench/frozen"
fi
echo "$(grep -c '' requirements.txt) packages" >&2

w_one='wharf venv -q $SLURM_TMPDIR/env --from pylock.toml'
site_recipe='virtualenv -q --no-download $SLURM_TMPDIR/env && source $SLURM_TMPDIR/env/bin/activate && pip install -q --no-index -r requirements.txt'
uv_sync='export UV_CACHE_DIR=$SLURM_TMPDIR/uv-cache && uv venv -q $SLURM_TMPDIR/env --python '"$(q "$python")"' && VIRTUAL_ENV=$SLURM_TMPDIR/env uv pip sync -q --preview pylock.toml'
check='python -c "import numpy, scipy, pandas, matplotlib, sklearn, h5py, netCDF4"'

say "checking each command once (and that the environment imports)"
if [ "${KEEP:-0}" != 1 ]; then
  for cmd in "$w_one" "$site_recipe" "$uv_sync"; do
    "${site_env[@]}" srun -N1 bash -c "$cmd && source \$SLURM_TMPDIR/env/bin/activate && $check" >&2
  done
fi
"${site_env[@]}" salloc -Q -N2 wharf venv --per-node --from pylock.toml >&2

# With FRESH=1 the scratch moved aside fills the disk (each run leaves 0.4–0.8 GB): past
# TRASH_GB (default 6) it is deleted between commands (never while one is timed), followed by
# 65 s for the kernel to stop scanning past the deleted inodes (see FRESH above).
drain_trash() {
  [ -d "$slurm_state/trash" ] || return 0
  local kb
  kb=$(du -sk "$slurm_state/trash" | cut -f1)
  if [ "$kb" -gt $(( ${TRASH_GB:-6} * 1024 * 1024 )) ]; then
    say "deleting $((kb / 1024 / 1024)) GB of old job scratch, then 65 s of quiet"
    rm -rf "$slurm_state/trash"
    sync
    sleep 65
  fi
}

run_one() { # NAME LABEL COMMAND (one warm-up run: a node still completing the last job)
  if [ "${KEEP:-0}" = 1 ] && [ -f "$bench/$1.json" ]; then return; fi
  drain_trash
  if [ "$settle_seconds" -gt 0 ]; then sync; sleep "$settle_seconds"; fi
  # The last run's output (stdout and stderr) is kept in NAME.log: a failed run says why there.
  "${site_env[@]}" hyperfine --runs "$runs" --warmup 1 --style basic --output "$bench/$1.log" --prepare sync \
    --export-json "$bench/$1.json" "--command-name=$2" "$3 2>&1" >&2
}
# Locking needs no job: both tools resolve the requirements against the same three find-links
# directories (uv does not read pip.conf) for the same interpreter.
find_links=()
for dir in $(sed -n 's/^find-links = //p' "$fixture/pip.conf" | head -1); do find_links+=(--find-links "$dir"); done
w_lock="wharf lock -q -r $(q "$fixture/requirements.txt") --python $(q "$python") -o $(q "$bench/w-lock.toml")"
uv_lock="uv pip compile -q --format pylock.toml --no-index ${find_links[*]} --python $(q "$python") $(q "$fixture/requirements.txt") -o $(q "$bench/pylock.uv.toml")"
run_lock() { # NAME PREPARE
  if [ "${KEEP:-0}" = 1 ] && [ -f "$bench/$1.json" ]; then return; fi
  "${site_env[@]}" hyperfine --runs $((runs * 2)) --warmup 2 --style basic --prepare "$2" \
    --export-json "$bench/$1.json" -n "wharf lock" "$w_lock" -n "uv pip compile --format pylock.toml" "$uv_lock" >&2
}
run_lock lock-cold "rm -rf $(q "$bench/cache")"
run_lock lock-warm "true"

run_one job-floor "srun -N1 true" "srun -N1 true"
# The three one-node recipes in turn, round by round (wharf, uv, pip, wharf, uv, pip, …; one
# round not counted first), so that a drift of the machine (other work, memory handed back by
# the VM's balloon) falls on all three alike; each round's ratios are taken within the round.
one_node() { # the file gets one line per round: wharf, uv and pip seconds
  if [ "${KEEP:-0}" = 1 ] && [ -f "$bench/one-node.tsv" ]; then return; fi
  if [ "$settle_seconds" -gt 0 ]; then sync; sleep "$settle_seconds"; fi
  : >"$bench/one-node.tsv"
  for round in $(seq 0 "$runs"); do
    drain_trash
    line=""
    for cmd in "$w_one" "$uv_sync" "$site_recipe"; do
      sync # the last command's dirty pages are written back now, not while this one runs
      start=$(date +%s%N)
      "${site_env[@]}" srun -N1 bash -c "$cmd" >/dev/null
      line+="$(( ($(date +%s%N) - start) / 1000000 ))	"
    done
    echo "round $round (ms: wharf, uv, pip): $line" >&2
    if [ "$round" -gt 0 ]; then echo "$line" >>"$bench/one-node.tsv"; fi
  done
}
one_node
run_one alloc-floor "salloc -N2 true" "salloc -Q -N2 true"
for cpus in 1 default; do
  option=""
  if [ "$cpus" = 1 ]; then option="--cpus-per-task=1"; fi
  for nodes in 1 2; do
    run_one "per-node-$nodes-$cpus" "--per-node, $nodes node(s), cpus-per-task=$cpus" \
      "salloc -Q -N$nodes $option wharf venv -q --per-node --from pylock.toml"
  done
done

say "results ($runs runs each; median, mean ± stddev, min, max)"
env -i PATH="$clean_path" "$WHARF_TEST_PYTHON" - "$bench" <<'EOF'
import json, statistics, sys
from pathlib import Path
bench = Path(sys.argv[1])
medians = {}
rounds = [[int(x) / 1000 for x in line.split()] for line in open(bench / "one-node.tsv") if line.strip()]
labels = ["wharf venv --from pylock.toml", "uv venv + uv pip sync pylock.toml (cold cache)",
          "virtualenv --no-download + pip install --no-index -r"]
for i, (name, label) in enumerate(zip(["one-wharf", "one-uv", "one-pip"], labels)):
    t = [r[i] for r in rounds]
    medians[name] = statistics.median(t)
    print(f"| {label} ({name}, {len(t)} rounds) | {statistics.median(t):.2f} s | {statistics.mean(t):.2f} ± {statistics.pstdev(t):.2f} | {min(t):.2f} | {max(t):.2f} |")
for j, peer in [(1, "uv"), (2, "site recipe")]:
    ratios = sorted(r[0] / r[j] for r in rounds)
    print(f"wharf / {peer}, round by round: median {statistics.median(ratios):.3f} (min {ratios[0]:.3f}, max {ratios[-1]:.3f})")
for name in ["job-floor", "alloc-floor",
             "per-node-1-1", "per-node-2-1", "per-node-1-default", "per-node-2-default",
             "lock-cold", "lock-warm"]:
    for i, r in enumerate(json.load(open(bench / f"{name}.json"))["results"]):
        t = r["times"]
        medians[name if i == 0 else name + "-peer"] = statistics.median(t)
        print(f"| {r['command']} ({name}) | {statistics.median(t):.2f} s | {r['mean']:.2f} ± {r['stddev']:.2f} | {min(t):.2f} | {max(t):.2f} |")
m = medians
print()
print(f"one node: wharf / uv (cold) = {m['one-wharf'] / m['one-uv']:.2f}; wharf / site recipe = {m['one-wharf'] / m['one-pip']:.3f}")
print(f"--per-node 2 nodes / 1 node, cpus-per-task=1: {m['per-node-2-1'] / m['per-node-1-1']:.2f} (target <= 1.3)")
print(f"--per-node 2 nodes / 1 node, default threads (2 nodes on the same 2 cores): {m['per-node-2-default'] / m['per-node-1-default']:.2f}")
print(f"wharf lock / uv pip compile: cold {m['lock-cold'] / m['lock-cold-peer']:.2f}, warm {m['lock-warm'] / m['lock-warm-peer']:.2f} (target <= 1)")
EOF
