# wharf's interpreter probe. Run as `python -c <this>` with site enabled and PYTHONPATH
# honoured (no -I, -E or -S), so it sees what pip would see. Prints one JSON object.
# Keep it runnable on every Python 3 a site may still ship (3.6+): no walrus, no match.
import json
import os
import platform
import sys
import sysconfig

# `-c` puts the working directory first on sys.path; it is not part of the environment.
if sys.path and sys.path[0] == "":
    del sys.path[0]


def full_version(info):
    # PEP 508 `implementation_version` / `python_full_version` spelling.
    text = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        text += info.releaselevel[0] + str(info.serial)
    return text


def glibc_version():
    try:
        value = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, OSError, ValueError):
        return None
    if not value:
        return None
    parts = value.split()
    if len(parts) != 2 or parts[0] != "glibc":
        return None
    return parts[1]


def platform_arch():
    plat = sysconfig.get_platform()
    if plat.startswith("linux-"):
        return plat[len("linux-"):].replace("-", "_").replace(".", "_")
    return platform.machine()


def manylinux_policy(arch, glibc):
    # PEP 600: a `_manylinux` module may veto (or allow) manylinux tags for this interpreter.
    answer = {
        "module": None,
        "error": None,
        "arch": arch,
        "manylinux_compatible": None,
        "manylinux1_compatible": None,
        "manylinux2010_compatible": None,
        "manylinux2014_compatible": None,
    }
    try:
        import _manylinux
    except ImportError:
        return answer
    except Exception as error:  # a broken _manylinux.py is worth reporting, not crashing on
        answer["error"] = "%s: %s" % (type(error).__name__, error)
        return answer
    answer["module"] = getattr(_manylinux, "__file__", None) or "<built-in>"
    for legacy in ("manylinux1_compatible", "manylinux2010_compatible", "manylinux2014_compatible"):
        if hasattr(_manylinux, legacy):
            answer[legacy] = bool(getattr(_manylinux, legacy))
    function = getattr(_manylinux, "manylinux_compatible", None)
    if callable(function):
        top = 17
        if glibc:
            try:
                top = max(top, int(glibc.split(".")[1]))
            except (IndexError, ValueError):
                pass
        answers = []
        for minor in range(5, top + 1):
            try:
                result = function(2, minor, arch)
            except Exception as error:
                answer["error"] = "%s: %s" % (type(error).__name__, error)
                break
            answers.append([2, minor, None if result is None else bool(result)])
        answer["manylinux_compatible"] = answers
    return answer


def main():
    paths = sysconfig.get_paths()
    base = "@WHARF_BASE@"
    venv_vars = {"base": base, "platbase": base, "installed_base": base, "installed_platbase": base}
    scheme = "venv" if "venv" in sysconfig.get_scheme_names() else "posix_prefix"
    try:
        venv_paths = sysconfig.get_paths(scheme, vars=venv_vars)
    except Exception:
        venv_paths = None
    try:
        import site

        user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    except Exception:
        user_site = None
    py_debug = sysconfig.get_config_var("Py_DEBUG")
    if py_debug is None:
        py_debug = hasattr(sys, "gettotalrefcount")
    glibc = glibc_version()
    info = sys.version_info
    result = {
        "version_info": [info.major, info.minor, info.micro, info.releaselevel, info.serial],
        "implementation_name": sys.implementation.name,
        "cache_tag": sys.implementation.cache_tag,
        "soabi": sysconfig.get_config_var("SOABI"),
        "abiflags": getattr(sys, "abiflags", ""),
        "py_debug": bool(py_debug),
        "py_gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
        "platform": sysconfig.get_platform(),
        "pointer_size": 64 if sys.maxsize > 2 ** 32 else 32,
        "prefix": sys.prefix,
        "base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "executable": sys.executable,
        "base_executable": getattr(sys, "_base_executable", None) or sys.executable,
        "sys_path": sys.path,
        "user_site": user_site,
        "paths": {key: paths.get(key) for key in ("purelib", "platlib", "scripts", "data", "include")},
        "venv_scheme": None if venv_paths is None else {
            key: venv_paths.get(key) for key in ("purelib", "platlib", "scripts", "data", "include")
        },
        "markers": {
            "implementation_name": sys.implementation.name,
            "implementation_version": full_version(sys.implementation.version),
            "os_name": os.name,
            "platform_machine": platform.machine(),
            "platform_python_implementation": platform.python_implementation(),
            "platform_release": platform.release(),
            "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform,
        },
        "glibc_version": glibc,
        "manylinux": manylinux_policy(platform_arch(), glibc),
    }
    sys.stdout.write(json.dumps(result))
    sys.stdout.write("\n")


main()
