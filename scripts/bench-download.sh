#!/usr/bin/env bash
# `wharf download` vs `pip download` (pip 24.2 of the test venv): 10 pinned wheels from PyPI,
# --no-deps (the site's recipe), into a fresh directory each run, no caches (pip --no-cache-dir;
# wharf has no download cache). One hyperfine run, both commands side by side.
# Needs the network; the caller's CA bundle/proxy variables are passed, PIP_* and VIRTUAL_ENV are not.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$repo/scripts/test-env.sh")"
cargo build --release -q -p wharf-cli --manifest-path "$repo/Cargo.toml"
wharf="${CARGO_TARGET_DIR:-$repo/target}/release/wharf"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pkgs="six==1.16.0 idna==3.10 packaging==24.1 certifi==2024.8.30 urllib3==2.2.3 requests==2.32.3 charset-normalizer==3.4.0 pytz==2024.2 tzdata==2024.2 numpy==2.1.3"
keep=(PATH HOME SSL_CERT_FILE REQUESTS_CA_BUNDLE HTTPS_PROXY https_proxy HTTP_PROXY http_proxy NO_PROXY no_proxy)
envs=()
for v in "${keep[@]}"; do [ -n "${!v:-}" ] && envs+=("$v=${!v}"); done
clean="env -i ${envs[*]}"
hyperfine --warmup 1 --runs "${RUNS:-10}" --export-markdown "${BENCH_OUT:-/dev/stdout}" \
  --prepare "rm -rf $out/w $out/p" \
  -n "wharf download (10 wheels, --no-deps)" "$clean $wharf download -q --no-deps --python $WHARF_TEST_PYTHON -d $out/w $pkgs" \
  -n "pip download (10 wheels, --no-deps)" "$clean $WHARF_TEST_PYTHON -m pip download -q --disable-pip-version-check --no-cache-dir --no-deps --only-binary :all: -d $out/p $pkgs"
