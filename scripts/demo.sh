#!/usr/bin/env bash
# A tour of wharf on demo sites built in .cache/. Each step is announced on stderr with the
# command it runs (`$ wharf …`); stdout is the commands' data alone.
#
#   scripts/demo.sh                      # the tour: avail, venv, install, list, check, import,
#                                        # pip in the environment, lock, a job's environment
#                                        # from the lock, doctor, explain
#   scripts/demo.sh "torch*" --all-versions
#   scripts/demo.sh numpy --all --column name version localversion python arch
#
# With arguments, runs `wharf avail "$@"` on the names-only site and nothing else.
#
# Two sites, each call of wharf with its site's environment set explicitly (the caller's
# VIRTUAL_ENV, PYTHONPATH, PIP_*, WHARF_* and python module variables never leak in):
#   1. .cache/demo-wheelhouse (scripts/gen-wheelhouse.py --kind demo; regenerated when the
#      generator or its data change): the site's real wheel names as EMPTY files, no junk.
#      Environment from its env.sh, as a user on StdEnv/2023 on an avx2 node sees it:
#      WHEELHOUSE, PIP_CONFIG_FILE (find-links gentoo2023/x86-64-v3 gentoo2023/generic
#      generic), PYTHON_DIRS (3.10-3.13), EBVERSIONGENTOO, RSNT_ARCH. Only `wharf avail` runs here.
#   2. .cache/sci-wheelhouse (scripts/build-sci-wheelhouse.py, the one the tests use): real
#      cp311 wheels from PyPI re-tagged as the site does (numpy, pandas, netCDF4, …). The FIRST
#      run downloads about 150 MB into .cache/wheels/pypi/; later runs are offline. Environment:
#      PIP_CONFIG_FILE (its pip.conf: `[install] find-links`), PYTHONPATH (the site's
#      `_manylinux.py` policy: manylinux refused), WHARF_CACHE_DIR=.cache/demo-env/wharf-cache.
#      `wharf venv` makes .cache/demo-env/venv (again on every run: --clear) with the machine's
#      python3, which must be CPython 3.11 (the wheels are cp311).
#
# Builds wharf (release) first unless WHARF_SKIP_BUILD=1, with cargo's progress (the first
# build compiles ~300 crates: about 4 minutes on 2 cores; later runs take a second); build and
# generation messages go to stderr.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
names_site=.cache/demo-wheelhouse
sci_site=.cache/sci-wheelhouse
demo_env=.cache/demo-env
gen=scripts/gen-wheelhouse.py

if [ "${WHARF_SKIP_BUILD:-0}" != 1 ]; then
  if [ ! -x target/release/wharf ]; then
    echo "demo: building wharf (release) the first time: about 4 minutes on 2 cores" >&2
  fi
  cargo build --release -p wharf-cli >&2
fi
wharf_bin="$repo/target/release/wharf"

# Nothing of the caller's Python setup: each call below sets its site's variables.
unset VIRTUAL_ENV EBVERSIONPYTHON EBROOTPYTHON PYTHONPATH PYTHONHOME WHEELHOUSE PYTHON_DIRS \
  EBVERSIONGENTOO RSNT_ARCH
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(PIP|WHARF)_' || true)

stamp="demo gen=$(cksum <"$gen" | cut -d' ' -f1) data=$(cksum <crates/wharf-cli/tests/data/real_wheel_names.tsv | cut -d' ' -f1)"
if [ ! -f "$names_site/env.sh" ] || [ "$(cat "$names_site/.demo-stamp" 2>/dev/null)" != "$stamp" ]; then
  python3 "$gen" --kind demo --out "$names_site" >&2
  echo "$stamp" >"$names_site/.demo-stamp"
fi

# `wharf avail ARGS…` in the names-only site's environment.
avail() {
  (
    # shellcheck source=/dev/null
    source "$names_site/env.sh"
    exec "$wharf_bin" avail "$@"
  )
}

if [ $# -gt 0 ]; then
  avail "$@"
  exit
fi

# Shell-quotes only what needs it, for the `$ …` lines.
show() {
  local out=() a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./=:,+-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  printf '\n$ %s\n' "${out[*]}" >&2
}
note() { printf '\n# %s\n' "$*" >&2; }

note "1. A names-only site: $names_site, the site's real wheel names as empty files" \
  "(env: its env.sh, StdEnv/2023 on an avx2 node, no python module loaded)"
show wharf avail "numpy*" "*cdf*"
avail "numpy*" "*cdf*"

python=$(python3 -c 'import sys; print(sys.executable)')
if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "demo: $python is not CPython 3.11; the installable site's wheels are cp311 (skipping venv/install)" >&2
  exit 1
fi
note "2. An installable site: $sci_site, real cp311 wheels re-tagged as the site does" \
  "(built once; the first run downloads ~150 MB from PyPI)"
python3 scripts/build-sci-wheelhouse.py "$repo/$sci_site" >&2
mkdir -p "$demo_env"
site_env=(
  PIP_CONFIG_FILE="$repo/$sci_site/pip.conf"
  PYTHONPATH="$repo/$sci_site/site-python"
  WHARF_CACHE_DIR="$repo/$demo_env/wharf-cache"
)
note "env: ${site_env[*]}"
# `wharf ARGS…` in the installable site's environment.
wharf() { env "${site_env[@]}" "$wharf_bin" "$@"; }
venv=$demo_env/venv

show wharf venv "$venv" --python "$python" --clear
wharf venv "$venv" --python "$python" --clear
show wharf install --python "$venv" pandas netCDF4
wharf install --python "$venv" pandas netCDF4
show wharf list --python "$venv"
wharf list --python "$venv"
show wharf check --python "$venv"
wharf check --python "$venv"
import='import pandas, netCDF4; print("pandas", pandas.__version__, "netCDF4", netCDF4.__version__)'
show "$venv/bin/python" -c "$import"
"$venv/bin/python" -c "$import"

note "3. pip in a wharf environment is wharf's pip front end: the site's pip lines run unchanged"
show "$venv/bin/pip" install --no-index --upgrade pip
env "${site_env[@]}" "$venv/bin/pip" install --no-index --upgrade pip
show "$venv/bin/pip" freeze
env "${site_env[@]}" "$venv/bin/pip" freeze

note "4. A lock (PEP 751, every wheel hashed), and a job's environment made exactly from it" \
  "(in a job: wharf venv \$SLURM_TMPDIR/env --from pylock.toml, or --per-node on every node)"
lock=$demo_env/pylock.toml
show wharf lock pandas netCDF4 --python "$python" -o "$lock"
wharf lock pandas netCDF4 --python "$python" -o "$lock"
show wharf venv "$demo_env/job-env" --from "$lock" --clear
wharf venv "$demo_env/job-env" --from "$lock" --clear

note "5. Diagnostics: doctor checks an environment and the shell around it; explain maps an" \
  "error message to its cause and this site's fix"
show wharf doctor --python "$venv"
wharf doctor --python "$venv"
error=$demo_env/pip-error.txt
printf '%s\n' 'ERROR: Could not find a version that satisfies the requirement tensorflow==2.99 (from versions: none)' \
  'ERROR: No matching distribution found for tensorflow==2.99' >"$error"
show cat "$error"
cat "$error" >&2
show wharf explain --python "$venv" "$error"
wharf explain --python "$venv" "$error" || true
