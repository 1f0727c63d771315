#!/usr/bin/env python3
"""Builds a site-like wheelhouse of real scientific wheels: `build-sci-wheelhouse.py OUT_DIR`.

Python 3.11, standard library only (pip is run as `sys.executable -m pip`).

1. Downloads every wheel pinned in crates/wharf-cli/tests/data/sci-wheels.lock from PyPI with
   pip (`pip download --no-deps --only-binary=:all:` for cp311 / manylinux2014_x86_64), one
   pinned file at a time so the set is exact, into the cache `.cache/wheels/pypi/` at the repo
   root. Cached files are checked against the lock's sha256 and fetched again on a mismatch.
   pip runs with an explicit environment: PATH, HOME, pip's quiet settings, and only the
   network settings a download needs (CA bundle, proxies); the machine's PIP_* find-links
   and config files do not leak in.
2. Lays out OUT_DIR as the site does (DESIGN.md, shared/data/pip-configs.md):

     OUT_DIR/wh/gentoo2023/x86-64-v3/   numpy, scipy               re-tagged (see below)
     OUT_DIR/wh/gentoo2023/generic/     other binary wheels        re-tagged, + a stray .log
     OUT_DIR/wh/generic/                pure-Python wheels         re-versioned, + an sdist,
                                        numpy 2.0.2 manylinux      copied unmodified
     OUT_DIR/pip.conf                   the site's pip config (find-links order = priority)
     OUT_DIR/constraints.txt            the site's constraints file
     OUT_DIR/requirements.txt           the seven top-level projects, unpinned
     OUT_DIR/site-python/_manylinux.py  the site's policy module: manylinux is refused
     OUT_DIR/modules-pythonpath/        six unpacked, as a module puts a package on PYTHONPATH
     OUT_DIR/.stamp                     sha256 of the lock and of this script

   Re-tagging, as on the site: the local version `+computecanada` is written consistently into
   the file name, the `.dist-info` (and `.data`) directory names, METADATA `Version:` and the
   RECORD paths; RECORD hashes of the rewritten files stay stale, as on the site. Binary wheels
   get the platform tag `linux_x86_64` in the FILE NAME only: their `WHEEL` file keeps its
   manylinux `Tag:` lines.

Idempotent: OUT_DIR is rebuilt only when the lock (or this script) changed, under a lock file,
and replaced in one rename, so a concurrent reader sees the old or the new tree, never half.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "crates" / "wharf-cli" / "tests" / "data" / "sci-wheels.lock"
CACHE = REPO / ".cache" / "wheels" / "pypi"
LOCAL_VERSION = "computecanada"
TOP_LEVEL = ["numpy", "scipy", "pandas", "matplotlib", "scikit-learn", "h5py", "netCDF4"]
LAYERS = ("gentoo2023/x86-64-v3", "gentoo2023/generic", "generic")
UNMODIFIED = "generic:unmodified"
# What a download needs from the caller's environment; nothing else is passed to pip.
NETWORK_VARIABLES = (
    "PIP_CERT",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
)


@dataclass(frozen=True)
class LockedWheel:
    """One line of the lock: a wheel file as published on PyPI."""

    filename: str
    sha256: str
    layer: str

    @property
    def name(self) -> str:
        return self.filename.split("-")[0]

    @property
    def version(self) -> str:
        return self.filename.split("-")[1]

    @property
    def tags(self) -> list[str]:
        """python, abi and platform tags (last three fields of the file name)."""
        return self.filename[: -len(".whl")].split("-")[-3:]

    @property
    def is_binary(self) -> bool:
        return self.tags[2] != "any"


def read_lock(path: Path) -> list[LockedWheel]:
    wheels = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 3 or not fields[0].endswith(".whl") or len(fields[1]) != 64:
            sys.exit(f"{path}:{number}: expected `FILENAME SHA256 LAYER`, got {line!r}")
        if fields[2] not in LAYERS and fields[2] != UNMODIFIED:
            sys.exit(f"{path}:{number}: unknown layer {fields[2]!r}")
        wheels.append(LockedWheel(*fields))
    return wheels


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log(message: str) -> None:
    print(f"build-sci-wheelhouse: {message}", file=sys.stderr, flush=True)


def pip_environment() -> dict[str, str]:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for variable in NETWORK_VARIABLES:
        if variable in os.environ:
            environment[variable] = os.environ[variable]
    return environment


def download(wheels: list[LockedWheel]) -> None:
    """Brings every locked wheel into CACHE, verified by sha256."""
    CACHE.mkdir(parents=True, exist_ok=True)
    missing = []
    for wheel in wheels:
        cached = CACHE / wheel.filename
        if cached.is_file():
            if sha256_of(cached) == wheel.sha256:
                continue
            log(f"{cached}: sha256 does not match the lock; downloading it again")
            cached.unlink()
        missing.append(wheel)
    for wheel in missing:
        log(f"downloading {wheel.filename}")
        with tempfile.TemporaryDirectory(dir=CACHE, prefix=".download-") as scratch:
            command = [
                sys.executable, "-m", "pip", "download", "--quiet",
                "--no-deps", "--only-binary=:all:",
                "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                "--platform", "manylinux2014_x86_64",
                "--dest", scratch,
                f"{wheel.name}=={wheel.version}",
            ]  # fmt: skip
            result = subprocess.run(command, env=pip_environment(), stdin=subprocess.DEVNULL)
            if result.returncode != 0:
                sys.exit(f"pip download of {wheel.filename} failed (exit {result.returncode})")
            got = Path(scratch) / wheel.filename
            if not got.is_file():
                found = sorted(p.name for p in Path(scratch).iterdir())
                sys.exit(f"pip downloaded {found}, not the locked {wheel.filename}")
            digest = sha256_of(got)
            if digest != wheel.sha256:
                sys.exit(f"{wheel.filename}: sha256 {digest}, the lock says {wheel.sha256}")
            os.replace(got, CACHE / wheel.filename)


def retagged_filename(wheel: LockedWheel) -> str:
    fields = wheel.filename[: -len(".whl")].split("-")
    fields[1] = f"{wheel.version}+{LOCAL_VERSION}"
    if wheel.is_binary:
        fields[-1] = "linux_x86_64"
    return "-".join(fields) + ".whl"


def rewrite_metadata(text: str, new_version: str) -> str:
    """Sets the `Version:` header (headers end at the first blank line)."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line == "":
            break
        if line.startswith("Version:"):
            lines[index] = f"Version: {new_version}"
            return "\n".join(lines)
    raise ValueError("METADATA has no Version: header")


def rewrite_record(text: str, rename) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        if row:
            writer.writerow([rename(row[0]), *row[1:]])
    return out.getvalue()


def retag(source: Path, wheel: LockedWheel, destination_dir: Path) -> Path:
    """Writes the site's re-tagged copy of `source` into `destination_dir`."""
    new_version = f"{wheel.version}+{LOCAL_VERSION}"
    destination = destination_dir / retagged_filename(wheel)
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        tops = {info.filename.split("/", 1)[0] for info in infos}
        dist_infos = [t for t in tops if t.endswith(".dist-info")]
        if len(dist_infos) != 1:
            raise ValueError(f"{source.name}: expected one .dist-info directory, got {dist_infos}")
        old_prefix = dist_infos[0][: -len(".dist-info")]
        if not old_prefix.endswith(f"-{wheel.version}"):
            raise ValueError(f"{source.name}: {dist_infos[0]} does not carry {wheel.version}")
        new_prefix = f"{old_prefix}+{LOCAL_VERSION}"
        renames = {
            f"{old_prefix}.dist-info/": f"{new_prefix}.dist-info/",
            f"{old_prefix}.data/": f"{new_prefix}.data/",
        }

        def rename(path: str) -> str:
            for old, new in renames.items():
                if path.startswith(old):
                    return new + path[len(old) :]
            return path

        with zipfile.ZipFile(destination, "w") as out:
            for info in infos:
                data = archive.read(info)
                new_name = rename(info.filename)
                if info.filename == f"{old_prefix}.dist-info/METADATA":
                    data = rewrite_metadata(data.decode("utf-8"), new_version).encode("utf-8")
                elif info.filename == f"{old_prefix}.dist-info/RECORD":
                    data = rewrite_record(data.decode("utf-8"), rename).encode("utf-8")
                copy = zipfile.ZipInfo(new_name, date_time=info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr = info.external_attr
                copy.create_system = info.create_system
                out.writestr(copy, data)
    return destination


def pip_conf(out_dir: Path) -> str:
    """The site's pip-x86-64-v3-gentoo2023.conf, with the wheelhouse root moved to OUT_DIR/wh."""
    links = " ".join(str(out_dir / "wh" / layer) for layer in LAYERS)
    return (
        "[global]\n"
        "disable-pip-version-check = true\n"
        "\n"
        "[download]\n"
        f"find-links = {links}\n"
        "\n"
        "[wheel]\n"
        f"find-links = {links}\n"
        "disable-pip-version-check = true\n"
        "\n"
        "[install]\n"
        f"find-links = {links}\n"
        f"constraint = {out_dir / 'constraints.txt'}\n"
        "only-binary = numpy,scipy,mpi4py,pandas,h5py,Cython,grpcio\n"
        "prefer-binary = true\n"
        "disable-pip-version-check = true\n"
    )


MANYLINUX_POLICY = '''\
# The site's policy module (on PYTHONPATH): no manylinux wheel is compatible here; only the
# site's own wheels, re-tagged linux_x86_64, and pure-Python wheels are installed.
def manylinux_compatible(*args, **kw):
    return False


manylinux1_compatible = manylinux2010_compatible = manylinux2014_compatible = False
'''


def sdist_bytes() -> bytes:
    """A small, valid, reproducible sdist: junk that sits in the wheelhouse as on the site."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.USTAR_FORMAT) as archive:
        payload = b"Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n"
        info = tarfile.TarInfo("six-1.15.0/PKG-INFO")
        info.size = len(payload)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def build(out_dir: Path, staging: Path, wheels: list[LockedWheel]) -> None:
    """Writes the whole fixture into `staging`; paths inside files name the final `out_dir`."""
    for layer in LAYERS:
        (staging / "wh" / layer).mkdir(parents=True)
    for wheel in wheels:
        source = CACHE / wheel.filename
        if wheel.layer == UNMODIFIED:
            shutil.copyfile(source, staging / "wh" / "generic" / wheel.filename)
        else:
            retag(source, wheel, staging / "wh" / wheel.layer)
    (staging / "wh" / "generic" / "six-1.15.0.tar.gz").write_bytes(sdist_bytes())
    (staging / "wh" / "gentoo2023" / "generic" / "build-wheels.log").write_text(
        "building wheels for gentoo2023/generic\nerror: this is a stray log file\n"
    )
    (staging / "pip.conf").write_text(pip_conf(out_dir))
    (staging / "constraints.txt").write_text("pip <= 18.1; python_version < '3'\n")
    (staging / "requirements.txt").write_text("".join(f"{name}\n" for name in TOP_LEVEL))
    (staging / "site-python").mkdir()
    (staging / "site-python" / "_manylinux.py").write_text(MANYLINUX_POLICY)
    six = next(w for w in wheels if w.name == "six")
    with zipfile.ZipFile(staging / "wh" / "generic" / retagged_filename(six)) as archive:
        archive.extractall(staging / "modules-pythonpath")


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        sys.exit(f"usage: {sys.argv[0]} OUT_DIR")
    out_dir = Path(sys.argv[1]).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = f"lock {sha256_of(LOCK)}\nscript {sha256_of(Path(__file__))}\n"
    with open(out_dir.parent / f".{out_dir.name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        stamp_path = out_dir / ".stamp"
        if stamp_path.is_file() and stamp_path.read_text() == stamp:
            log(f"{out_dir} is up to date")
            return
        wheels = read_lock(LOCK)
        download(wheels)
        staging = out_dir.parent / f".{out_dir.name}.partial"
        old = out_dir.parent / f".{out_dir.name}.old"
        for leftover in (staging, old):
            shutil.rmtree(leftover, ignore_errors=True)
        log(f"building {out_dir}")
        staging.mkdir()
        build(out_dir, staging, wheels)
        (staging / ".stamp").write_text(stamp)
        if out_dir.exists():
            os.rename(out_dir, old)
        os.rename(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
        log(f"built {out_dir} ({len(wheels)} wheels)")


if __name__ == "__main__":
    main()
