#!/usr/bin/env python3
"""Records runs of the ORIGINAL avail_wheels on a wheelhouse of real wheel names.

The tree is built from crates/wharf-cli/tests/data/real_wheel_names.tsv (real file names of
the model site's wheelhouse; layers recorded as `unknown…` are placed in the Gentoo 2020
layer of the same arch). Output: one JSON object a line, in the format of the shared golden
cases (id, tree, files, env, args, stdout, exit), replayed by `cargo test`.

Usage: record-avail-cases.py AVAIL_WHEELS_LAUNCHER > crates/wharf-cli/tests/data/avail_real_cases.jsonl
(AVAIL_WHEELS_LAUNCHER runs the original avail_wheels 2.1.3, see scripts/setup-reference.sh.)
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TSV = os.path.join(HERE, "..", "crates", "wharf-cli", "tests", "data", "real_wheel_names.tsv")
LAYER = {
    "unknown": "gentoo2020/generic",
    "unknown/generic": "gentoo2020/generic",
    "unknown/avx": "gentoo2020/avx",
    "unknown/avx2": "gentoo2020/avx2",
    "unknown/sse3": "gentoo2020/sse3",
    "avx2": "gentoo/avx2",
}
PYTHONS = ["3.8.10", "3.9.6", "3.10.13", "3.11.5", "3.12.4", "3.13.1"]


def tree():
    paths = []
    for line in open(TSV):
        parts = line.rstrip("\n").split("\t")
        layer, name = LAYER.get(parts[0], parts[0]), parts[1]
        paths.append(f"wh/{layer}/{name}")
    paths += [f"py/{v}/.keep" for v in PYTHONS]
    return sorted(set(paths))


V3 = "[wheel]\nfind-links = $ROOT/wh/gentoo2023/x86-64-v3 $ROOT/wh/gentoo2023/generic $ROOT/wh/generic\n"
AVX2 = ("[wheel]\nfind-links = $ROOT/wh/gentoo2020/avx2 $ROOT/wh/gentoo/avx2 $ROOT/wh/gentoo2020/generic "
        "$ROOT/wh/gentoo/generic $ROOT/wh/generic\n")
REQS = "numpy>=1.20\nscipy\n# a comment\ntorch==2.*  # pinned major\n-r more.txt\n--prefer-binary\npandas; python_version >= '3.8'\n"
MORE = "tensorflow\njoblib\nnotonthesite\n"
PYPROJECT = '[project]\nname = "demo"\ndependencies = ["netCDF4>=1.5", "h5py", "transformers"]\n'

CASES = [
    # (id, config, env extra, args)
    ("real-v3-everything", V3, {}, []),
    ("real-v3-all", V3, {}, ["--all"]),
    ("real-v3-numpy", V3, {}, ["numpy"]),
    ("real-v3-numpy-all-versions", V3, {}, ["numpy", "--all-versions", "--all-pythons"]),
    ("real-v3-module-312", V3, {"EBVERSIONPYTHON": "3.12.4"}, ["--all-versions"]),
    ("real-v3-torch-glob", V3, {}, ["torch*", "--all-versions", "--column", "name", "version", "localversion", "python", "abi", "platform", "arch"]),
    ("real-v3-cdf", V3, {}, ["*cdf*", "--all", "--condense"]),
    ("real-v3-tensorflow-py312", V3, {}, ["tensorflow", "-p", "3.12"]),
    ("real-v3-sklearn-columns", V3, {}, ["Scikit-Learn", "--all-versions", "--column", "name", "version", "localversion", "build", "python", "abi", "platform", "arch"]),
    ("real-v3-condense-all", V3, {}, ["--all", "--condense"]),
    ("real-v3-scipy-spec", V3, {}, ["scipy>=1.10", "--all-pythons", "--all-versions"]),
    ("real-v3-requirements", V3, {}, ["-r", "$ROOT/requirements.txt", "--not-available"]),
    ("real-v3-pyproject", V3, {}, ["-r", "$ROOT/pyproject.toml", "--all-versions"]),
    ("real-v3-not-available-only", V3, {}, ["-r", "$ROOT/requirements.txt", "--not-available-only"]),
    ("real-v3-raw", V3, {}, ["torch*", "--all-versions", "--raw"]),
    ("real-v3-github", V3, {}, ["--all", "--format", "github"]),
    ("real-v3-mediawiki", V3, {}, ["--all", "--mediawiki"]),
    ("real-v3-arch-generic", V3, {"EBVERSIONGENTOO": "2023"}, ["-a", "generic", "--all-versions"]),
    ("real-v3-version-flag", V3, {}, ["numpy", "scipy", "-v", "1.2*"]),
    ("real-v3-version-wild", V3, {}, ["numpy", "-v", "1.2.*", "--all-pythons"]),
    ("real-avx2-all", AVX2, {"EBVERSIONGENTOO": "2020"}, ["--all"]),
    ("real-avx2-arch", AVX2, {"EBVERSIONGENTOO": "2020"}, ["-a", "avx2", "--all-versions", "--all-pythons"]),
    ("real-avx2-netcdf", AVX2, {"EBVERSIONGENTOO": "2020"}, ["netcdf4", "--all-versions", "-p", "3.8", "3.9"]),
    ("real-walk-all", None, {}, ["--all"]),
    ("real-walk-condense", None, {}, ["--all", "--condense", "--column", "name", "version", "build", "python", "arch"]),
    ("real-walk-psql", None, {}, ["botocore", "boto3", "--all-versions", "--format", "psql"]),
]


def main():
    launcher = sys.argv[1]
    t = tree()
    for case_id, config, extra, args in CASES:
        files = {"requirements.txt": REQS, "more.txt": MORE, "pyproject.toml": PYPROJECT}
        env_template = {"WHEELHOUSE": "$ROOT/wh", "PYTHON_DIRS": "$ROOT/py", "EBVERSIONGENTOO": "2023"}
        if config is None:
            env_template["PIP_CONFIG_FILE"] = ""
        else:
            files["pip.conf"] = config
            env_template["PIP_CONFIG_FILE"] = "$ROOT/pip.conf"
        env_template.update(extra)
        with tempfile.TemporaryDirectory() as root:
            for p in t:
                fp = os.path.join(root, p)
                os.makedirs(os.path.dirname(fp), exist_ok=True)
                open(fp, "w").close()
            for p, text in files.items():
                with open(os.path.join(root, p), "w") as f:
                    f.write(text.replace("$ROOT", root))
            env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
            env.update({k: v.replace("$ROOT", root) for k, v in env_template.items()})
            real_args = [a.replace("$ROOT", root) for a in args]
            r = subprocess.run([launcher] + real_args, env=env, capture_output=True, text=True)
            print(json.dumps({
                "id": case_id, "tree": t, "files": files, "env": env_template, "args": args,
                "stdout": r.stdout.replace(root, "$ROOT"), "exit": r.returncode,
            }))


if __name__ == "__main__":
    main()
