#!/usr/bin/env bash
# Installs the ORIGINAL avail_wheels 2.1.3 (ComputeCanada/avail_wheels, Python) into a venv
# OUTSIDE this repository, as the reference that wharf's `avail` is compared and benchmarked
# against. Nothing of avail_wheels is ever copied into the repository.
#
#   scripts/setup-reference.sh            # prints the launcher path, e.g.
#   ~/.cache/wharf-ref/avail_wheels/bin/avail_wheels
#
# Environment:
#   AVAIL_WHEELS_VENV  venv directory (default: $HOME/.cache/wharf-ref/avail_wheels)
#   AVAIL_WHEELS_GIT   a bare/non-bare git dir, or a URL to clone, holding avail_wheels
#                      (default: /work/.mirror/ComputeCanada+avail_wheels/repo if it exists,
#                      else https://github.com/ComputeCanada/avail_wheels.git)
#   AVAIL_WHEELS_REV   revision to take the files from (default: HEAD)
#   PYTHON             interpreter for the venv; must be >= 3.11 (avail_wheels imports
#                      tomllib). Default: the first of python3.13 python3.12 python3.11 python3.
#   FORCE=1            reinstall even if the venv is already complete.
set -euo pipefail

venv=${AVAIL_WHEELS_VENV:-$HOME/.cache/wharf-ref/avail_wheels}
default_git=https://github.com/ComputeCanada/avail_wheels.git
if [ -d /work/.mirror/ComputeCanada+avail_wheels/repo ]; then
  default_git=/work/.mirror/ComputeCanada+avail_wheels/repo
fi
src=${AVAIL_WHEELS_GIT:-$default_git}
rev=${AVAIL_WHEELS_REV:-HEAD}
files=(avail_wheels.py runtime_env.py wild_requirements.py)
launcher="$venv/bin/avail_wheels"
stamp="$venv/.avail_wheels-2.1.3"

if [ -f "$stamp" ] && [ -x "$launcher" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "$launcher"
  exit 0
fi

# Pick an interpreter that has tomllib (3.11+).
py=${PYTHON:-}
if [ -z "$py" ]; then
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
      "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      py=$cand
      break
    fi
  done
fi
if [ -z "$py" ] || ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup-reference: need Python >= 3.11 (set PYTHON=...)" >&2
  exit 1
fi

# Get the git dir: use a local one as is, clone a URL into a temporary dir.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -d "$src" ] && git --git-dir="$src" rev-parse --verify -q "$rev^{commit}" >/dev/null 2>&1; then
  gitdir=$src
elif [ -d "$src/.git" ]; then
  gitdir=$src/.git
else
  git clone --quiet --bare "$src" "$tmp/repo.git" >&2
  gitdir=$tmp/repo.git
fi
commit=$(git --git-dir="$gitdir" rev-parse "$rev^{commit}")
for f in "${files[@]}"; do
  git --git-dir="$gitdir" show "$commit:$f" >"$tmp/$f"
done
if ! grep -q '^__version__ = "2.1.3"' "$tmp/avail_wheels.py"; then
  echo "setup-reference: warning: $src@$rev is not avail_wheels 2.1.3:" \
    "$(grep '^__version__' "$tmp/avail_wheels.py")" >&2
fi

rm -rf "$venv"
"$py" -m venv "$venv" >&2
# The machine's own pip settings (find-links to a wheelhouse, config files) must not leak in.
env -u PIP_FIND_LINKS -u PIP_CONFIG_FILE -u PIP_NO_INDEX -u PIP_INDEX_URL \
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  'packaging==21.3' 'pip==24.2' 'tabulate==0.10.0' pyparsing >&2

mkdir -p "$venv/avail_wheels"
for f in "${files[@]}"; do
  cp "$tmp/$f" "$venv/avail_wheels/$f"
done
cat >"$launcher" <<EOF
#!/bin/sh
# avail_wheels 2.1.3 from $src ($commit), installed by wharf's scripts/setup-reference.sh
exec "$venv/bin/python" "$venv/avail_wheels/avail_wheels.py" "\$@"
EOF
chmod +x "$launcher"
echo "$commit" >"$stamp"
echo "$launcher"
