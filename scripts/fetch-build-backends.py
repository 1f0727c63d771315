#!/usr/bin/env python3
"""Fetches the pinned PEP 517 build backends from PyPI: `fetch-build-backends.py OUT_DIR
[SDIST_DIR]`; with SDIST_DIR, also the pinned real sdists (SDISTS) the lock tests build.

Python 3.11, standard library only (pip is run as `sys.executable -m pip`). Every wheel of
BACKENDS (setuptools, wheel, flit_core, hatchling and hatchling's dependencies, editables for its PEP 660 builds) is downloaded
once with `pip download --no-deps --only-binary=:all:` into `.cache/wheels/pypi/`, checked
against its sha256 (fetched again on a mismatch), and copied into OUT_DIR: a flat wheelhouse
for the build tests (`wharf install -f OUT_DIR ./project`). pip runs with an explicit
environment: PATH, HOME and the network settings a download needs, never the machine's PIP_*.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "wheels" / "pypi"
BACKENDS = [
    ("setuptools-75.1.0-py3-none-any.whl", "35ab7fd3bcd95e6b7fd704e4a1539513edad446c097797f2985e0e4b960772f2"),
    ("wheel-0.44.0-py3-none-any.whl", "2376a90c98cc337d18623527a97c31797bd02bad0033d41547043a1cbfbe448f"),
    ("flit_core-3.9.0-py3-none-any.whl", "7aada352fb0c7f5538c4fafeddf314d3a6a92ee8e2b1de70482329e42de70301"),
    ("hatchling-1.25.0-py3-none-any.whl", "b47948e45d4d973034584dd4cb39c14b6a70227cf287ab7ec0ad7983408a882c"),
    ("editables-0.5-py3-none-any.whl", "61e5ffa82629e0d8bfe09bc44a07db3c1ab8ed1ce78a6980732870f19b5e7d4c"),
    ("packaging-24.1-py3-none-any.whl", "5b8f2217dbdbd2f7f384c41c628544e6d52f2d0f53c6d0c3ea61aa5d1d7ff124"),
    ("pathspec-0.12.1-py3-none-any.whl", "a0d503e138a4c123b27490a4f7beda6a01c6f288df0e4a8b79c7eb0dc7b4cc08"),
    ("pluggy-1.5.0-py3-none-any.whl", "44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669"),
    ("trove_classifiers-2024.9.12-py3-none-any.whl", "f88a27a892891c87c5f8bbdf110710ae9e0a4725ea8e0fb45f1bcadf088a491f"),
]  # fmt: skip
# Real source distributions (no wheel of them is used): docopt 0.6.2 has only an sdist on
# PyPI, a legacy `setup.py` built through setuptools' PEP 517 fallback.
SDISTS = [
    ("docopt-0.6.2.tar.gz", "49b3a825280bd66b3aa83585ef59c4a8c82f2c8a522dbe754a8bc8d08c85c491"),
]  # fmt: skip
NETWORK_VARIABLES = (
    "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy",
    "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
)  # fmt: skip


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pip_environment() -> dict[str, str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }
    for variable in NETWORK_VARIABLES:
        if variable in os.environ:
            environment[variable] = os.environ[variable]
    return environment


def fetch(filename: str, sha256: str) -> Path:
    cached = CACHE / filename
    if cached.is_file() and sha256_of(cached) == sha256:
        return cached
    is_sdist = filename.endswith(".tar.gz")
    stem = filename.removesuffix(".tar.gz")
    name, version = stem.split("-")[:2]
    print(f"downloading {filename}", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=".download-") as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary=:all:" if is_sdist else "--only-binary=:all:",
            "--dest", scratch, f"{name}=={version}",
        ]  # fmt: skip
        result = subprocess.run(command, env=pip_environment(), stdin=subprocess.DEVNULL)
        got = Path(scratch) / filename
        if result.returncode != 0 or not got.is_file():
            sys.exit(f"pip download of {filename} failed (exit {result.returncode})")
        if sha256_of(got) != sha256:
            sys.exit(f"{filename}: sha256 {sha256_of(got)}, pinned {sha256}")
        os.replace(got, cached)
    return cached


def copy_pinned(files: list[tuple[str, str]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for filename, sha256 in files:
        target = out / filename
        if target.is_file() and sha256_of(target) == sha256:
            continue
        temporary = out / f".{filename}.tmp"
        shutil.copyfile(fetch(filename, sha256), temporary)
        os.replace(temporary, target)


def main() -> None:
    copy_pinned(BACKENDS, Path(sys.argv[1]))
    if len(sys.argv) > 2:
        copy_pinned(SDISTS, Path(sys.argv[2]))


if __name__ == "__main__":
    main()
