# wharf's PEP 517/660 hook shim: `python shim.py HOOK RESULT_JSON [ARG_JSON]`, run in the
# project's source directory. The backend comes from WHARF_BUILD_BACKEND (`module:object`)
# and WHARF_BUILD_BACKEND_PATH (in-tree backends, os.pathsep-separated). The hook's return
# value is written as JSON to RESULT_JSON; the backend's output goes to this process's
# stdout/stderr (wharf's build log). Exit 0: called; 3: optional hook missing (result
# null); 2: backend not importable; 1: the hook raised.
import importlib
import json
import os
import sys
import traceback

OPTIONAL = {
    "get_requires_for_build_wheel": [],
    "get_requires_for_build_editable": [],
}


def load_backend():
    spec = os.environ["WHARF_BUILD_BACKEND"]
    paths = [p for p in os.environ.get("WHARF_BUILD_BACKEND_PATH", "").split(os.pathsep) if p]
    for path in reversed(paths):
        sys.path.insert(0, os.path.abspath(path))
    module_name, _, obj = spec.partition(":")
    try:
        backend = importlib.import_module(module_name)
    except ImportError:
        traceback.print_exc()
        print("wharf-hook-error: backend %r is not importable" % spec, file=sys.stderr)
        sys.exit(2)
    for part in filter(None, obj.split(".")):
        backend = getattr(backend, part)
    return backend


def unpack(archive, dest):
    import tarfile
    import zipfile

    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            z.extractall(dest)
    else:
        with tarfile.open(archive) as t:
            if hasattr(tarfile, "data_filter"):
                t.extractall(dest, filter="data")
            else:
                t.extractall(dest)
    return None


def main():
    hook, result_path = sys.argv[1], sys.argv[2]
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    if hook == "unpack":
        result = unpack(args["archive"], args["dest"])
    else:
        backend = load_backend()
        function = getattr(backend, hook, None)
        if function is None:
            if hook in OPTIONAL:
                result = OPTIONAL[hook]
            else:
                print("wharf-hook-error: the backend has no hook %s" % hook, file=sys.stderr)
                sys.exit(3)
        else:
            try:
                result = function(**args)
            except BaseException:
                traceback.print_exc()
                sys.exit(1)
    with open(result_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
