#!/usr/bin/env bash
# Benchmarks `wharf serve` against `python -m http.server` (a static PEP 503 tree of the same
# wheelhouse) and pypiserver (over the same find-links directories), on the generated
# 30 000-wheel site of scripts/gen-wheelhouse.py (empty files), with oha on loopback.
#
#   scripts/bench-serve.sh        # table on stdout, raw oha JSON in $BENCH_CACHE/serve-results/
#
# Request: GET /simple/numpy/ (wharf: PEP 691 JSON via `Accept`, as pip and uv ask; the peers
# serve their HTML), at 1, 16 and 64 concurrent clients, BENCH_SECONDS (default 10) each,
# after one warm-up request (wharf hashes a project's files on its first request).
# Needs: oha (`cargo install oha --locked`; OHA=path), pypiserver (PYPISERVER=path to
# `pypi-server`, e.g. from a venv: `pip install pypiserver`), python3.
# Environment: BENCH_CACHE (default /tmp/wharf-bench), WHARF_SKIP_BUILD=1, BENCH_SECONDS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${BENCH_CACHE:-/tmp/wharf-bench}
site="$cache/bench-wheelhouse"
results="$cache/serve-results"
seconds=${BENCH_SECONDS:-10}
oha=${OHA:-$(command -v oha || true)}
pypiserver=${PYPISERVER:-$(command -v pypi-server || true)}
die() { echo "bench-serve: $*" >&2; exit 1; }
[ -x "$oha" ] || die "oha is required (cargo install oha --locked; or OHA=/path/to/oha)"
[ -x "$pypiserver" ] || die "pypiserver is required (pip install pypiserver; or PYPISERVER=/path/to/pypi-server)"
mkdir -p "$results"

if [ "${WHARF_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && cargo build --release -p wharf-cli >&2)
fi
wharf="${CARGO_TARGET_DIR:-$repo/target}/release/wharf"

if [ ! -f "$site/env.sh" ]; then
  python3 "$repo/scripts/gen-wheelhouse.py" --kind bench --out "$site" --files 30000 --names 3000 --seed 1 >&2
fi
mapfile -t dirs < <(python3 -c 'import configparser,sys; c=configparser.ConfigParser(); c.read(sys.argv[1]); print("\n".join(c["wheel"]["find-links"].split()))' "$site/pip.conf")

# The static PEP 503 tree: simple/<name>/index.html linking to the files (symlinked).
static="$cache/static-tree"
if [ ! -d "$static/simple" ]; then
  python3 - "$static" "${dirs[@]}" <<'PY'
import os, re, sys, html
out, dirs = sys.argv[1], sys.argv[2:]
projects = {}
for i, d in enumerate(dirs):
    for root, _, files in os.walk(d):
        for f in files:
            if f.endswith(".whl"):
                name = re.sub(r"[-_.]+", "-", f.split("-")[0]).lower()
                rel = os.path.relpath(os.path.join(root, f), d)
                projects.setdefault(name, []).append((f"{i}/{rel}", f))
os.makedirs(os.path.join(out, "simple"), exist_ok=True)
for i, d in enumerate(dirs):
    os.symlink(d, os.path.join(out, str(i)))
with open(os.path.join(out, "simple", "index.html"), "w") as index:
    index.write("<!DOCTYPE html><html><body>\n")
    for name, files in sorted(projects.items()):
        index.write(f'<a href="{name}/">{name}</a>\n')
        os.makedirs(os.path.join(out, "simple", name))
        with open(os.path.join(out, "simple", name, "index.html"), "w") as page:
            page.write(f"<!DOCTYPE html><html><body><h1>Links for {name}</h1>\n")
            for url, f in files:
                page.write(f'<a href="../../{html.escape(url)}">{html.escape(f)}</a><br>\n')
            page.write("</body></html>\n")
    index.write("</body></html>\n")
PY
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
wait_up() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; die "$1 did not come up"; }

env -i HOME="$cache" PATH="$PATH" WHARF_CACHE_DIR="$cache/wharf-cache" PIP_CONFIG_FILE="$site/pip.conf" \
  WHEELHOUSE="$site/wh" PYTHON_DIRS="$site/py" EBVERSIONGENTOO=2023 \
  "$wharf" serve --bind 127.0.0.1:18001 2>"$results/wharf.log" & pids+=($!)
(cd "$static" && exec python3 -m http.server 18002 --bind 127.0.0.1 2>"$results/http.server.log" >/dev/null) & pids+=($!)
"$pypiserver" run -p 18003 -i 127.0.0.1 --disable-fallback -a . -P . "${dirs[@]}" 2>"$results/pypiserver.log" & pids+=($!)
json='application/vnd.pypi.simple.v1+json'
wait_up http://127.0.0.1:18001/simple/numpy/; wait_up http://127.0.0.1:18002/simple/numpy/; wait_up http://127.0.0.1:18003/simple/numpy/

printf '| server | clients | requests/s | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |\n'
for clients in 1 16 64; do
  for server in wharf http.server pypiserver; do
    case $server in
      wharf) url=http://127.0.0.1:18001/simple/numpy/; accept=$json ;;
      http.server) url=http://127.0.0.1:18002/simple/numpy/; accept='text/html' ;;
      pypiserver) url=http://127.0.0.1:18003/simple/numpy/; accept='text/html' ;;
    esac
    out="$results/$server-c$clients.json"
    "$oha" --no-tui --output-format json -z "${seconds}s" -c "$clients" -H "Accept: $accept" "$url" >"$out"
    python3 - "$out" "$server" "$clients" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["summary"], r["latencyPercentiles"]
ok = r.get("statusCodeDistribution", {})
print(f"| {sys.argv[2]} | {sys.argv[3]} | {s['requestsPerSec']:.0f} | {p['p50']*1000:.2f} | {p['p99']*1000:.2f} |" + ("" if list(ok) == ["200"] else f" statuses {ok}"))
PY
  done
done
