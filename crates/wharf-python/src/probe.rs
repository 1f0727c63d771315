//! Interpreter probing: run the interpreter once with an embedded script, cache the answer.
//!
//! The script runs **with site enabled and `PYTHONPATH` honoured** (no `-I`, `-E`, `-S`): pip
//! runs that way, and on the site `PYTHONPATH` carries `_manylinux.py` (PEP 600: it refuses
//! every manylinux tag) and module-provided packages. A probe that skips them (as uv's does)
//! gets a different answer than pip. The one thing dropped is the working directory that `-c`
//! puts first on `sys.path`: it is not part of the environment.
//!
//! The subprocess gets an explicit environment: `PATH`, `HOME`, `PYTHONPATH`,
//! `LD_LIBRARY_PATH` from [`PythonEnv`], nothing else.
//!
//! Every run has a timeout ([`PythonEnv::probe_timeout`], 10 s by default): the interpreter
//! runs in its own process group, and a probe that hangs (an interpreter waiting on a dead
//! NFS mount, a wrapper script that never returns) has the whole group killed and is a
//! [`ProbeError::Timeout`].
//!
//! Answers are cached as JSON in `<cache dir>/interpreters/` (see [`PythonEnv::cache_dir`]),
//! one file per executable path, valid while the executable's canonical path, mtime and size,
//! its venv's `pyvenv.cfg` mtime, `PYTHONPATH`, `HOME` and the probe script itself are
//! unchanged. A stale, unreadable or corrupt entry is re-probed; a cache that cannot be written
//! is skipped. Neither is ever an error. Under `WHARF_NO_CACHE` ([`PythonEnv::no_cache`]) the
//! cache is neither read nor written.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use wharf_wheel_filename::{PlatformTag, Tags};

use crate::env::PythonEnv;
use crate::version::PartialVersion;

/// The embedded probe script (`probe.py`).
pub const PROBE_SCRIPT: &str = include_str!("probe.py");

/// The placeholder for the venv root in [`InterpreterInfo::venv_scheme`].
pub const VENV_BASE_PLACEHOLDER: &str = "@WHARF_BASE@";

/// `sys.version_info`. Ex) `[3, 11, 7, "final", 0]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo(
    /// Major. Ex) `3`
    pub u64,
    /// Minor. Ex) `11`
    pub u64,
    /// Micro. Ex) `7`
    pub u64,
    /// Release level: `alpha`, `beta`, `candidate` or `final`.
    pub String,
    /// Serial of a pre-release. Ex) `1` in `3.13.0rc1`
    pub u64,
);

/// The installation scheme directories of `sysconfig.get_paths()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemePaths {
    /// Pure-Python packages. Ex) `/env/lib/python3.11/site-packages`
    pub purelib: PathBuf,
    /// Platform-specific packages (often the same as `purelib`).
    pub platlib: PathBuf,
    /// Console scripts. Ex) `/env/bin`
    pub scripts: PathBuf,
    /// Data files root. Ex) `/env`
    pub data: PathBuf,
    /// C headers. Ex) `/env/include/python3.11`
    pub include: PathBuf,
}

/// The PEP 508 marker variables, as the interpreter reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkerValues {
    /// `sys.implementation.name`. Ex) `cpython`
    pub implementation_name: String,
    /// `sys.implementation.version`, PEP 508 spelling. Ex) `3.11.7`
    pub implementation_version: String,
    /// `os.name`. Ex) `posix`
    pub os_name: String,
    /// `platform.machine()`. Ex) `x86_64`
    pub platform_machine: String,
    /// `platform.python_implementation()`. Ex) `CPython`
    pub platform_python_implementation: String,
    /// `platform.release()`. Ex) `5.14.0-427.el9.x86_64`
    pub platform_release: String,
    /// `platform.system()`. Ex) `Linux`
    pub platform_system: String,
    /// `platform.version()`. Ex) `#1 SMP PREEMPT_DYNAMIC …`
    pub platform_version: String,
    /// `platform.python_version()`. Ex) `3.11.7`
    pub python_full_version: String,
    /// Major and minor. Ex) `3.11`
    pub python_version: String,
    /// `sys.platform`. Ex) `linux`
    pub sys_platform: String,
}

/// One answer of `_manylinux.manylinux_compatible(major, minor, arch)` (PEP 600).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManylinuxAnswer(
    /// glibc major. Ex) `2`
    pub u32,
    /// glibc minor. Ex) `17`
    pub u32,
    /// What the function returned: `None` means "use the default heuristics".
    pub Option<bool>,
);

/// What the interpreter's `_manylinux` module (PEP 600) says, if it has one.
///
/// On the Alliance site, a `_manylinux.py` on `PYTHONPATH` answers False for every tag: manylinux
/// wheels are refused by policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManylinuxPolicy {
    /// The `_manylinux` module's file, when it is importable.
    pub module: Option<PathBuf>,
    /// The exception raised while importing or calling it, if any.
    pub error: Option<String>,
    /// The architecture passed to `manylinux_compatible`. Ex) `x86_64`
    pub arch: String,
    /// `manylinux_compatible(2, minor, arch)` for minor 5 up to the interpreter's glibc
    /// (at least 17); `None` when the module has no such function.
    pub manylinux_compatible: Option<Vec<ManylinuxAnswer>>,
    /// The legacy PEP 513 attribute, if set.
    pub manylinux1_compatible: Option<bool>,
    /// The legacy PEP 571 attribute, if set.
    pub manylinux2010_compatible: Option<bool>,
    /// The legacy PEP 599 attribute, if set.
    pub manylinux2014_compatible: Option<bool>,
}

/// Everything wharf needs to know about one interpreter, from one run of [`PROBE_SCRIPT`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterpreterInfo {
    /// `sys.version_info`.
    pub version_info: VersionInfo,
    /// `sys.implementation.name`. Ex) `cpython`, `pypy`
    pub implementation_name: String,
    /// `sys.implementation.cache_tag`. Ex) `cpython-311`
    pub cache_tag: Option<String>,
    /// `sysconfig.get_config_var('SOABI')`. Ex) `cpython-311-x86_64-linux-gnu`
    pub soabi: Option<String>,
    /// `sys.abiflags`. Ex) `""`, `"d"`, `"t"`
    pub abiflags: String,
    /// Whether the interpreter is a debug build (`Py_DEBUG`).
    pub py_debug: bool,
    /// Whether the interpreter is free-threaded (`sysconfig`'s `Py_GIL_DISABLED`, PEP 703).
    /// Absent in answers of older probe scripts: false.
    #[serde(default)]
    pub py_gil_disabled: bool,
    /// `sysconfig.get_platform()`. Ex) `linux-x86_64`
    pub platform: String,
    /// Pointer width in bits: `64` or `32`.
    pub pointer_size: u32,
    /// `sys.prefix`: the venv when run from one.
    pub prefix: PathBuf,
    /// `sys.base_prefix`: the installation a venv was made from.
    pub base_prefix: PathBuf,
    /// `sys.executable`.
    pub executable: PathBuf,
    /// `sys._base_executable`: the base interpreter a venv's python stands for.
    pub base_executable: PathBuf,
    /// `sys.path`, without the working directory entry of `-c`.
    pub sys_path: Vec<PathBuf>,
    /// The user site-packages (`~/.local/lib/pythonX.Y/site-packages`), when enabled.
    pub user_site: Option<PathBuf>,
    /// `sysconfig.get_paths()`: where pip would install now.
    pub paths: SchemePaths,
    /// The `venv` scheme (`posix_prefix` before 3.11) with [`VENV_BASE_PLACEHOLDER`] as root.
    pub venv_scheme: Option<SchemePaths>,
    /// The PEP 508 marker environment.
    pub markers: MarkerValues,
    /// glibc's version (`os.confstr('CS_GNU_LIBC_VERSION')`). Ex) `2.36`; `None` on musl.
    pub glibc_version: Option<String>,
    /// The PEP 600 `_manylinux` answers.
    pub manylinux: ManylinuxPolicy,
}

impl InterpreterInfo {
    /// Parses the probe script's JSON output.
    pub fn from_json(json: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(json)
    }

    /// `major.minor.micro`, plus a pre-release suffix. Ex) `3.11.7`, `3.13.0rc1`
    pub fn version(&self) -> &str {
        &self.markers.python_full_version
    }

    /// `(major, minor)`. Ex) `(3, 11)`
    pub fn major_minor(&self) -> (u64, u64) {
        (self.version_info.0, self.version_info.1)
    }

    /// The version as discovery compares it. Ex) `3.11.7`; `None` when a component is out of
    /// range (a major or minor above 255, a micro above 65535).
    pub fn python_version(&self) -> Option<PartialVersion> {
        Some(PartialVersion::new(
            u8::try_from(self.version_info.0).ok()?,
            u8::try_from(self.version_info.1).ok()?,
            u16::try_from(self.version_info.2).ok()?,
        ))
    }

    /// Whether this is a free-threaded build (PEP 703): `Py_GIL_DISABLED`, or a `t` in
    /// `sys.abiflags` (3.13+).
    pub fn is_free_threaded(&self) -> bool {
        self.py_gil_disabled || self.abiflags.contains('t')
    }

    /// The interpreter's ABI tags, best first, as `packaging.tags` derives them from the
    /// build (see [`Tags::cpython_abis`]). Ex) `["cp313t"]` for a free-threaded 3.13
    pub fn abi_tags(&self) -> Vec<wharf_wheel_filename::AbiTag> {
        let (major, minor) = self.major_minor_u8();
        let debug = self.py_debug || self.abiflags.contains('d');
        Tags::cpython_abis((major, minor), debug, self.is_free_threaded())
    }

    fn major_minor_u8(&self) -> (u8, u8) {
        let (major, minor) = self.major_minor();
        (
            u8::try_from(major).unwrap_or(u8::MAX),
            u8::try_from(minor).unwrap_or(u8::MAX),
        )
    }

    /// The interpreter's ordered compatible tags, as pip's `sys_tags()` yields them: its
    /// version and ABI flags ([`Self::abi_tags`]), `platform_machine`, and its glibc for the
    /// manylinux tags, with the `_manylinux` policy applied.
    ///
    /// Returns `(tags to use, full set)`: the full set (manylinux included) is `Some` only when
    /// the policy removed manylinux tags (the site refuses them and `allow_manylinux` is
    /// false); it serves to explain a refusal ("this wheel is manylinux, refused by the
    /// site"). With `allow_manylinux`, the policy is overridden and the full set is used.
    pub fn tags(&self, allow_manylinux: bool) -> (Tags, Option<Tags>) {
        let version = self.major_minor_u8();
        let abis = self.abi_tags();
        let machine = &self.markers.platform_machine;
        let glibc = self
            .glibc()
            .and_then(|(a, b)| Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?)));
        let full = Tags::cpython(
            version,
            &abis,
            &PlatformTag::linux_platforms(machine, glibc),
            true,
        );
        if self.manylinux_refused_by_policy() && !allow_manylinux {
            let site = Tags::cpython(
                version,
                &abis,
                &PlatformTag::linux_platforms(machine, None),
                true,
            );
            (site, Some(full))
        } else {
            (full, None)
        }
    }

    /// Whether this interpreter runs inside a virtual environment (`sys.prefix != sys.base_prefix`).
    pub fn is_venv(&self) -> bool {
        self.prefix != self.base_prefix
    }

    /// The base interpreter to make a venv from: `sys._base_executable` in a venv, else
    /// `sys.executable`.
    pub fn base_interpreter(&self) -> &Path {
        if self.is_venv() {
            &self.base_executable
        } else {
            &self.executable
        }
    }

    /// glibc as `(major, minor)`. Ex) `(2, 36)`
    pub fn glibc(&self) -> Option<(u32, u32)> {
        let (major, minor) = self.glibc_version.as_deref()?.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }

    /// Whether a `manylinux_<major>_<minor>` wheel may be installed, as pip (`packaging`)
    /// decides it: the glibc must be new enough, then PEP 600's `_manylinux` has the last word
    /// (its function if it has one, else the legacy attribute for 2.5/2.12/2.17).
    pub fn manylinux_compatible(&self, major: u32, minor: u32) -> bool {
        let Some(glibc) = self.glibc() else {
            return false;
        };
        if glibc < (major, minor) {
            return false;
        }
        let policy = &self.manylinux;
        if policy.module.is_none() {
            return true;
        }
        if let Some(answers) = &policy.manylinux_compatible {
            return answers
                .iter()
                .find(|answer| answer.0 == major && answer.1 == minor)
                .and_then(|answer| answer.2)
                .unwrap_or(true);
        }
        let legacy = match (major, minor) {
            (2, 5) => policy.manylinux1_compatible,
            (2, 12) => policy.manylinux2010_compatible,
            (2, 17) => policy.manylinux2014_compatible,
            _ => None,
        };
        legacy.unwrap_or(true)
    }

    /// Whether a `_manylinux` module refuses manylinux wheels (the site's policy): it answers
    /// False for `manylinux_2_17` (manylinux2014), the most common tag.
    pub fn manylinux_refused_by_policy(&self) -> bool {
        self.manylinux.module.is_some()
            && self.glibc().is_some_and(|glibc| glibc >= (2, 17))
            && !self.manylinux_compatible(2, 17)
    }

    /// The PEP 508 marker environment, for evaluating markers with `pep508_rs`.
    pub fn marker_environment(&self) -> Result<MarkerEnvironment, ProbeError> {
        let markers = &self.markers;
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: &markers.implementation_name,
            implementation_version: &markers.implementation_version,
            os_name: &markers.os_name,
            platform_machine: &markers.platform_machine,
            platform_python_implementation: &markers.platform_python_implementation,
            platform_release: &markers.platform_release,
            platform_system: &markers.platform_system,
            platform_version: &markers.platform_version,
            python_full_version: &markers.python_full_version,
            python_version: &markers.python_version,
            sys_platform: &markers.sys_platform,
        })
        .map_err(|source| ProbeError::Markers {
            executable: self.executable.clone(),
            source,
        })
    }

    /// The venv scheme's directories for a venv at `root`: `purelib`, `platlib`, `scripts`,
    /// `data`, `include`. Uses the interpreter's own `venv` scheme when it reported one rooted
    /// at [`VENV_BASE_PLACEHOLDER`], else the POSIX layout (`lib/pythonX.Y/site-packages`…).
    pub fn venv_paths(&self, root: &Path) -> SchemePaths {
        let relative = |path: &Path| -> Option<PathBuf> {
            let rest = path.strip_prefix(VENV_BASE_PLACEHOLDER).ok()?;
            // `root.join("")` would add a trailing slash to `data`.
            Some(if rest.as_os_str().is_empty() {
                root.to_owned()
            } else {
                root.join(rest)
            })
        };
        if let Some(scheme) = &self.venv_scheme
            && let (Some(purelib), Some(platlib), Some(scripts), Some(data), Some(include)) = (
                relative(&scheme.purelib),
                relative(&scheme.platlib),
                relative(&scheme.scripts),
                relative(&scheme.data),
                relative(&scheme.include),
            )
        {
            return SchemePaths {
                purelib,
                platlib,
                scripts,
                data,
                include,
            };
        }
        let (major, minor) = self.major_minor();
        // CPython's `{py_version_short}{abi_thread}`: `python3.13t` for a free-threaded build;
        // the debug flag `d` is not part of the directory.
        let name = if self.implementation_name == "pypy" {
            format!("pypy{major}.{minor}")
        } else if self.is_free_threaded() {
            format!("python{major}.{minor}t")
        } else {
            format!("python{major}.{minor}")
        };
        let site_packages = root.join("lib").join(&name).join("site-packages");
        SchemePaths {
            purelib: site_packages.clone(),
            platlib: site_packages,
            scripts: root.join("bin"),
            data: root.to_owned(),
            include: root.join("include").join(name),
        }
    }
}

impl TryFrom<&InterpreterInfo> for MarkerEnvironment {
    type Error = ProbeError;

    fn try_from(info: &InterpreterInfo) -> Result<Self, Self::Error> {
        info.marker_environment()
    }
}

/// Why an interpreter could not be probed.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The executable does not exist or cannot be read. Ex) a module that was unloaded
    #[error("cannot probe `{}`: the interpreter is missing", executable.display())]
    Missing {
        /// The executable as given.
        executable: PathBuf,
        /// The failure of `stat`.
        #[source]
        source: std::io::Error,
    },
    /// The process could not be started. Ex) not executable, a broken `#!` line
    #[error("cannot run `{}`", executable.display())]
    Spawn {
        /// The executable as given.
        executable: PathBuf,
        /// The failure of `exec`.
        #[source]
        source: std::io::Error,
    },
    /// The interpreter ran but exited with an error.
    #[error("`{}` failed while probing it ({status}){}", executable.display(), stderr_tail(stderr))]
    Failed {
        /// The executable as given.
        executable: PathBuf,
        /// How it exited.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The interpreter's output is not the probe's JSON. Ex) Python 2, or a wrapper script
    #[error("`{}` did not answer the probe as a Python 3 interpreter does", executable.display())]
    InvalidOutput {
        /// The executable as given.
        executable: PathBuf,
        /// The parse failure.
        #[source]
        source: serde_json::Error,
    },
    /// The interpreter did not answer within the timeout and was killed. Ex) a wrapper that
    /// waits on a dead mount
    #[error("`{}` did not answer the probe within {} s and was killed", executable.display(), timeout.as_secs_f64())]
    Timeout {
        /// The executable as given.
        executable: PathBuf,
        /// The timeout that ran out.
        timeout: Duration,
    },
    /// The reported marker values do not parse as PEP 440 versions.
    #[error("`{}` reports marker values that are not PEP 440 versions", executable.display())]
    Markers {
        /// The interpreter.
        executable: PathBuf,
        /// The parse failure.
        #[source]
        source: pep508_rs::pep440_rs::VersionParseError,
    },
}

fn stderr_tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(5)..];
    format!(":\n  {}", tail.join("\n  "))
}

impl ProbeError {
    /// The fix to suggest, printed after the error as `hint: …`.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Missing { .. } => Some(
                "the interpreter may belong to a module that is no longer loaded: `module load python`, or choose another with `--python`"
                    .to_owned(),
            ),
            Self::Spawn { .. } | Self::InvalidOutput { .. } => Some(
                "point `--python` at a Python 3 interpreter, e.g. `--python 3.11`".to_owned(),
            ),
            Self::Failed { stderr, .. } if stderr.contains("_manylinux") => Some(
                "the `_manylinux.py` found on `PYTHONPATH` is broken; check `PYTHONPATH`".to_owned(),
            ),
            Self::Failed { .. } => Some(
                "a `PYTHONPATH` or `PYTHONHOME` set by hand can break the interpreter; try `module purge` then `module load python`"
                    .to_owned(),
            ),
            Self::Timeout { .. } => Some(
                "the interpreter hangs at startup (a slow or dead file system, a wrapper waiting for input); choose another with `--python`"
                    .to_owned(),
            ),
            Self::Markers { .. } => None,
        }
    }
}

/// Whether a probe answer came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// A valid entry was used; the interpreter was not run.
    Hit,
    /// No entry existed (or no cache directory is configured).
    Miss,
    /// An entry existed for another state of the interpreter (touched, replaced, other
    /// `PYTHONPATH`) and was replaced.
    Stale,
    /// An entry existed but could not be read as JSON, and was replaced.
    Corrupt,
}

impl fmt::Display for CacheStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::Stale => "stale",
            Self::Corrupt => "corrupt",
        })
    }
}

/// Probes an interpreter, using and refreshing the cache (see the module docs).
pub fn probe(executable: &Path, env: &PythonEnv) -> Result<InterpreterInfo, ProbeError> {
    probe_with_cache_status(executable, env).map(|(info, _)| info)
}

/// [`probe`], also telling whether the cache answered.
pub fn probe_with_cache_status(
    executable: &Path,
    env: &PythonEnv,
) -> Result<(InterpreterInfo, CacheStatus), ProbeError> {
    let executable = std::path::absolute(executable).unwrap_or_else(|_| executable.to_owned());
    let key = CacheKey::new(&executable, env)?;
    let Some(cache_dir) = env.probe_cache_dir() else {
        return probe_uncached(&executable, env).map(|info| (info, CacheStatus::Miss));
    };
    let entry_path = cache_dir.join(format!("{}.json", key.file_stem()));
    let status = match std::fs::read(&entry_path) {
        Err(_) => CacheStatus::Miss,
        Ok(bytes) => match serde_json::from_slice::<CacheEntry>(&bytes) {
            Ok(entry) if entry.key == key => return Ok((entry.info, CacheStatus::Hit)),
            Ok(_) => CacheStatus::Stale,
            Err(_) => CacheStatus::Corrupt,
        },
    };
    let info = probe_uncached(&executable, env)?;
    // A cache that cannot be written only costs the next run a probe.
    let _ = write_entry(
        &entry_path,
        &CacheEntry {
            key,
            info: info.clone(),
        },
    );
    Ok((info, status))
}

/// Stores `info` as the cached answer for `executable`, as [`probe`] would after running it
/// (same key: the file's identity now, `pyvenv.cfg`, the variables): for an answer obtained
/// through another path to the same interpreter and environment. An unfinished venv
/// (`wharf-venv`) is probed through `.wharf-bin/python` before its `bin/python` exists; the
/// two answers differ only in `executable`, which the caller sets. Never an error: a cache
/// that cannot be written costs the next run a probe.
pub fn remember(executable: &Path, info: &InterpreterInfo, env: &PythonEnv) {
    let executable = std::path::absolute(executable).unwrap_or_else(|_| executable.to_owned());
    let (Ok(key), Some(cache_dir)) = (CacheKey::new(&executable, env), env.probe_cache_dir())
    else {
        return;
    };
    let entry_path = cache_dir.join(format!("{}.json", key.file_stem()));
    let _ = write_entry(
        &entry_path,
        &CacheEntry {
            key,
            info: info.clone(),
        },
    );
}

/// Runs the probe script, without the cache, killing the interpreter (and its process group)
/// after [`PythonEnv::probe_timeout`].
pub fn probe_uncached(executable: &Path, env: &PythonEnv) -> Result<InterpreterInfo, ProbeError> {
    use std::os::unix::process::CommandExt as _;
    let timeout = env.probe_timeout();
    let mut child = Command::new(executable)
        .arg("-c")
        .arg(PROBE_SCRIPT)
        .env_clear()
        .envs(env.subprocess_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills what a wrapper script started too.
        .process_group(0)
        .spawn()
        .map_err(|source| ProbeError::Spawn {
            executable: executable.to_owned(),
            source,
        })?;
    let stdout = read_in_thread(child.stdout.take());
    let stderr = read_in_thread(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => break Err(()),
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(source) => {
                kill_group(&mut child);
                return Err(ProbeError::Spawn {
                    executable: executable.to_owned(),
                    source,
                });
            }
        }
    };
    let Ok(status) = status else {
        kill_group(&mut child);
        return Err(ProbeError::Timeout {
            executable: executable.to_owned(),
            timeout,
        });
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if !status.success() {
        return Err(ProbeError::Failed {
            executable: executable.to_owned(),
            status,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        });
    }
    InterpreterInfo::from_json(&stdout).map_err(|source| ProbeError::InvalidOutput {
        executable: executable.to_owned(),
        source,
    })
}

/// Reads a child's pipe to the end on a thread (so neither pipe can fill and block the child).
fn read_in_thread(
    pipe: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Kills the child's process group (the child leads it), then reaps the child.
fn kill_group(child: &mut std::process::Child) {
    let _ = rustix::process::kill_process_group(
        rustix::process::Pid::from_child(child),
        rustix::process::Signal::KILL,
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// What a cached answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheKey {
    executable: PathBuf,
    canonical: PathBuf,
    mtime: (i64, i64),
    size: u64,
    pyvenv_cfg_mtime: Option<(i64, i64)>,
    pythonpath: Option<String>,
    home: Option<PathBuf>,
    script: String,
}

impl CacheKey {
    fn new(executable: &Path, env: &PythonEnv) -> Result<Self, ProbeError> {
        let missing = |source| ProbeError::Missing {
            executable: executable.to_owned(),
            source,
        };
        let canonical = std::fs::canonicalize(executable).map_err(missing)?;
        let metadata = std::fs::metadata(&canonical).map_err(missing)?;
        let pyvenv_cfg_mtime = executable
            .parent()
            .and_then(Path::parent)
            .and_then(|venv| std::fs::metadata(venv.join("pyvenv.cfg")).ok())
            .map(|metadata| (metadata.mtime(), metadata.mtime_nsec()));
        Ok(Self {
            executable: executable.to_owned(),
            canonical,
            mtime: (metadata.mtime(), metadata.mtime_nsec()),
            size: metadata.size(),
            pyvenv_cfg_mtime,
            pythonpath: env
                .pythonpath
                .as_ref()
                .map(|value| value.to_string_lossy().into_owned()),
            home: env.home.clone(),
            script: hex(&Sha256::digest(PROBE_SCRIPT.as_bytes())[..8]),
        })
    }

    /// One file per executable location; the rest of the key is checked inside.
    fn file_stem(&self) -> String {
        let digest = Sha256::digest(self.executable.as_os_str().as_encoded_bytes());
        hex(&digest[..12])
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    key: CacheKey,
    info: InterpreterInfo,
}

/// Writes an entry atomically (temp file in the same directory, then rename).
fn write_entry(path: &Path, entry: &CacheEntry) -> std::io::Result<()> {
    let dir = path.parent().expect("cache entries live in a directory");
    fs_err::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut file, entry)?;
    file.write_all(b"\n")?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// Every manylinux answer of an interpreter as a map `"manylinux_2_17" -> allowed`, for
/// reports (`wharf python find --verbose`).
pub fn manylinux_report(info: &InterpreterInfo) -> BTreeMap<String, bool> {
    let top = info.glibc().map_or(17, |(_, minor)| minor.max(17));
    (5..=top)
        .map(|minor| {
            (
                format!("manylinux_2_{minor}"),
                info.manylinux_compatible(2, minor),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;
    use std::time::{Duration, SystemTime};

    /// What the probe printed for a CPython 3.11.7 in a venv, with a refusing `_manylinux`.
    const SAMPLE: &str = include_str!("fixtures/probe-cpython-3.11-venv-manylinux-refused.json");

    fn sample() -> InterpreterInfo {
        InterpreterInfo::from_json(SAMPLE.as_bytes()).unwrap()
    }

    #[test]
    fn parses_probe_output() {
        let info = sample();
        assert_eq!(info.version(), "3.11.7");
        assert_eq!(info.major_minor(), (3, 11));
        assert_eq!(info.cache_tag.as_deref(), Some("cpython-311"));
        assert!(info.is_venv());
        assert_eq!(info.base_interpreter(), Path::new("/opt/py/bin/python3.11"));
        assert_eq!(info.glibc(), Some((2, 36)));
        assert_eq!(info.python_version(), Some(PartialVersion::new(3, 11, 7)));
    }

    #[test]
    fn manylinux_follows_pep_600() {
        let mut info = sample();
        // The function answers win over the legacy attribute.
        assert!(!info.manylinux_compatible(2, 17));
        assert!(!info.manylinux_compatible(2, 5));
        // `None` means "default heuristics": allowed when glibc is new enough.
        assert!(info.manylinux_compatible(2, 28));
        // Newer than the interpreter's glibc: never.
        assert!(!info.manylinux_compatible(2, 39));
        assert!(info.manylinux_refused_by_policy());

        // Without the function, the legacy attributes decide their own tag only.
        info.manylinux.manylinux_compatible = None;
        assert!(info.manylinux_compatible(2, 17));
        info.manylinux.manylinux2014_compatible = Some(false);
        assert!(!info.manylinux_compatible(2, 17));
        assert!(info.manylinux_compatible(2, 28));

        // No `_manylinux` at all: glibc alone decides.
        info.manylinux.module = None;
        assert!(info.manylinux_compatible(2, 17));
        assert!(!info.manylinux_refused_by_policy());
        assert_eq!(manylinux_report(&info).len(), 32);
    }

    #[test]
    fn marker_environment_evaluates() {
        let markers = sample().marker_environment().unwrap();
        let requirement: pep508_rs::Requirement =
            "numpy; python_version >= '3.10' and sys_platform == 'linux'"
                .parse()
                .unwrap();
        assert!(requirement.evaluate_markers(&markers, &[]));
        let requirement: pep508_rs::Requirement =
            "tomli; python_full_version < '3.11.0'".parse().unwrap();
        assert!(!requirement.evaluate_markers(&markers, &[]));
        assert_eq!(
            MarkerEnvironment::try_from(&sample())
                .unwrap()
                .platform_machine(),
            "x86_64"
        );
    }

    #[test]
    fn err_bad_markers() {
        let mut info = sample();
        info.markers.python_full_version = "three".to_owned();
        let error = info.marker_environment().unwrap_err();
        insta::assert_snapshot!(error, @"`/env/bin/python` reports marker values that are not PEP 440 versions");
    }

    #[test]
    fn venv_paths_from_scheme_and_fallback() {
        let mut info = sample();
        let paths = info.venv_paths(Path::new("/new"));
        assert_eq!(
            paths.purelib,
            Path::new("/new/lib/python3.11/site-packages")
        );
        assert_eq!(paths.include, Path::new("/new/include/python3.11"));
        assert_eq!(paths.scripts, Path::new("/new/bin"));
        assert_eq!(paths.data.as_os_str(), "/new");
        info.venv_scheme = None;
        assert_eq!(info.venv_paths(Path::new("/new")), paths);
    }

    #[test]
    fn err_invalid_output() {
        let error = ProbeError::InvalidOutput {
            executable: "/usr/bin/python2".into(),
            source: InterpreterInfo::from_json(b"Python 2.7.18").unwrap_err(),
        };
        insta::assert_snapshot!(error, @"`/usr/bin/python2` did not answer the probe as a Python 3 interpreter does");
        assert!(error.hint().unwrap().contains("--python"));
    }

    /// A fake interpreter: a shell script that prints [`SAMPLE`] and counts its runs.
    struct FakePython {
        dir: tempfile::TempDir,
    }

    impl FakePython {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            fs_err::write(dir.path().join("answer.json"), SAMPLE).unwrap();
            let script = format!(
                "#!/bin/sh\necho run >> '{0}/runs'\ncat '{0}/answer.json'\n",
                dir.path().display()
            );
            let executable = dir.path().join("bin/python3.11");
            fs_err::create_dir_all(executable.parent().unwrap()).unwrap();
            fs_err::write(&executable, script).unwrap();
            fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
            Self { dir }
        }

        fn executable(&self) -> PathBuf {
            self.dir.path().join("bin/python3.11")
        }

        fn runs(&self) -> usize {
            fs_err::read_to_string(self.dir.path().join("runs"))
                .map_or(0, |text| text.lines().count())
        }

        fn env(&self) -> PythonEnv {
            PythonEnv {
                wharf_cache_dir: Some(self.dir.path().join("cache")),
                path: Some("/usr/bin:/bin".into()),
                ..PythonEnv::default()
            }
        }

        fn cache_entries(&self) -> Vec<PathBuf> {
            fs_err::read_dir(self.dir.path().join("cache/interpreters"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect()
        }
    }

    #[test]
    fn remembered_answer_is_a_cache_hit() {
        let fake = FakePython::new();
        let env = fake.env();
        let mut info = probe_uncached(&fake.executable(), &env).unwrap();
        info.executable = PathBuf::from("/elsewhere/bin/python");
        remember(&fake.executable(), &info, &env);
        let (cached, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Hit, 1));
        assert_eq!(cached, info);
        // Without a cache directory nothing is written, and nothing fails.
        remember(&fake.executable(), &info, &PythonEnv::default());
    }

    #[test]
    fn cache_hit_then_invalidated_by_touch() {
        let fake = FakePython::new();
        let env = fake.env();
        let (first, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Miss, 1));
        let (second, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Hit, 1));
        assert_eq!(first, second);

        // Touch the interpreter: the entry is stale and the interpreter runs again.
        let file = std::fs::File::options()
            .write(true)
            .open(fake.executable())
            .unwrap();
        file.set_modified(SystemTime::now() + Duration::from_secs(5))
            .unwrap();
        drop(file);
        let (_, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Stale, 2));
        let (_, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Hit, 2));
        assert_eq!(fake.cache_entries().len(), 1);
    }

    #[test]
    fn cache_keyed_by_pythonpath() {
        let fake = FakePython::new();
        let env = fake.env();
        probe(&fake.executable(), &env).unwrap();
        let other = PythonEnv {
            pythonpath: Some("/site/python".into()),
            ..env.clone()
        };
        let (_, status) = probe_with_cache_status(&fake.executable(), &other).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Stale, 2));
    }

    #[test]
    fn corrupt_cache_entry_is_reprobed() {
        let fake = FakePython::new();
        let env = fake.env();
        probe(&fake.executable(), &env).unwrap();
        for entry in fake.cache_entries() {
            fs_err::write(entry, "{ not json").unwrap();
        }
        let (info, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Corrupt, 2));
        assert_eq!(info, sample());
        let (_, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!(status, CacheStatus::Hit);
    }

    #[test]
    fn unwritable_cache_is_not_fatal() {
        let fake = FakePython::new();
        let blocker = fake.dir.path().join("blocker");
        fs_err::write(&blocker, "a file where the cache dir should be").unwrap();
        let env = PythonEnv {
            wharf_cache_dir: Some(blocker.join("cache")),
            ..fake.env()
        };
        let (_, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!(status, CacheStatus::Miss);
        let (_, status) = probe_with_cache_status(&fake.executable(), &env).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Miss, 2));
    }

    #[test]
    fn subprocess_gets_only_the_explicit_environment() {
        // The test process has whatever the machine exports (PIP_*, CARGO_*, …); the probe
        // must see PATH, HOME and PYTHONPATH only (plus what sh itself sets).
        let fake = FakePython::new();
        let executable = fake.dir.path().join("bin/python3");
        fs_err::write(
            &executable,
            format!(
                "#!/bin/sh\nenv > '{0}/env'\ncat '{0}/answer.json'\n",
                fake.dir.path().display()
            ),
        )
        .unwrap();
        fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
        let env = PythonEnv {
            home: Some("/home/someone".into()),
            pythonpath: Some("/site/python".into()),
            ..fake.env()
        };
        probe_uncached(&executable, &env).unwrap();
        let seen = fs_err::read_to_string(fake.dir.path().join("env")).unwrap();
        let mut names: Vec<&str> = seen
            .lines()
            .filter_map(|line| line.split_once('=').map(|(name, _)| name))
            .filter(|name| !matches!(*name, "PWD" | "SHLVL" | "_" | "OLDPWD"))
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["HOME", "PATH", "PYTHONPATH"]);
        assert!(seen.contains("PYTHONPATH=/site/python\n"));
    }

    #[test]
    fn err_missing_interpreter() {
        let error = probe(Path::new("/no/such/python3"), &PythonEnv::default()).unwrap_err();
        insta::assert_snapshot!(error, @"cannot probe `/no/such/python3`: the interpreter is missing");
    }

    #[test]
    fn err_interpreter_fails() {
        let dir = tempfile::tempdir().unwrap();
        let executable = dir.path().join("python3");
        fs_err::write(
            &executable,
            "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'ImportError: bad _manylinux' >&2\nexit 1\n",
        )
        .unwrap();
        fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
        let error = probe_uncached(&executable, &PythonEnv::default()).unwrap_err();
        let message = error
            .to_string()
            .replace(&dir.path().display().to_string(), "[TEMP]");
        insta::assert_snapshot!(message, @"
        `[TEMP]/python3` failed while probing it (exit status: 1):
          Traceback (most recent call last):
          ImportError: bad _manylinux
        ");
        assert!(error.hint().unwrap().contains("_manylinux.py"));
    }

    #[test]
    fn err_hanging_interpreter_times_out() {
        // A `python3.13` that never answers, and leaves a child holding the pipes.
        let dir = tempfile::tempdir().unwrap();
        let executable = dir.path().join("python3.13");
        fs_err::write(&executable, "#!/bin/sh\nsleep 60\n").unwrap();
        fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
        let env = PythonEnv {
            probe_timeout: Some(Duration::from_millis(300)),
            no_cache: true,
            path: Some("/usr/bin:/bin".into()),
            ..PythonEnv::default()
        };
        let start = std::time::Instant::now();
        let error = probe(&executable, &env).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
        assert!(matches!(error, ProbeError::Timeout { .. }), "{error}");
        let message = error
            .to_string()
            .replace(&dir.path().display().to_string(), "[TEMP]");
        insta::assert_snapshot!(message, @"`[TEMP]/python3.13` did not answer the probe within 0.3 s and was killed");
        assert!(error.hint().unwrap().contains("--python"));
    }

    #[test]
    fn default_probe_timeout_is_ten_seconds() {
        assert_eq!(
            PythonEnv::default().probe_timeout(),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn no_cache_neither_reads_nor_writes() {
        let fake = FakePython::new();
        let env = fake.env();
        // A valid entry exists...
        probe(&fake.executable(), &env).unwrap();
        assert_eq!(fake.runs(), 1);
        let no_cache = PythonEnv {
            no_cache: true,
            ..env.clone()
        };
        // ...and is not read: the interpreter runs every time.
        let (_, status) = probe_with_cache_status(&fake.executable(), &no_cache).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Miss, 2));
        let (_, status) = probe_with_cache_status(&fake.executable(), &no_cache).unwrap();
        assert_eq!((status, fake.runs()), (CacheStatus::Miss, 3));
        // Nothing is written: with the entries gone, no new one appears.
        for entry in fake.cache_entries() {
            fs_err::remove_file(entry).unwrap();
        }
        probe(&fake.executable(), &no_cache).unwrap();
        assert!(fake.cache_entries().is_empty());
    }

    /// A free-threaded CPython 3.13.1 (`python3.13t`), from the 3.11 sample.
    fn free_threaded() -> InterpreterInfo {
        let json = SAMPLE
            .replace("3.11.7", "3.13.1")
            .replace("python3.11", "python3.13t")
            .replace("cpython-311", "cpython-313t")
            .replace("\"3.11\"", "\"3.13\"")
            .replace("\"abiflags\": \"\"", "\"abiflags\": \"t\"")
            .replace(
                "\"py_debug\": false",
                "\"py_debug\": false, \"py_gil_disabled\": true",
            )
            .replacen("3,\n    11,\n    7", "3,\n    13,\n    1", 1);
        let info = InterpreterInfo::from_json(json.as_bytes()).unwrap();
        assert_eq!(info.major_minor(), (3, 13));
        info
    }

    #[test]
    fn tags_of_a_free_threaded_interpreter() {
        let mut info = free_threaded();
        assert!(info.is_free_threaded());
        // No `_manylinux`: every tag of glibc 2.36 is allowed, nothing was removed.
        info.manylinux.module = None;
        let (tags, full) = info.tags(false);
        assert!(full.is_none());
        let tags: Vec<String> = tags.iter().map(ToString::to_string).collect();
        assert_eq!(tags[0], "cp313-cp313t-manylinux_2_36_x86_64");
        assert!(tags.contains(&"cp313-cp313t-linux_x86_64".to_owned()));
        assert!(
            !tags.iter().any(|tag| tag.starts_with("cp313-cp313-")),
            "{tags:?}"
        );
        assert!(!tags.iter().any(|tag| tag.contains("abi3")), "{tags:?}");
        assert!(tags.contains(&"py3-none-any".to_owned()));
    }

    #[test]
    fn tags_apply_the_site_policy() {
        // The sample's `_manylinux` refuses manylinux: linux_x86_64 only, the full set kept.
        let info = sample();
        let (tags, full) = info.tags(false);
        let first: Vec<String> = tags.iter().take(2).map(ToString::to_string).collect();
        assert_eq!(
            first,
            ["cp311-cp311-linux_x86_64", "cp311-abi3-linux_x86_64"]
        );
        assert!(!tags.iter().any(|tag| tag.platform.is_manylinux()));
        let full = full.unwrap();
        assert_eq!(
            full.priority("cp311", "cp311", "manylinux_2_17_x86_64"),
            Some(19)
        );
        // Overridden: the full set, nothing to explain.
        let (tags, full) = info.tags(true);
        assert!(full.is_none());
        assert!(tags.iter().any(|tag| tag.platform.is_manylinux()));

        let mut debug = free_threaded();
        debug.py_debug = true;
        let abis: Vec<String> = debug.abi_tags().iter().map(ToString::to_string).collect();
        assert_eq!(abis, ["cp313td", "cp313t"]);
    }

    #[test]
    fn venv_paths_of_a_free_threaded_interpreter() {
        let mut info = free_threaded();
        let paths = info.venv_paths(Path::new("/new"));
        assert_eq!(
            paths.purelib,
            Path::new("/new/lib/python3.13t/site-packages")
        );
        assert_eq!(paths.include, Path::new("/new/include/python3.13t"));
        // Without the probe's scheme, the fallback knows `t` too (and not `d`).
        info.venv_scheme = None;
        info.py_debug = true;
        info.abiflags = "td".to_owned();
        assert_eq!(info.venv_paths(Path::new("/new")), paths);
    }
}
