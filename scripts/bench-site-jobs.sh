#!/usr/bin/env bash
# Times the site documentation's job scripts (scripts/site-jobs/: one node, two nodes) on the
# test Slurm cluster (scripts/slurm-cluster.sh), as a user runs them:
#
#   pip    the scripts as they are: `virtualenv --no-download`, then the real pip
#          (`pip install --no-index --upgrade pip` takes pip 26.3 from the wheelhouse, as on the
#          site, whose wheelhouse has the current pip; then `pip install --no-index -r`)
#   wharf  `virtualenv --no-download` replaced by `wharf venv`, every `pip` line as it is: the
#          environment's `pip` is wharf's pip front end
#
# on the sci set of the sci fixture (22 packages, ~7 350 files, frozen into requirements.txt
# by `pip freeze`'s format). Every run is a new job (`sbatch --wait`); the time is measured inside
# the job, from the first line after the `#SBATCH` header to the end of the script (the job's
# Python imports the set at the end), so the scheduler's polling is not counted. The variants
# alternate round by round (one round not counted first); medians and the ratio of medians.
#
#   scripts/bench-site-jobs.sh            # RUNS=5 rounds, scratch on this VM's disk
#   TMPFS=1 scripts/bench-site-jobs.sh    # the nodes' scratch on a tmpfs (root)
#
# Every job runs with an explicit environment (env -i): PATH (wharf, virtualenv, the base
# CPython as the `python/3.11` module), HOME, SLURM_CONF, the site's PIP_CONFIG_FILE and
# PYTHONPATH; the machine's PIP_* never leak in.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
runs=${RUNS:-5}
bench=${BENCH_DIR:-$repo/.cache/bench-site-jobs}
fixture=$repo/.cache/sci-wheelhouse
say() { printf '\n== %s\n' "$*" >&2; }

say "building wharf (release)"
cargo build --release -p wharf-cli >&2
wharf=${CARGO_TARGET_DIR:-$repo/target}/release/wharf

say "cluster, Python peers and fixture"
scripts/slurm-cluster.sh start
slurm_state=$repo/.cache/slurm
rm -f "$slurm_state/keep-scratch"
if [ "${TMPFS:-0}" = 1 ]; then
  mount -t tmpfs -o "size=${TMPFS_GB:-12}G" wharf-bench-scratch "$slurm_state/tmp"
  trap 'umount "$slurm_state/tmp"' EXIT
fi
eval "$(scripts/slurm-cluster.sh env)"
eval "$(scripts/test-env.sh)"
peers_bin=$(dirname "$WHARF_TEST_PYTHON")
clean_path=/usr/local/bin:/usr/bin:/bin
env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" scripts/build-sci-wheelhouse.py "$fixture" >&2
python=$(env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_PYTHON" -c \
  "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")

rm -rf "$bench"
mkdir -p "$bench/bin" "$bench/pip-wheel"
ln -s "$wharf" "$bench/bin/wharf"
ln -s "$peers_bin/virtualenv" "$bench/bin/virtualenv"
printf '#!/bin/sh\nexit 0\n' >"$bench/bin/module" # `module load`: the PATH below is the module
chmod 755 "$bench/bin/module"

# The current pip in a wheelhouse directory of its own, first in the site's find-links.
pip_wheel=pip-26.3-py3-none-any.whl
pip_sha256=f3b60b20ffaadd4415ed7957212a38ac63fa4c5fa375bd0f4a797777940fad13
cached=$repo/.cache/wheels-pypi/$pip_wheel
if ! echo "$pip_sha256  $cached" | sha256sum -c --status 2>/dev/null; then
  mkdir -p "$(dirname "$cached")"
  env -i PATH="$clean_path" HOME="$HOME" "$WHARF_TEST_CURRENT_PEERS/pip" download -q --no-deps \
    'pip==26.3' -d "$(dirname "$cached")" >&2
  echo "$pip_sha256  $cached" | sha256sum -c --status
fi
cp "$cached" "$bench/pip-wheel/"
sed "s|^find-links = |find-links = $bench/pip-wheel |" "$fixture/pip.conf" >"$bench/pip.conf"

job_path="$bench/bin:$(dirname "$python"):$clean_path"
site_env=(env -i PATH="$job_path" HOME="$HOME" LANG=C.UTF-8 SLURM_CONF="$SLURM_CONF"
  PIP_CONFIG_FILE="$bench/pip.conf" PYTHONPATH="$fixture/site-python"
  XDG_CACHE_HOME="$bench/cache" NO_COLOR=1)
cd "$bench"

say "freezing the set (requirements.txt as pip freeze writes it)"
"${site_env[@]}" wharf venv -q "$bench/frozen" --python "$python"
"${site_env[@]}" wharf install -q --python "$bench/frozen" -r "$fixture/requirements.txt"
"${site_env[@]}" wharf freeze --python "$bench/frozen" >requirements.txt
rm -rf "$bench/frozen"
echo "$(grep -c '' requirements.txt) packages" >&2
check='import os, numpy, scipy, pandas, matplotlib, sklearn, h5py, netCDF4
print("imported", os.environ["SLURMD_NODENAME"], numpy.__file__)'
echo "$check" >myscript.py
echo "$check" >myscript-mpi.py

# VARIANT SCRIPT: the job script, timed from after its `#SBATCH` header to its end.
job_script() {
  local text
  text=$(cat "$repo/scripts/site-jobs/$2")
  if [ "$1" = wharf ]; then text=${text//virtualenv --no-download /wharf venv }; fi
  printf '%s\n' "$text" | awk '
    !started && !/^#/ && !/^$/ { print "__t0=$(date +%s%N)"; started = 1 }
    { print }
    END { print "echo \"site-job-ms $(( ($(date +%s%N) - __t0) / 1000000 ))\"" }'
}
for variant in wharf pip; do
  for script in one-node.sh two-nodes.sh; do job_script "$variant" "$script" >"$variant-$script"; done
done

# Runs one job; prints its milliseconds (the job's output is kept in NAME.out).
run_job() { # NAME
  sync
  "${site_env[@]}" sbatch --wait -Q -o "$bench/$1.out" --cpus-per-task=1 "$bench/$1" >/dev/null ||
    { echo "job $1 failed:" >&2; cat "$bench/$1.out" >&2; exit 1; }
  grep -q '^imported ' "$bench/$1.out" || { echo "job $1 imported nothing:" >&2; cat "$bench/$1.out" >&2; exit 1; }
  sed -n 's/^site-job-ms //p' "$bench/$1.out"
}

say "the jobs, round by round (ms)"
: >rounds.tsv
for round in $(seq 0 "$runs"); do
  line=""
  for script in one-node.sh two-nodes.sh; do
    for variant in wharf pip; do line+="$(run_job "$variant-$script")	"; done
  done
  echo "round $round (one node: wharf, pip; two nodes: wharf, pip): $line" >&2
  if [ "$round" -gt 0 ]; then echo "$line" >>rounds.tsv; fi
done

say "results ($runs rounds; median, min, max)"
env -i PATH="$clean_path" "$WHARF_TEST_PYTHON" - rounds.tsv <<'EOF'
import statistics, sys
rounds = [[int(x) / 1000 for x in line.split()] for line in open(sys.argv[1]) if line.strip()]
labels = ["one node, wharf venv + the pip lines", "one node, virtualenv + pip 26.3",
          "two nodes, wharf venv + the pip lines", "two nodes, virtualenv + pip 26.3"]
m = []
for i, label in enumerate(labels):
    t = [r[i] for r in rounds]
    m.append(statistics.median(t))
    print(f"| {label} | {m[-1]:.2f} s | {min(t):.2f} | {max(t):.2f} |")
print(f"one node: wharf / pip = {m[0] / m[1]:.3f}; two nodes: wharf / pip = {m[2] / m[3]:.3f}")
EOF
