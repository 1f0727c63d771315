#!/usr/bin/env bash
# Benchmarks `wharf avail` against the original avail_wheels 2.1.3 and against a bare `find`
# of the same directories, on a generated 30 000-wheel site (scripts/gen-wheelhouse.py).
#
#   scripts/bench.sh            # results in .cache/bench-results/, table on stdout
#
# Steps: build wharf (release); install the reference (scripts/setup-reference.sh, outside
# the repo); generate .cache/bench-wheelhouse once; check that wharf's and avail_wheels' stdout
# are byte-identical for every benchmarked command (stop otherwise); then ONE hyperfine run per
# scenario, the three commands side by side (warmup 3, >= 10 runs, output to /dev/null):
#   numpy:  avail_wheels numpy   | wharf avail numpy   | find <pip.conf find-links dirs> -type f
#   all:    avail_wheels --all   | wharf avail --all   | find <pip.conf find-links dirs> -type f
# (with PIP_CONFIG_FILE set, both tools search exactly the [wheel] find-links dirs, also with
# --all, so `find` gets those same dirs). Prints medians, reference/wharf and wharf/find ratios
# and whether the targets hold: wharf >= 30x faster than avail_wheels, wharf <= 3x find.
# Then the idle-gap run, a user typing one command after another: `avail_wheels --all` and
# `wharf avail --all`, each run after `sleep 2` (hyperfine --prepare; no warmup), so that no
# run finds the CPU, caches or thread wake-ups warm from the run before; prints the ratio.
#
# Everything runs under `env -i` with only HOME, PATH, LANG and the site's env.sh
# (WHEELHOUSE, PIP_CONFIG_FILE, PYTHON_DIRS, EBVERSIONGENTOO, RSNT_ARCH): no VIRTUAL_ENV,
# EBVERSIONPYTHON, other PIP_* or SLURM_CPUS_PER_TASK leak in.
#
# Environment: AVAIL_WHEELS (reference launcher; default: installed by setup-reference.sh),
# WHARF_SKIP_BUILD=1, BENCH_FILES/BENCH_NAMES/BENCH_SEED (generator; 30000/3000/1),
# BENCH_CACHE (site and results; default .cache), BENCH_RUNS (min runs, default 10),
# BENCH_WARMUP (default 3), BENCH_IDLE_RUNS (runs of the
# idle-gap scenario, default 10), BENCH_IDLE_SECONDS (the gap, default 2).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cache=${BENCH_CACHE:-$repo/.cache}
site="$cache/bench-wheelhouse"
results="$cache/bench-results"
files=${BENCH_FILES:-30000}
names=${BENCH_NAMES:-3000}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-10}
warmup=${BENCH_WARMUP:-3}
idle_runs=${BENCH_IDLE_RUNS:-10}
idle_seconds=${BENCH_IDLE_SECONDS:-2}

die() { echo "bench: $*" >&2; exit 1; }

# --- tools -----------------------------------------------------------------------------------
if ! command -v hyperfine >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing hyperfine (apt-get)" >&2
    apt-get install -y hyperfine >&2 || { apt-get update >&2 && apt-get install -y hyperfine >&2; }
  else
    die "hyperfine is required: sudo apt-get install -y hyperfine"
  fi
fi
hyperfine=$(command -v hyperfine)
python=$(command -v python3) || die "python3 is required"

if [ "${WHARF_SKIP_BUILD:-0}" != 1 ]; then
  echo "bench: cargo build --release -p wharf-cli" >&2
  cargo build --release -p wharf-cli >&2
fi
wharf="$repo/target/release/wharf"
[ -x "$wharf" ] || die "$wharf not built"

ref=${AVAIL_WHEELS:-$("$repo/scripts/setup-reference.sh")}
[ -x "$ref" ] || die "reference launcher $ref is not executable"

# --- the site (generated once; again when the generator or its arguments change) -----------------
gen="$repo/scripts/gen-wheelhouse.py"
stamp="bench files=$files names=$names seed=$seed gen=$(cksum <"$gen" | cut -d' ' -f1)"
if [ ! -f "$site/env.sh" ] || [ "$(cat "$site/.bench-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "bench: generating $site" >&2
  "$python" "$gen" --kind bench --out "$site" --files "$files" --names "$names" --seed "$seed"
  echo "$stamp" >"$site/.bench-stamp"
fi

# Run a command in the site's environment and nothing else.
in_site() {
  env -i HOME="$HOME" PATH="$PATH" LANG=C.UTF-8 \
    bash -c 'set -euo pipefail; source "$0/env.sh"; exec "$@"' "$site" "$@"
}

# The [wheel] find-links dirs of the site's pip.conf, as the tools read them.
mapfile -t dirs < <("$python" -c '
import configparser, sys
cfg = configparser.ConfigParser()
cfg.read_file(open(sys.argv[1]))
print("\n".join(cfg["wheel"]["find-links"].split(" ")))' "$site/pip.conf")
[ "${#dirs[@]}" -gt 0 ] || die "no find-links in $site/pip.conf"
nfiles=$(find "${dirs[@]}" -type f | wc -l)

# --- correctness first -----------------------------------------------------------------------
mkdir -p "$results"
scenarios=(numpy all)
declare -A args=([numpy]="numpy" [all]="--all")
for s in "${scenarios[@]}"; do
  read -r -a a <<<"${args[$s]}"
  in_site "$ref" "${a[@]}" >"$results/$s.ref.out" 2>"$results/$s.ref.err" ||
    die "avail_wheels ${a[*]} failed: $(tail -3 "$results/$s.ref.err")"
  in_site "$wharf" avail "${a[@]}" >"$results/$s.wharf.out" 2>"$results/$s.wharf.err" ||
    die "wharf avail ${a[*]} failed: $(tail -3 "$results/$s.wharf.err")"
  if ! cmp -s "$results/$s.ref.out" "$results/$s.wharf.out"; then
    echo "bench: MISMATCH: stdout of \`avail_wheels ${a[*]}\` and \`wharf avail ${a[*]}\` differ" >&2
    diff "$results/$s.ref.out" "$results/$s.wharf.out" | head -40 >&2 || true
    die "refusing to time commands whose outputs differ (see $results/$s.*.out)"
  fi
  echo "bench: ok: \`avail_wheels ${a[*]}\` and \`wharf avail ${a[*]}\`: identical stdout" \
    "($(wc -l <"$results/$s.ref.out") lines)" >&2
done

# --- timing ----------------------------------------------------------------------------------
for s in "${scenarios[@]}"; do
  read -r -a a <<<"${args[$s]}"
  echo "bench: scenario $s: ${a[*]} ($nfiles files in ${#dirs[@]} find-links dirs)" >&2
  # -N: no intermediate shell, so the three commands pay the same (nothing) for spawning.
  in_site "$hyperfine" -N --warmup "$warmup" --min-runs "$runs" --style basic \
    --export-json "$results/$s.json" \
    -n "avail_wheels ${a[*]}" "$ref ${a[*]}" \
    -n "wharf avail ${a[*]}" "$wharf avail ${a[*]}" \
    -n "find (${#dirs[@]} dirs) -type f" "find ${dirs[*]} -type f" >&2
done

# Idle gap: each run starts after `sleep $idle_seconds`, reference first, then wharf.
echo "bench: scenario all-idle: --all after ${idle_seconds}s idle before each run" >&2
in_site "$hyperfine" -N --prepare "sleep $idle_seconds" --runs "$idle_runs" --style basic \
  --export-json "$results/all-idle.json" \
  -n "avail_wheels --all (idle ${idle_seconds}s)" "$ref --all" \
  -n "wharf avail --all (idle ${idle_seconds}s)" "$wharf avail --all" >&2

# --- report ----------------------------------------------------------------------------------
"$python" - "$results" "${scenarios[@]}" <<'EOF'
import json, sys
results, scenarios = sys.argv[1], sys.argv[2:]
ms = lambda s: f"{s * 1000:.1f} ms"
print("| scenario | avail_wheels (median) | wharf (median) | find (median) "
      "| avail_wheels / wharf | wharf / find | >= 30x faster | <= 3x find |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |")
ok = True
for s in scenarios:
    r = json.load(open(f"{results}/{s}.json"))["results"]
    ref, wharf, find = (x["median"] for x in r)
    runs = "/".join(str(len(x["times"])) for x in r)
    speedup, vs_find = ref / wharf, wharf / find
    t1, t2 = speedup >= 30, vs_find <= 3
    ok &= t1 and t2
    print(f"| `{r[1]['command']}` ({runs} runs) | {ms(ref)} | {ms(wharf)} | {ms(find)} "
          f"| {speedup:.1f}x | {vs_find:.2f}x | {'yes' if t1 else 'NO'} | {'yes' if t2 else 'NO'} |")
r = json.load(open(f"{results}/all-idle.json"))["results"]
ref, wharf = (x["median"] for x in r)
idle_ok = ref / wharf >= 30
ok &= idle_ok
print(f"| `{r[1]['command']}` after an idle gap ({len(r[0]['times'])}/{len(r[1]['times'])} runs) "
      f"| {ms(ref)} | {ms(wharf)} | - | {ref / wharf:.1f}x | - | {'yes' if idle_ok else 'NO'} | - |")
print()
print("targets:", "all met" if ok else "NOT all met")
EOF
