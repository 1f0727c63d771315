#!/usr/bin/env bash
# Creates (once, cached in .cache/) the Python tools that wharf's tests compare against:
# pinned peers (tabulate 0.10.0 as avail_wheels uses it, pip, uv, virtualenv) in a venv.
# Also the peers' current releases (pip 26.3, uv 0.13.10, pdm 2.29.4) in .cache/peers-current.
# Prints the `export` lines to eval: WHARF_TEST_PYTHON, WHARF_TEST_CURRENT_PEERS (their bin
# directory) and WHARF_TEST_REQUIRE_PEERS, and when
# the test Slurm cluster answers (scripts/slurm-cluster.sh start), SLURM_CONF and
# WHARF_TEST_SLURM_CONF (the job tests run only then).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache="$repo/.cache"
mkdir -p "$cache"
# One setup at a time: a second caller waits, then finds the stamps (two at once would
# delete each other's half-made venvs).
exec 9>"$cache/.test-env.lock"
flock 9
venv="$cache/test-venv"
stamp="$venv/.wharf-tools-v1"
if [ ! -f "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  # The machine's own PIP_* settings (find-links, config files) must not leak into the setup.
  env -u PIP_FIND_LINKS -u PIP_CONFIG_FILE -u PIP_NO_INDEX -u PIP_INDEX_URL \
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'pip==24.2' 'tabulate==0.10.0' 'packaging==21.3' 'pyparsing==3.1.4' \
    'virtualenv==20.26.6' 'uv==0.9.5' >&2
  touch "$stamp"
fi
# The peers' current releases (pip 26, uv 0.13, pdm 2.29), beside the pinned older ones the
# format tests were written against: resolution scenarios and locks are compared with these.
# pdm 2.29.4 fails at import with hishel 2.0 (released after it): hishel is pinned to 1.4.0.
current="$cache/peers-current"
current_stamp="$current/.wharf-peers-pip26.3-uv0.13.10-pdm2.29.4"
if [ ! -f "$current_stamp" ]; then
  rm -rf "$current"
  python3 -m venv "$current" >&2
  env -u PIP_FIND_LINKS -u PIP_CONFIG_FILE -u PIP_NO_INDEX -u PIP_INDEX_URL \
    "$current/bin/python" -m pip install --quiet --disable-pip-version-check \
    'pip==26.3' 'uv==0.13.10' 'pdm==2.29.4' 'hishel[httpx2]==1.4.0' >&2
  # The stamp of checkouts from before pdm too: they find what they need here and keep it.
  touch "$current_stamp" "$current/.wharf-peers-pip26.3-uv0.13.10"
fi
echo "export WHARF_TEST_PYTHON=$venv/bin/python"
echo "export WHARF_TEST_CURRENT_PEERS=$current/bin"
echo "export WHARF_TEST_REQUIRE_PEERS=1"
if "$repo/scripts/slurm-cluster.sh" status >/dev/null 2>&1; then
  "$repo/scripts/slurm-cluster.sh" env
fi
