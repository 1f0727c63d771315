#!/usr/bin/env bash
# Runs `wharf avail` (the avail_wheels drop-in) on a demo wheelhouse: the site's real wheel
# names as empty files, laid out like /cvmfs/soft.computecanada.ca/custom/python/wheelhouse.
#
#   scripts/demo.sh                      # latest wheels, every Python (no python module loaded)
#   scripts/demo.sh "torch*" --all-versions
#   scripts/demo.sh numpy --all --column name version localversion python arch
#
# Builds wharf (release), generates .cache/demo-wheelhouse once (scripts/gen-wheelhouse.py
# --kind demo; again when the generator changes), then runs `wharf avail "$@"` as a user on
# StdEnv/2023 on an avx2 node would: WHEELHOUSE, PIP_CONFIG_FILE (find-links
# gentoo2023/x86-64-v3 gentoo2023/generic generic), PYTHON_DIRS (3.10-3.13), EBVERSIONGENTOO,
# RSNT_ARCH from the demo's env.sh, with no virtualenv, python module or other PIP_* settings.
# Build and generation messages go to stderr; stdout is wharf's alone.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
site="$repo/.cache/demo-wheelhouse"
gen="$repo/scripts/gen-wheelhouse.py"

if [ "${WHARF_SKIP_BUILD:-0}" != 1 ]; then
  (cd "$repo" && cargo build --release --quiet -p wharf-cli) >&2
fi
wharf="$repo/target/release/wharf"

stamp="demo gen=$(cksum <"$gen" | cut -d' ' -f1) data=$(cksum <"$repo/crates/wharf-cli/tests/data/real_wheel_names.tsv" | cut -d' ' -f1)"
if [ ! -f "$site/env.sh" ] || [ "$(cat "$site/.demo-stamp" 2>/dev/null)" != "$stamp" ]; then
  python3 "$gen" --kind demo --out "$site" >&2
  echo "$stamp" >"$site/.demo-stamp"
fi

# The demo site's environment and nothing of the caller's Python setup.
unset VIRTUAL_ENV EBVERSIONPYTHON EBROOTPYTHON
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^PIP_' || true)
# shellcheck source=/dev/null
source "$site/env.sh"
exec "$wharf" avail "$@"
