#!/usr/bin/env bash
# Benchmarks `wharf doctor` and `wharf check --files` on an environment holding the scientific
# set (numpy, scipy, pandas, matplotlib, scikit-learn, h5py, netCDF4 and their dependencies,
# re-tagged as the site does), warm (page cache and probe cache filled by warm-up runs), in one
# hyperfine run each:
#   1. wharf doctor                         (target: < 0.3 s)
#   2. wharf check --files (digests of unchanged files remembered from the warm-up runs: a
#      `stat` per file), wharf check --files --no-cache (every file hashed again), against
#      pip check + a Python script that hashes every RECORD entry (sha256, serial: what a user
#      would write; pip has no file verification)                   (target: wharf >= 5x faster)
#
#   scripts/bench-doctor.sh                 # RUNS=10
#   RUNS=20 BENCH_DIR=/tmp/bd scripts/bench-doctor.sh
#
# Every process runs with an explicit environment (env -i): PATH, HOME, the fixture's
# PIP_CONFIG_FILE and PYTHONPATH (`_manylinux.py`); threads follow SLURM_CPUS_PER_TASK when set.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
bench=${BENCH_DIR:-$(mktemp -d)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
cargo build --quiet --release -p wharf-cli
wharf=$CARGO_TARGET_DIR/release/wharf
eval "$("$repo/scripts/test-env.sh")"
fixture=$repo/.cache/sci-wheelhouse
"$WHARF_TEST_PYTHON" "$repo/scripts/build-sci-wheelhouse.py" "$fixture" >&2
base=$("$WHARF_TEST_PYTHON" -c "import sys; print(getattr(sys, '_base_executable', '') or sys.executable)")
clean=(env -i "PATH=$PATH" "HOME=$HOME" "PIP_CONFIG_FILE=$fixture/pip.conf" "PYTHONPATH=$fixture/site-python" "WHARF_CACHE_DIR=$bench/cache")
[ -n "${SLURM_CPUS_PER_TASK:-}" ] && clean+=("SLURM_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK")
env_dir=$bench/sci-env
if [ ! -x "$env_dir/bin/python" ]; then
  "${clean[@]}" "$wharf" venv "$env_dir" --python "$base" --seed -q
  "${clean[@]}" "$wharf" install --python "$env_dir" -r "$fixture/requirements.txt" -q
  # Digests are only remembered for files that changed more than 2 s before they were hashed.
  sleep 3
fi
cat > "$bench/hash_records.py" <<'PY'
# What a user would write without `wharf check --files`: read every RECORD, hash every file.
import base64, csv, hashlib, os, sys, sysconfig
site = sysconfig.get_path("purelib")
bad = files = 0
for entry in sorted(os.listdir(site)):
    if not entry.endswith(".dist-info"):
        continue
    with open(os.path.join(site, entry, "RECORD"), newline="") as f:
        for row in csv.reader(f):
            if len(row) < 3 or not row[1].startswith("sha256="):
                continue
            files += 1
            path = os.path.normpath(os.path.join(site, row[0]))
            try:
                with open(path, "rb") as g:
                    digest = hashlib.file_digest(g, "sha256").digest()
            except OSError:
                bad += 1
                continue
            if "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != row[1]:
                bad += 1
print(f"{files} files, {bad} mismatched")
PY
files=$("${clean[@]}" "$wharf" check --files --python "$env_dir" | tail -1)
echo "environment: $env_dir ($files)" >&2
du -sh "$env_dir" >&2
hyperfine --warmup 3 --runs "$runs" -N \
  --export-markdown "$bench/doctor.md" --export-json "$bench/doctor.json" \
  "${clean[*]} $wharf doctor --python $env_dir"
hyperfine --warmup 2 --runs "$runs" -i \
  --export-markdown "$bench/check-files.md" --export-json "$bench/check-files.json" \
  "${clean[*]} $wharf check --files --python $env_dir" \
  "${clean[*]} $wharf check --files --no-cache --python $env_dir" \
  "${clean[*]} sh -c '$env_dir/bin/python -m pip check; $env_dir/bin/python $bench/hash_records.py'"
cat "$bench/doctor.md" "$bench/check-files.md"
# Medians (these machines are shared: the mean follows the outliers) and the ratios of medians.
"$WHARF_TEST_PYTHON" - "$bench" <<'EOF'
import json, statistics, sys
from pathlib import Path
bench = Path(sys.argv[1])
names = ["wharf doctor", "wharf check --files", "wharf check --files --no-cache", "pip check + hash script"]
times = [r["times"] for f in ("doctor", "check-files") for r in json.load(open(bench / f"{f}.json"))["results"]]
medians = [statistics.median(t) * 1000 for t in times]
for name, t, m in zip(names, times, medians):
    print(f"| {name} | {m:.1f} ms | {min(t) * 1000:.1f} | {max(t) * 1000:.1f} |")
print(f"pip check + hash script / wharf check --files: {medians[3] / medians[1]:.1f}x "
      f"(--no-cache: {medians[3] / medians[2]:.1f}x; target >= 5x); wharf doctor {medians[0]:.1f} ms (target < 300 ms)")
EOF
