//! `wharf doctor`: what is wrong with a virtual environment and the shell it runs in.
//!
//! Every check reads files and the variables of [`Env`]; the only process run is the
//! interpreter probe, and it is cached (`wharf-python`), so a healthy environment is
//! diagnosed in a few milliseconds plus one `stat` per installed file. Checks, in order
//! (the `check` names of [`Finding`]):
//!
//! | check | rule |
//! | --- | --- |
//! | `environment-incomplete` | `wharf venv --from` was killed before the packages were installed (or is installing them): `.wharf-incomplete` and no `bin/python` ([`wharf_venv::incomplete`]) |
//! | `base-interpreter-missing` | `pyvenv.cfg`'s `home`/`executable` is gone, or `bin/python` dangles |
//! | `interpreter-fails` | `bin/python` exists but does not run (a damaged file — refused by the kernel or killed by a signal — is rebuilt from another Python; an error at startup gets the probe's hint) |
//! | `base-interpreter-changed` | the interpreter's `major.minor` is not `pyvenv.cfg`'s `version` |
//! | `files-damaged` | a `RECORD` file is missing, resized, or newer than `RECORD` with another sha256 |
//! | `module-python-mismatch` | `EBVERSIONPYTHON`'s `major.minor` differs from the environment's, or `EBROOTPYTHON` is another install |
//! | `python-not-from-env` | the environment is active but the first `python` on `PATH` is not its `bin/python` |
//! | `pythonpath-by-hand` | a `PYTHONPATH` entry is relative, missing, or under `$HOME` (modules never put one there) |
//! | `pythonpath-shadows` | a `PYTHONPATH` entry provides a top-level import name the environment also installs |
//! | `user-site-shadows` | the environment sees `~/.local` (`--system-site-packages`, no `PYTHONNOUSERSITE`) and imports packages from it (those it does not install itself; they also win over the base Python's) |
//! | `numpy-abi` | numpy ≥ 2 is installed and a package's extension was compiled against numpy 1.x ([`crate::numpy_abi`]) |
//! | `requires-python` | an installed distribution's `Requires-Python` excludes the interpreter |
//! | `wheel-python-tag` | an installed distribution's `WHEEL` tags are all `cpXY` (not `abi3`) for another Python |
//! | `dependency-conflict` | `pip check`'s rule ([`wharf_environment::operations::check`]) |
//! | `manylinux-against-policy` | the site refuses manylinux, and a distribution without the `computecanada` label came from a manylinux wheel |
//!
//! A fix that installs something names only what the wheelhouse has for the interpreter
//! ([`DoctorInput::wheelhouse`], [`crate::wheelhouse`]): a version it lacks is not suggested,
//! and the fix says what exists instead. Without a wheelhouse (`None`) the fixes are not
//! checked.
//!
//! Outside any environment, [`crate::shell`] checks the shell itself.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};
use serde::Serialize;
use wharf_env::{Env, EnvVars};
use wharf_environment::PythonEnvironment;
use wharf_environment::operations::{self, CheckProblem};
use wharf_install::{InstalledDist, SitePackages};
use wharf_python::{ProbeError, PythonEnv, PyvenvCfg};
use wharf_site::PythonVersion;

use crate::files::{VerifyMode, verify_files};
use crate::numpy_abi::NumpyAbiRemedy;
use crate::wheelhouse::{Offered, Wheelhouse, cpython_tags, newest_matching, offered_version};
use crate::{Finding, numpy_abi, shell_quote};
use wharf_digest::DigestCache;
use wharf_wheel_filename::Tags;

/// What [`doctor`] looks at.
#[derive(Debug, Clone)]
pub struct DoctorInput<'a> {
    /// The environment's root (the directory holding `pyvenv.cfg`).
    pub root: PathBuf,
    /// The shell's variables (`VIRTUAL_ENV`, `PATH`, `PYTHONPATH`, `EBROOTPYTHON`,
    /// `EBVERSIONPYTHON`, `HOME`, `PYTHONUSERBASE`, `PYTHONNOUSERSITE`).
    pub env: &'a Env,
    /// The interpreter probe's view of the same variables.
    pub python_env: &'a PythonEnv,
    /// The Python versions the module system offers (for `module load python/X.Y` fixes);
    /// empty off-site.
    pub module_pythons: Vec<PythonVersion>,
    /// The wheelhouse `wharf install` reads, which fixes are checked against; `None`: not
    /// known, fixes name what was installed without checking.
    pub wheelhouse: Option<&'a Wheelhouse>,
}

/// The diagnosis of one environment.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// The environment.
    pub environment: PathBuf,
    /// The interpreter's version, when it runs. Ex) `3.11.9`
    pub python: Option<String>,
    /// The problems, in the order of the checks.
    pub findings: Vec<Finding>,
    /// Facts that are not problems (stale `RECORD` hashes of re-tagged wheels, a patch
    /// upgrade of the base interpreter).
    pub notes: Vec<String>,
    /// What was checked, by check name.
    pub checked: Vec<&'static str>,
    /// Distributions installed in the environment.
    pub distributions: usize,
    /// Files verified against `RECORD`.
    pub files: usize,
}

impl DoctorReport {
    /// Whether nothing is wrong.
    pub fn is_healthy(&self) -> bool {
        self.findings.is_empty()
    }
}

/// What the wheelhouse answers for a reinstall of an installed distribution.
enum Reinstall {
    /// There is no wheelhouse to ask (or no tags to ask with).
    Unchecked,
    /// It has no build of the project for the interpreter.
    Absent,
    /// The build to install, and the `wharf install` arguments that do
    /// (`--reinstall 'name==V'`).
    Build {
        /// The wheelhouse's build.
        build: Offered,
        /// `--reinstall 'name==V'`.
        args: String,
    },
}

impl Reinstall {
    /// The build of `name` (installed `installed`) among `offered` (its versions in the
    /// wheelhouse, newest first; `None`: not checked): the installed public version when there,
    /// else the newest.
    fn choose(name: &str, installed: &str, offered: Option<&[Offered]>) -> Self {
        let Some(offered) = offered else {
            return Self::Unchecked;
        };
        match offered_version(offered, installed).or_else(|| offered.first()) {
            Some(build) => Self::Build {
                args: format!(
                    "--reinstall {}",
                    shell_quote(&format!("{name}=={}", build.public_version()))
                ),
                build: build.clone(),
            },
            None => Self::Absent,
        }
    }
}

struct Doctor<'a> {
    input: &'a DoctorInput<'a>,
    report: DoctorReport,
    /// Whether the environment is the active one (`VIRTUAL_ENV`): fixes omit `--python`.
    active: bool,
    /// The interpreter's compatible tags under the site's policy (from its probe, else from
    /// `pyvenv.cfg`'s version), for what the wheelhouse offers it; `None` until known.
    tags: Option<Tags>,
    /// The environment's `major.minor`, once known. Ex) `3.11`
    python: Option<String>,
}

/// Diagnoses the environment of `input` and the shell around it.
pub fn doctor(input: &DoctorInput<'_>) -> DoctorReport {
    let root = input.root.clone();
    let active = input
        .env
        .path(EnvVars::VIRTUAL_ENV)
        .is_some_and(|v| same_path(&v, &root));
    let mut doctor = Doctor {
        input,
        report: DoctorReport {
            environment: root.clone(),
            python: None,
            findings: Vec::new(),
            notes: Vec::new(),
            checked: Vec::new(),
            distributions: 0,
            files: 0,
        },
        active,
        tags: None,
        python: None,
    };
    doctor.run();
    doctor.report
}

impl Doctor<'_> {
    fn root(&self) -> &Path {
        &self.input.root
    }

    fn push(&mut self, finding: Finding) {
        self.report.findings.push(finding);
    }

    fn checked(&mut self, check: &'static str) {
        if !self.report.checked.contains(&check) {
            self.report.checked.push(check);
        }
    }

    /// `wharf VERB [--python ENV] ARGS`.
    fn wharf(&self, verb: &str, args: &str) -> String {
        if self.active {
            format!("wharf {verb} {args}")
        } else {
            format!(
                "wharf {verb} --python {} {args}",
                shell_quote(&self.root().display().to_string())
            )
        }
    }

    /// The versions of `project` the wheelhouse has for the interpreter, newest first; `None`
    /// when there is no wheelhouse or the interpreter's tags are not known.
    fn offered(&self, project: &str) -> Option<Vec<Offered>> {
        let wheelhouse = self.input.wheelhouse?;
        Some(wheelhouse.offered(project, self.tags.as_ref()?))
    }

    /// Why the wheelhouse has nothing, when it is not configured (see
    /// [`Wheelhouse::unconfigured_note`]).
    fn unconfigured_note(&self) -> &'static str {
        self.input
            .wheelhouse
            .map_or("", Wheelhouse::unconfigured_note)
    }

    /// The build of `name` to reinstall from the wheelhouse: the installed public version when
    /// the wheelhouse has it, else its newest.
    fn reinstall_from_wheelhouse(&self, name: &str, installed: &str) -> Reinstall {
        Reinstall::choose(name, installed, self.offered(name).as_deref())
    }

    /// `Python 3.11`, or `this Python` before the version is known.
    fn python_label(&self) -> String {
        self.python
            .as_ref()
            .map_or_else(|| "this Python".to_string(), |v| format!("Python {v}"))
    }

    /// The tags of `version` (when the interpreter cannot run), for the wheelhouse.
    fn assume_python(&mut self, version: Option<PythonVersion>) {
        if let Some(version) = version {
            self.tags = Some(cpython_tags(version));
            self.python = Some(version.to_string());
        }
    }

    fn run(&mut self) {
        let root = self.root().to_path_buf();
        self.checked("base-interpreter-missing");
        let cfg = match PyvenvCfg::read_venv(&root) {
            Ok(cfg) => cfg,
            Err(error) => {
                self.push(
                    Finding::new(
                        "base-interpreter-missing",
                        format!("`{}` is not a virtual environment", root.display()),
                        "it has no readable `pyvenv.cfg` (PEP 405)",
                    )
                    .evidence(error.to_string())
                    .fix("create one: `wharf venv ENV --python 3.11` (or pass `--python ENV`)"),
                );
                return;
            }
        };
        let cfg_version = cfg
            .version_text()
            .and_then(|v| PythonVersion::from_str(v).ok());
        self.assume_python(cfg_version);
        self.checked("environment-incomplete");
        if let Some(incomplete) = wharf_venv::incomplete(&root) {
            let mut finding = Finding::new(
                "environment-incomplete",
                format!("`{}` is an incomplete environment", root.display()),
                "`wharf venv --from` was killed before its packages were installed, or is still installing them: the environment gets `bin/python` only once they are",
            )
            .evidence(format!(
                "{} exists; {} does not",
                root.join(wharf_venv::INCOMPLETE_MARKER).display(),
                root.join("bin/python").display()
            ))
            .fix(incomplete.hint());
            if let Some(creator) = &incomplete.creator {
                finding = finding.evidence(format!("created by {creator}"));
            }
            self.push(finding);
            return;
        }
        let python = root.join("bin").join("python");
        if !self.base_interpreter_exists(&cfg, cfg_version, &python) {
            self.offline_checks(cfg_version);
            return;
        }
        self.checked("interpreter-fails");
        let info = match wharf_python::probe(&python, self.input.python_env) {
            Ok(info) => info,
            Err(error) => {
                let finding = self.interpreter_fails(&error, &python, cfg_version);
                self.push(finding);
                self.offline_checks(cfg_version);
                return;
            }
        };
        self.report.python = Some(info.version().to_string());
        let (major, minor) = info.major_minor();
        self.checked("base-interpreter-changed");
        if let Some(recorded) = cfg_version {
            let running = (major, minor);
            if (u64::from(recorded.major), u64::from(recorded.minor)) != running {
                let module = format!("python/{recorded}");
                self.push(
                    Finding::new(
                        "base-interpreter-changed",
                        format!(
                            "the environment was made with Python {recorded} but its interpreter is now Python {}",
                            info.version()
                        ),
                        format!(
                            "the base interpreter was replaced (a module upgrade): packages in `lib/python{recorded}/site-packages` are not on `sys.path` of Python {major}.{minor}"
                        ),
                    )
                    .evidence(format!(
                        "pyvenv.cfg: version = {}",
                        cfg.version_text().unwrap_or_default()
                    ))
                    .evidence(format!("{} runs Python {}", resolved(&python), info.version()))
                    .fix(self.recreate_fix(&recorded.to_string(), &module)),
                );
            } else if let Some(text) = cfg.version_text()
                && text != info.version()
                && !text.starts_with(info.version())
            {
                self.report.notes.push(format!(
                    "the base interpreter was upgraded in place from {text} to {} (same {major}.{minor}: compiled packages keep working)",
                    info.version()
                ));
            }
        }
        let environment = match PythonEnvironment::from_probe(python.clone(), info) {
            Ok(e) => e,
            Err(error) => {
                self.push(
                    Finding::new(
                        "base-interpreter-missing",
                        format!("`{}` is not a virtual environment", root.display()),
                        "its interpreter reports no venv (sys.prefix == sys.base_prefix)",
                    )
                    .evidence(error.to_string()),
                );
                return;
            }
        };
        let (major, minor) = environment.python_version();
        self.tags = Some(environment.tags(false).0);
        self.python = Some(format!("{major}.{minor}"));
        self.online_checks(&environment);
    }

    /// The `interpreter-fails` finding for `bin/python`, which exists but failed the probe.
    /// A file the kernel refuses (`Exec format error`) or that dies from a signal before
    /// answering is a damaged base interpreter (cut short by an interrupted copy or sync, a
    /// full quota): the fix is a new environment from a working Python. Otherwise the
    /// interpreter ran and failed, and the probe's own hint (`PYTHONPATH`, `PYTHONHOME`) fits.
    fn interpreter_fails(
        &self,
        error: &ProbeError,
        python: &Path,
        cfg_version: Option<PythonVersion>,
    ) -> Finding {
        let what = format!(
            "the interpreter of `{}` does not run",
            self.root().display()
        );
        let evidence = |finding: Finding| {
            finding
                .evidence(wharf_fs::error_chain(error))
                .evidence(format!("{} ({})", resolved(python), file_size(python)))
        };
        let cause = match error {
            ProbeError::Spawn { source, .. } if source.raw_os_error() == Some(ENOEXEC) => {
                "the base interpreter is not a program this machine can run: a file cut short or overwritten (an interrupted copy or sync, a full quota), or built for another system"
            }
            ProbeError::Spawn { .. } => {
                "the base interpreter cannot be executed (no execute permission, a file system mounted `noexec`)"
            }
            ProbeError::Failed { status, .. } if status.signal() == Some(SIGILL) => {
                "the base interpreter crashes at startup with an illegal instruction: it was built for a newer CPU than this node's"
            }
            ProbeError::Failed { status, .. } if status.signal().is_some() => {
                "the base interpreter crashes at startup (killed by a signal): a file cut short or corrupted (an interrupted copy or sync, a full quota)"
            }
            _ => {
                let finding = evidence(Finding::new(
                    "interpreter-fails",
                    what,
                    "the base interpreter or a library it needs is broken or not loaded",
                ));
                return match error.hint() {
                    Some(hint) => finding.fix(hint),
                    None => finding,
                };
            }
        };
        let version = cfg_version.map_or_else(|| "3.11".to_string(), |v| v.to_string());
        evidence(Finding::new("interpreter-fails", what, cause))
            .fix(self.recreate_fix(&version, &format!("python/{version}")))
    }

    /// Checks `pyvenv.cfg`'s base interpreter and `bin/python`; false (with a finding) when
    /// the environment cannot run.
    fn base_interpreter_exists(
        &mut self,
        cfg: &PyvenvCfg,
        cfg_version: Option<PythonVersion>,
        python: &Path,
    ) -> bool {
        let root = self.root().to_path_buf();
        let mut evidence = Vec::new();
        if let Some(home) = &cfg.home
            && !home.is_dir()
        {
            evidence.push(format!(
                "pyvenv.cfg: home = {} (does not exist)",
                home.display()
            ));
        }
        if let Some(executable) = &cfg.executable
            && !executable.exists()
        {
            evidence.push(format!(
                "pyvenv.cfg: executable = {} (does not exist)",
                executable.display()
            ));
        }
        let link = std::fs::symlink_metadata(python);
        if link.is_err() {
            evidence.push(format!("{} does not exist", python.display()));
        } else if !python.exists() {
            let target = std::fs::read_link(python)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            evidence.push(format!(
                "{} -> {target} (dangling symlink)",
                python.display()
            ));
        }
        if evidence.is_empty() {
            return true;
        }
        let version = cfg_version.map_or_else(|| "3.11".to_string(), |v| v.to_string());
        let mut finding = Finding::new(
            "base-interpreter-missing",
            format!("the base interpreter of `{}` is gone", root.display()),
            "the Python installation the environment was made from was removed or moved (a module upgrade, a purged or moved directory); a venv cannot run without it",
        );
        finding.evidence = evidence;
        let finding = finding.fix(self.recreate_fix(&version, &format!("python/{version}")));
        self.push(finding);
        false
    }

    /// The fix for an environment that must be recreated: its packages, reinstalled.
    fn recreate_fix(&self, version: &str, module: &str) -> String {
        let root = shell_quote(&self.root().display().to_string());
        let dists = self.guess_installed(PythonVersion::from_str(version).ok());
        let mut packages: Vec<String> = dists
            .iter()
            .filter(|d| d.requested)
            .map(requirement_pin)
            .collect();
        if packages.is_empty() {
            packages = dists
                .iter()
                .filter(|d| !matches!(d.normalized_name().as_str(), "pip" | "setuptools" | "wheel"))
                .map(requirement_pin)
                .collect();
        }
        // Only what the wheelhouse has for that Python can be reinstalled from it.
        let mut missing: Vec<String> = Vec::new();
        if let (Some(wheelhouse), Ok(python)) =
            (self.input.wheelhouse, PythonVersion::from_str(version))
        {
            let tags = cpython_tags(python);
            packages.retain(|pin| {
                let (name, pinned) = pin.split_once("==").unwrap_or((pin, ""));
                let found = offered_version(&wheelhouse.offered(name, &tags), pinned).is_some();
                if !found {
                    missing.push(pin.clone());
                }
                found
            });
        }
        let install = if packages.is_empty() {
            String::new()
        } else {
            format!(" && wharf install --python {root} {}", packages.join(" "))
        };
        let mut fix = format!(
            "recreate it: `module load {module} && mv {root} {root}.broken && wharf venv {root} --python {version}{install}`"
        );
        if !missing.is_empty() {
            fix.push_str(&format!(
                "; the wheelhouse has no wheel of {} for Python {version}{}: install {} from where {} came (a wheel file, `wharf install --python {root} -f DIR …`), or another version (`wharf avail --explain NAME`)",
                missing.join(", "),
                self.unconfigured_note(),
                if missing.len() == 1 { "it" } else { "them" },
                if missing.len() == 1 { "it" } else { "they" },
            ));
        }
        fix
    }

    /// The environment's distributions found without running its interpreter
    /// (`lib/pythonX.Y/site-packages`, or any `lib/python*/site-packages`).
    fn guess_installed(&self, version: Option<PythonVersion>) -> Vec<InstalledDist> {
        let lib = self.root().join("lib");
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some(v) = version {
            dirs.push(lib.join(format!("python{v}")).join("site-packages"));
        }
        if let Ok(entries) = std::fs::read_dir(&lib) {
            let mut found: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path().join("site-packages"))
                .filter(|p| p.is_dir())
                .collect();
            found.sort();
            dirs.extend(found);
        }
        SitePackages::scan(dirs)
            .map(|s| s.dists)
            .unwrap_or_default()
    }

    /// The checks that need no interpreter, for an environment that cannot run.
    fn offline_checks(&mut self, version: Option<PythonVersion>) {
        let dists = self.guess_installed(version);
        self.files_check(&dists);
    }

    fn online_checks(&mut self, environment: &PythonEnvironment) {
        let dists = match environment.installed() {
            Ok(d) => d,
            Err(error) => {
                self.report
                    .notes
                    .push(format!("cannot list the installed distributions: {error}"));
                Vec::new()
            }
        };
        self.files_check(&dists);
        self.module_check(environment);
        self.path_check(environment);
        let owners = top_level_owners(&dists);
        self.pythonpath_check(environment, &owners);
        self.user_site_check(environment, &dists);
        self.numpy_check(environment, &dists);
        self.python_checks(environment, &dists);
        self.dependency_check(environment);
        self.manylinux_check(environment, &dists);
    }

    fn files_check(&mut self, dists: &[InstalledDist]) {
        self.checked("files-damaged");
        self.report.distributions = dists.len();
        let report = verify_files(dists, VerifyMode::Quick, &DigestCache::disabled());
        self.report.files = report.files;
        let mut by_dist: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut stale = 0;
        for problem in &report.problems {
            if problem.stale_record {
                stale += 1;
                continue;
            }
            by_dist
                .entry((problem.dist.clone(), problem.version.clone()))
                .or_default()
                .push(format!(
                    "{}: {}{}",
                    problem.path.display(),
                    problem.damage,
                    problem.shared_note()
                ));
        }
        if stale > 0 {
            self.report.notes.push(format!(
                "{stale} files differ from RECORD hashes that pip copied from re-tagged site wheels (expected; `wharf check --files` lists them)"
            ));
        }
        for (name, error) in &report.unreadable {
            self.report
                .notes
                .push(format!("cannot read RECORD of {name}: {error}"));
        }
        for ((name, version), files) in by_dist {
            let count = files.len();
            let mut finding = Finding::new(
                "files-damaged",
                format!("{name} {version}: {count} installed files are missing or changed"),
                "files were deleted or edited after installation (a scratch purge removes files not accessed for 60 days; an edit in site-packages)",
            );
            for line in files.iter().take(5) {
                finding = finding.evidence(line.clone());
            }
            if count > 5 {
                finding = finding.evidence(format!("… and {} more", count - 5));
            }
            let pin = format!("{name}=={}", public_version(&version));
            let reinstall = format!(
                "reinstall it: `{}`",
                self.wharf("install", &format!("--reinstall {}", shell_quote(&pin)))
            );
            let mut fix = match self.offered(&name) {
                Some(offered) if offered_version(&offered, &version).is_none() => {
                    let mut fix = format!(
                        "the wheelhouse has no {name} {} for {}{}: reinstall it from the wheel it came from (`{}`)",
                        public_version(&version),
                        self.python_label(),
                        self.unconfigured_note(),
                        self.wharf(
                            "install",
                            &format!("--reinstall DIR/{name}-{}-*.whl", public_version(&version))
                        )
                    );
                    if let Some(newest) = offered.first() {
                        fix.push_str(&format!(
                            ", or install the wheelhouse's {name} {}: `{}`",
                            newest.version,
                            self.wharf(
                                "install",
                                &format!(
                                    "--reinstall {}",
                                    shell_quote(&format!("{name}=={}", newest.public_version()))
                                )
                            )
                        ));
                    }
                    fix
                }
                _ => reinstall,
            };
            fix.push_str("; `wharf check --files` verifies every hash");
            if files.iter().any(|line| line.contains("other hard link")) {
                fix.push_str(&format!(
                    "; the edit is shared through hard links with the wheel cache and the environments made from it: run `wharf check --files --python ENV` in each and `wharf install --reinstall {} --python ENV` where it reports",
                    shell_quote(&pin)
                ));
            }
            self.push(finding.fix(fix));
        }
    }

    fn module_check(&mut self, environment: &PythonEnvironment) {
        self.checked("module-python-mismatch");
        let env = self.input.env;
        let (major, minor) = environment.info.major_minor();
        let ours = format!("{major}.{minor}");
        let activate = format!(
            "source {}/bin/activate",
            shell_quote(&self.root().display().to_string())
        );
        if let Some(loaded) = env.get(EnvVars::EBVERSIONPYTHON) {
            let loaded_minor = PythonVersion::from_str(&loaded).ok();
            if loaded_minor.is_some_and(|v| v.to_string() != ours) {
                self.push(
                    Finding::new(
                        "module-python-mismatch",
                        format!(
                            "the loaded module is python/{loaded}, but the environment is Python {}",
                            environment.info.version()
                        ),
                        "a Python module was loaded after the environment was activated (or the environment was made with another one); `python` and compiled packages may not match",
                    )
                    .evidence(format!("EBVERSIONPYTHON={loaded}"))
                    .evidence(format!(
                        "pyvenv.cfg base: {}",
                        environment.info.base_prefix.display()
                    ))
                    .fix(format!("`module load python/{ours}` then `{activate}`")),
                );
                return;
            }
        }
        if let Some(root) = env.path(EnvVars::EBROOTPYTHON)
            && !same_path(&root, &environment.info.base_prefix)
        {
            self.push(
                Finding::new(
                    "module-python-mismatch",
                    format!(
                        "the loaded Python module is another installation than the environment's base ({})",
                        environment.info.base_prefix.display()
                    ),
                    "a Python module (or another StdEnv) was loaded after the environment was made",
                )
                .evidence(format!("EBROOTPYTHON={}", root.display()))
                .evidence(format!(
                    "sys.base_prefix of the environment: {}",
                    environment.info.base_prefix.display()
                ))
                .fix(format!(
                    "load the module the environment was made with (`module load python/{ours}`, same StdEnv), then `{activate}`; or recreate the environment with the loaded one"
                )),
            );
        }
    }

    fn path_check(&mut self, environment: &PythonEnvironment) {
        self.checked("python-not-from-env");
        if !self.active {
            return;
        }
        let path = self.input.env.get_os(EnvVars::PATH).unwrap_or_default();
        let bin = self.root().join("bin");
        let first = first_on_path(path, "python");
        let ours = first
            .as_ref()
            .is_some_and(|p| p.parent().is_some_and(|d| same_path(d, &bin)));
        if ours {
            return;
        }
        let activate = format!(
            "source {}/bin/activate",
            shell_quote(&self.root().display().to_string())
        );
        let mut finding = Finding::new(
            "python-not-from-env",
            format!(
                "the environment `{}` is active but `python` is not its interpreter",
                self.root().display()
            ),
            "PATH was changed after activation (a `module load` puts its `bin` first, or PATH was set by hand)",
        );
        finding = match &first {
            Some(p) => finding.evidence(format!("`python` on PATH: {}", p.display())),
            None => finding.evidence("no `python` on PATH"),
        };
        let position = std::env::split_paths(path).position(|d| same_path(&d, &bin));
        finding = finding.evidence(match position {
            Some(i) => format!("{} is PATH entry {}", bin.display(), i + 1),
            None => format!("{} is not on PATH", bin.display()),
        });
        let _ = environment;
        self.push(finding.fix(format!(
            "activate it again, after any `module load`: `{activate}`"
        )));
    }

    fn pythonpath_check(
        &mut self,
        environment: &PythonEnvironment,
        owners: &HashMap<String, (String, String)>,
    ) {
        self.checked("pythonpath-by-hand");
        self.checked("pythonpath-shadows");
        let Some(pythonpath) = self.input.env.get_os(EnvVars::PYTHONPATH) else {
            return;
        };
        let home = self.input.env.path(EnvVars::HOME);
        let entries: Vec<PathBuf> = std::env::split_paths(pythonpath).collect();
        let without = |drop: &Path| pythonpath_without(&entries, drop);
        for entry in &entries {
            let reason = by_hand_reason(entry, home.as_deref());
            let shadowed = shadowed_names(entry, owners);
            if let Some(reason) = reason {
                let mut finding = Finding::new(
                    "pythonpath-by-hand",
                    format!("PYTHONPATH contains `{}`, set by hand", entry.display()),
                    format!(
                        "{reason}; PYTHONPATH comes before the environment's site-packages, so what it holds wins over the environment"
                    ),
                )
                .evidence(format!(
                    "PYTHONPATH={}",
                    pythonpath.to_string_lossy()
                ));
                for (name, dist) in shadowed.iter().take(5) {
                    finding = finding.evidence(format!(
                        "`import {name}` loads {} instead of the environment's {dist}",
                        entry.join(name).display()
                    ));
                }
                self.push(finding.fix(format!("`{}`", without(entry))));
            } else if !shadowed.is_empty() {
                let provided = SitePackages::scan([entry])
                    .map(|s| s.dists)
                    .unwrap_or_default();
                let mut finding = Finding::new(
                    "pythonpath-shadows",
                    format!(
                        "PYTHONPATH entry `{}` shadows packages the environment also has",
                        entry.display()
                    ),
                    "a module puts its packages on PYTHONPATH, which comes before the environment's site-packages: `import` loads the module's copy, and the environment's is ignored",
                );
                for (name, dist) in &shadowed {
                    let theirs = provided
                        .iter()
                        .find(|d| {
                            d.normalized_name() == normalize(dist.split(' ').next().unwrap_or(""))
                        })
                        .map_or_else(
                            || format!("`{name}`"),
                            |d| format!("{} {}", d.name, d.version),
                        );
                    finding = finding.evidence(format!(
                        "`import {name}`: {theirs} from PYTHONPATH wins over the environment's {dist}"
                    ));
                }
                let names: Vec<String> = shadowed
                    .iter()
                    .map(|(_, d)| d.split(' ').next().unwrap_or("").to_string())
                    .collect();
                let fix = format!(
                    "use one copy: remove the environment's (`{}`) to use the module's, or `module unload` the module that set `{}`",
                    self.wharf("uninstall", &names.join(" ")),
                    entry.display()
                );
                self.push(finding.fix(fix));
            }
        }
        let _ = environment;
    }

    fn user_site_check(&mut self, environment: &PythonEnvironment, dists: &[InstalledDist]) {
        self.checked("user-site-shadows");
        let env = self.input.env;
        let Some(user_site) = user_site_dir(env, environment.info.major_minor()) else {
            return;
        };
        if !user_site.is_dir() {
            return;
        }
        let user_dists = SitePackages::scan([&user_site])
            .map(|s| s.dists)
            .unwrap_or_default();
        if user_dists.is_empty() {
            return;
        }
        let cfg = PyvenvCfg::read_venv(self.root()).unwrap_or_default();
        let disabled = env.is_set(EnvVars::PYTHONNOUSERSITE);
        if !cfg.include_system_site_packages || disabled {
            let why = if disabled {
                "PYTHONNOUSERSITE is set"
            } else {
                "the environment has no --system-site-packages"
            };
            self.report.notes.push(format!(
                "{} holds {} `--user` packages; this environment does not see them ({why}), but `python` outside it does",
                user_site.display(),
                user_dists.len()
            ));
            return;
        }
        // sys.path of such a venv: stdlib, the venv's site-packages, ~/.local, the base's
        // site-packages. The venv's own packages win; the rest come from ~/.local first.
        let in_env: Vec<String> = dists.iter().map(InstalledDist::normalized_name).collect();
        let base_dirs: Vec<&PathBuf> = environment
            .info
            .sys_path
            .iter()
            .filter(|p| !p.starts_with(self.root()) && !same_path(p, &user_site))
            .collect();
        let base = SitePackages::scan(base_dirs)
            .map(|s| s.dists)
            .unwrap_or_default();
        let visible: Vec<&InstalledDist> = user_dists
            .iter()
            .filter(|d| !in_env.contains(&d.normalized_name()))
            .collect();
        if visible.is_empty() {
            self.report.notes.push(format!(
                "{} holds `--user` packages the environment also installs (its own copies win)",
                user_site.display()
            ));
            return;
        }
        let mut finding = Finding::new(
            "user-site-shadows",
            format!(
                "the environment imports `--user` packages from {}",
                user_site.display()
            ),
            "the environment was made with --system-site-packages, so `~/.local` is on its sys.path, before the base Python's packages: what `pip install --user` put there is imported whenever the environment does not install it itself",
        );
        for dist in &visible {
            let shadows = base
                .iter()
                .find(|b| b.normalized_name() == dist.normalized_name())
                .map(|b| format!(", over the base Python's {} {}", b.name, b.version))
                .unwrap_or_default();
            finding = finding.evidence(format!(
                "{} {} is imported from ~/.local{shadows}",
                dist.name, dist.version
            ));
        }
        let names: Vec<String> = visible.iter().map(|d| d.name.clone()).collect();
        let (major, minor) = environment.info.major_minor();
        let (command, missing) = install_offered(
            &names,
            &|name| self.offered(name),
            &|args| self.wharf("install", args),
            &self.python_label(),
            self.unconfigured_note(),
        );
        let install = match (command, missing) {
            (Some(command), None) => format!("(`{command}`)"),
            (Some(command), Some(missing)) => format!("(`{command}`; {missing})"),
            (None, Some(missing)) => format!("({missing})"),
            (None, None) => String::new(),
        };
        self.push(finding.fix(format!(
            "`export PYTHONNOUSERSITE=1` (add it to ~/.bashrc) and install what the environment needs into it {install}, or remove them: `python{major}.{minor} -m pip uninstall {}` outside the environment",
            names.join(" ")
        )));
    }

    fn numpy_check(&mut self, environment: &PythonEnvironment, dists: &[InstalledDist]) {
        self.checked("numpy-abi");
        let outside = environment.installed_outside().unwrap_or_default();
        let Some(numpy) = dists
            .iter()
            .chain(&outside)
            .find(|d| d.normalized_name() == "numpy")
        else {
            return;
        };
        let major = numpy
            .version
            .split('.')
            .next()
            .and_then(|m| m.parse::<u32>().ok());
        if major.is_none_or(|m| m < 2) {
            return;
        }
        for dist in dists.iter().chain(&outside) {
            if dist.normalized_name() == "numpy" || !numpy_abi::requires_numpy(dist) {
                continue;
            }
            let old = numpy_abi::numpy1_extensions(dist);
            if old.is_empty() {
                continue;
            }
            let mut finding = Finding::new(
                "numpy-abi",
                format!(
                    "{} {} was built against numpy 1.x, but numpy {} is installed",
                    dist.name, dist.version, numpy.version
                ),
                "extensions compiled with numpy 1.x headers cannot be imported under numpy 2 (`ImportError: numpy.core.multiarray failed to import`); its metadata does not exclude numpy 2, so `pip check` is satisfied",
            );
            for path in old.iter().take(3) {
                finding = finding.evidence(format!(
                    "{}: imports `numpy.core._multiarray_umath` only (numpy 1.x C API)",
                    path.display()
                ));
            }
            if old.len() > 3 {
                finding = finding.evidence(format!("… and {} more extensions", old.len() - 3));
            }
            let fix = match (self.offered(&dist.name), self.offered("numpy")) {
                (Some(package), Some(numpy)) => {
                    let remedy = NumpyAbiRemedy::find(&dist.name, &dist.version, &package, &numpy);
                    let python = self.python.clone().unwrap_or_default();
                    for line in remedy.evidence(&python) {
                        finding = finding.evidence(line);
                    }
                    remedy.fix(
                        &python,
                        &|args| self.wharf("install", args),
                        &|args| self.wharf("uninstall", args),
                        self.unconfigured_note(),
                    )
                }
                // No wheelhouse to check: name the two remedies without versions.
                _ => format!(
                    "`{}`, or a build of {} made for numpy 2: `{}`",
                    self.wharf("install", "'numpy<2'"),
                    dist.name,
                    self.wharf("install", &format!("--upgrade {}", dist.name))
                ),
            };
            self.push(finding.fix(fix));
        }
    }

    fn python_checks(&mut self, environment: &PythonEnvironment, dists: &[InstalledDist]) {
        self.checked("requires-python");
        self.checked("wheel-python-tag");
        let full = environment.python_full_version();
        let (major, minor) = environment.python_version();
        for dist in dists {
            if let Some(text) = &dist.requires_python
                && let Ok(specifiers) = VersionSpecifiers::from_str(text)
                && !specifiers.contains(&full)
            {
                let module = self.python_for(&specifiers);
                let mut finding = Finding::new(
                    "requires-python",
                    format!(
                        "{} {} requires Python {text}, but the environment is Python {full}",
                        dist.name, dist.version
                    ),
                    "it was installed against its metadata (`--ignore-requires-python`, a copied site-packages, or an older installer)",
                )
                .evidence(format!("{}/METADATA: Requires-Python: {text}", dist.path.display()));
                let other = match self.offered(&dist.name) {
                    None => Ok(format!(
                        "a version of {} for Python {major}.{minor}: `{}`",
                        dist.name,
                        self.wharf("install", &format!("--reinstall {}", dist.name))
                    )),
                    Some(offered) => match supporting(&offered, &full) {
                        Some(fit) => {
                            finding = finding.evidence(format!(
                                "the wheelhouse has {} {} for Python {major}.{minor}, which supports it",
                                dist.name, fit.version
                            ));
                            let pin =
                                shell_quote(&format!("{}=={}", dist.name, fit.public_version()));
                            let args = if fit.public_version() == public_version(&dist.version) {
                                format!("--reinstall {pin}")
                            } else {
                                pin
                            };
                            Ok(format!(
                                "{} {}, which supports Python {major}.{minor}: `{}`",
                                dist.name,
                                fit.version,
                                self.wharf("install", &args)
                            ))
                        }
                        None if offered.is_empty() => Err(format!(
                            "the wheelhouse has no {} for Python {major}.{minor}{}",
                            dist.name,
                            self.unconfigured_note()
                        )),
                        None => Err(format!(
                            "the wheelhouse's {} ({}) do not support Python {full} either",
                            dist.name,
                            crate::wheelhouse::versions_text(&offered)
                        )),
                    },
                };
                finding = finding.fix(match (module, other) {
                    (Some(v), Ok(other)) => format!(
                        "use a Python it supports: `module load python/{v}` and a new environment (`wharf venv ENV --python {v}`), or {other}"
                    ),
                    (Some(v), Err(none)) => format!(
                        "use a Python it supports: `module load python/{v}` and a new environment (`wharf venv ENV --python {v}`); {none}"
                    ),
                    (None, Ok(other)) => format!("install {other}"),
                    (None, Err(none)) => format!(
                        "{none}: remove it if nothing needs it (`{}`)",
                        self.wharf("uninstall", &dist.name)
                    ),
                });
                self.push(finding);
            }
            let tags = wheel_tags(dist);
            let ours = format!("cp{major}{minor}");
            let cpython: Vec<&String> = tags
                .iter()
                .filter(|t| t.starts_with("cp") && !t.contains("-abi3-") && !t.contains("-none-"))
                .collect();
            if !cpython.is_empty()
                && cpython.len() == tags.len()
                && !cpython.iter().any(|t| t.starts_with(&format!("{ours}-")))
            {
                let theirs = cpython[0].split('-').next().unwrap_or_default();
                let version = theirs
                    .strip_prefix("cp3")
                    .map(|m| format!("3.{m}"))
                    .unwrap_or_default();
                self.push(
                    Finding::new(
                        "wheel-python-tag",
                        format!(
                            "{} {} was built for CPython {version} (`{theirs}`), the environment is CPython {major}.{minor} (`{ours}`)",
                            dist.name, dist.version
                        ),
                        "its extensions are compiled for another Python's ABI and will not import",
                    )
                    .evidence(format!("{}/WHEEL: Tag: {}", dist.path.display(), cpython[0]))
                    .fix(match self.reinstall_from_wheelhouse(&dist.name, &dist.version) {
                        Reinstall::Unchecked => format!(
                            "`module load python/{version}` and a new environment, or the build for Python {major}.{minor}: `{}`",
                            self.wharf("install", &format!("--reinstall {}", dist.name))
                        ),
                        Reinstall::Build { build, args } => format!(
                            "`module load python/{version}` and a new environment, or the wheelhouse's build for Python {major}.{minor} ({} {}): `{}`",
                            dist.name,
                            build.version,
                            self.wharf("install", &args)
                        ),
                        Reinstall::Absent => format!(
                            "`module load python/{version}` and a new environment; the wheelhouse has no build of {} for Python {major}.{minor}{}",
                            dist.name,
                            self.unconfigured_note()
                        ),
                    }),
                );
            }
        }
    }

    /// The newest module Python whose version satisfies `specifiers`, else the lowest
    /// `3.X` (X in 6..=14) that does.
    fn python_for(&self, specifiers: &VersionSpecifiers) -> Option<String> {
        let ok = |v: PythonVersion| {
            [0u64, 99].iter().any(|micro| {
                specifiers.contains(&Version::new([
                    u64::from(v.major),
                    u64::from(v.minor),
                    *micro,
                ]))
            })
        };
        let mut modules = self.input.module_pythons.clone();
        modules.sort();
        if let Some(v) = modules.into_iter().rev().find(|v| ok(*v)) {
            return Some(v.to_string());
        }
        (6..=14)
            .map(|minor| PythonVersion { major: 3, minor })
            .find(|v| ok(*v))
            .map(|v| v.to_string())
    }

    fn dependency_check(&mut self, environment: &PythonEnvironment) {
        self.checked("dependency-conflict");
        let Ok(mut all) = environment.installed_on_sys_path(false) else {
            return;
        };
        all.sort_by_key(InstalledDist::normalized_name);
        let Ok(markers) = environment.marker_environment() else {
            return;
        };
        for problem in operations::check(&all, &markers) {
            let (dependency, requirement) = match &problem {
                CheckProblem::Missing { requirement, .. } => {
                    (requirement.to_string(), requirement.to_string())
                }
                CheckProblem::Conflict {
                    requirement,
                    dependency,
                    ..
                } => (
                    dependency.clone(),
                    requirement
                        .split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                ),
            };
            let command = format!("`{}`", self.wharf("install", &shell_quote(&requirement)));
            let mut finding = Finding::new(
                "dependency-conflict",
                problem.to_string().trim_end_matches('.').to_string(),
                "a package was installed or upgraded alone (`--no-deps`, a later install of another version), so a dependency no longer matches",
            )
            .evidence("`wharf check` (pip check's rule)");
            let offered = self.offered(&dependency);
            let found = offered
                .as_deref()
                .and_then(|offered| requirement_satisfier(&requirement, offered));
            let fix = match (&offered, found) {
                (None, _) => command,
                (Some(_), Some(found)) => {
                    finding = finding.evidence(format!(
                        "the wheelhouse has {dependency} {} for {}",
                        found.version,
                        self.python_label()
                    ));
                    command
                }
                (Some(offered), None) => {
                    let (CheckProblem::Missing { dist, version, .. }
                    | CheckProblem::Conflict { dist, version, .. }) = &problem;
                    format!(
                        "the wheelhouse has no {dependency} matching `{requirement}` for {} (it has: {}){}: install a version of {dist} that accepts what is there (`wharf avail --explain {dist}` lists them; {dist} {version} is installed), or get a {dependency} wheel that matches (`wharf avail --explain {dependency}`)",
                        self.python_label(),
                        crate::wheelhouse::versions_text(offered),
                        self.unconfigured_note()
                    )
                }
            };
            self.push(finding.fix(fix));
        }
    }

    fn manylinux_check(&mut self, environment: &PythonEnvironment, dists: &[InstalledDist]) {
        self.checked("manylinux-against-policy");
        if !environment.info.manylinux_refused_by_policy() {
            return;
        }
        let policy = environment
            .info
            .manylinux
            .module
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        for dist in dists {
            if dist.version.contains("computecanada") {
                continue;
            }
            let tags = wheel_tags(dist);
            let Some(tag) = tags.iter().find(|t| t.contains("manylinux")) else {
                continue;
            };
            self.push(
                Finding::new(
                    "manylinux-against-policy",
                    format!(
                        "{} {} was installed from a manylinux wheel, which the site refuses",
                        dist.name, dist.version
                    ),
                    "manylinux wheels from PyPI bundle their own libraries and are not built for the cluster's software stack (installed with `--allow-manylinux` or from outside the wheelhouse)",
                )
                .evidence(format!("{}/WHEEL: Tag: {tag}", dist.path.display()))
                .evidence(format!("site policy: {policy} answers False for manylinux"))
                .fix(match self.reinstall_from_wheelhouse(&dist.name, &dist.version) {
                    Reinstall::Unchecked => format!(
                        "install the site's build: `{}`",
                        self.wharf("install", &format!("--reinstall {}", dist.name))
                    ),
                    Reinstall::Build { build, args } => format!(
                        "install the site's build, {} {}: `{}`",
                        dist.name,
                        build.version,
                        self.wharf("install", &args)
                    ),
                    Reinstall::Absent => format!(
                        "the wheelhouse has no build of {} for {} that the site accepts{}: keep this one knowingly, or remove it (`{}`) and ask your site's staff for a build",
                        dist.name,
                        self.python_label(),
                        self.unconfigured_note(),
                        self.wharf("uninstall", &dist.name)
                    ),
                }),
            );
        }
    }
}

/// Why a `PYTHONPATH` entry was set by hand, when its path shows it: relative (it depends on the
/// working directory), missing, or under `home` (modules never put their packages there).
pub(crate) fn by_hand_reason(entry: &Path, home: Option<&Path>) -> Option<&'static str> {
    if entry.as_os_str().is_empty() || entry.is_relative() {
        Some("a relative entry (it depends on the working directory)")
    } else if !entry.exists() {
        Some("the directory does not exist")
    } else if home.is_some_and(|h| entry.starts_with(h)) {
        Some("it is under $HOME (modules never put their packages there)")
    } else {
        None
    }
}

/// The shell command that sets `PYTHONPATH` to `entries` without `drop`: `export
/// PYTHONPATH=…`, or `unset PYTHONPATH` when nothing is left.
pub(crate) fn pythonpath_without(entries: &[PathBuf], drop: &Path) -> String {
    let kept: Vec<String> = entries
        .iter()
        .filter(|e| e.as_path() != drop)
        .map(|e| e.display().to_string())
        .collect();
    if kept.is_empty() {
        "unset PYTHONPATH".to_string()
    } else {
        format!("export PYTHONPATH={}", shell_quote(&kept.join(":")))
    }
}

/// The user site-packages of Python `major.minor` in the shell `env`:
/// `$PYTHONUSERBASE/lib/pythonX.Y/site-packages`, else `~/.local/lib/…`; `None` without
/// either variable.
pub(crate) fn user_site_dir(env: &Env, (major, minor): (u64, u64)) -> Option<PathBuf> {
    let user_base = env
        .path(EnvVars::PYTHONUSERBASE)
        .or_else(|| env.path(EnvVars::HOME).map(|h| h.join(".local")))?;
    Some(
        user_base
            .join("lib")
            .join(format!("python{major}.{minor}"))
            .join("site-packages"),
    )
}

/// The fix part that installs `names` into an environment with `install` (`wharf install
/// [--python ENV] ARGS`), only those the wheelhouse has (`offered`: name ▸ its versions for
/// the interpreter, `None` unchecked); the others are named as absent from it. Empty when
/// there is nothing to say.
pub(crate) fn install_offered(
    names: &[String],
    offered: &dyn Fn(&str) -> Option<Vec<Offered>>,
    install: &dyn Fn(&str) -> String,
    python: &str,
    note: &str,
) -> (Option<String>, Option<String>) {
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for name in names {
        match offered(name) {
            Some(versions) if versions.is_empty() => absent.push(name.clone()),
            _ => present.push(name.clone()),
        }
    }
    let command = (!present.is_empty()).then(|| install(&present.join(" ")));
    let missing = (!absent.is_empty()).then(|| {
        format!(
            "the wheelhouse has no {} for {python}{note}",
            absent.join(", ")
        )
    });
    (command, missing)
}

/// The newest of `offered` (a project's versions in the wheelhouse) that satisfies the PEP 508
/// `requirement` (its version specifiers; a bare name takes the newest).
pub(crate) fn requirement_satisfier<'a>(
    requirement: &str,
    offered: &'a [Offered],
) -> Option<&'a Offered> {
    let parsed: pep508_rs::Requirement = requirement.parse().ok()?;
    match parsed.version_or_url {
        Some(pep508_rs::VersionOrUrl::VersionSpecifier(specifiers)) => {
            newest_matching(offered, &specifiers)
        }
        Some(pep508_rs::VersionOrUrl::Url(_)) => None,
        None => offered.first(),
    }
}

/// The newest of `offered` whose wheel's `Requires-Python` contains `python` (a wheel that
/// declares none does), looking into at most five wheels.
pub(crate) fn supporting<'a>(offered: &'a [Offered], python: &Version) -> Option<&'a Offered> {
    offered.iter().take(5).find(|o| {
        crate::wheelhouse::wheel_requires_python(&o.path).is_some_and(|requires| {
            requires.is_none_or(|text| {
                VersionSpecifiers::from_str(&text).is_ok_and(|s| s.contains(python))
            })
        })
    })
}

/// `errno` of "Exec format error": the kernel does not recognize the file as a program.
const ENOEXEC: i32 = 8;

/// The signal of "Illegal instruction": code for a CPU the machine is not.
const SIGILL: i32 = 4;

/// `PATH -> FILE`, the file a symlink chain ends at (just `PATH` when it is no symlink or
/// cannot be resolved).
pub(crate) fn resolved(path: &Path) -> String {
    match std::fs::canonicalize(path) {
        Ok(target) if target != path => format!("{} -> {}", path.display(), target.display()),
        _ => path.display().to_string(),
    }
}

/// The size of the file `path` names, for evidence: `8792 bytes`.
fn file_size(path: &Path) -> String {
    std::fs::metadata(path).map_or_else(
        |error| format!("cannot stat: {error}"),
        |metadata| format!("{} bytes", metadata.len()),
    )
}

/// `name==public version` (the local label dropped).
fn requirement_pin(dist: &InstalledDist) -> String {
    format!("{}=={}", dist.name, public_version(&dist.version))
}

/// `version` without its local label. Ex) `1.26.4+computecanada` → `1.26.4`
pub(crate) fn public_version(version: &str) -> &str {
    version.split('+').next().unwrap_or(version)
}

pub(crate) fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The `Tag:` lines of a distribution's `WHEEL` file.
pub fn wheel_tags(dist: &InstalledDist) -> Vec<String> {
    std::fs::read_to_string(dist.path.join("WHEEL"))
        .map(|text| wharf_metadata::Headers::parse(&text).get_all("Tag"))
        .unwrap_or_default()
}

/// The top-level import name of a site-packages entry name: `six.py` → `six`,
/// `_cffi_backend.cpython-311-x86_64-linux-gnu.so` → `_cffi_backend`, `numpy` → `numpy`;
/// `None` for metadata, bytecode and `.pth` files.
pub fn import_name_of(entry: &str) -> Option<&str> {
    if entry.ends_with(".dist-info")
        || entry.ends_with(".egg-info")
        || entry.ends_with(".data")
        || entry.ends_with(".pth")
        || entry == "__pycache__"
        || entry.starts_with('.')
        || entry == ".."
    {
        return None;
    }
    let stem = entry.split('.').next().unwrap_or(entry);
    let is_module = entry.ends_with(".py") || entry.ends_with(".so") || entry.ends_with(".pyd");
    (is_module || !entry.contains('.'))
        .then_some(stem)
        .filter(|s| !s.is_empty())
}

/// Top-level import name ▸ `(name version)` of the distribution whose `RECORD` installs it.
pub(crate) fn top_level_owners(dists: &[InstalledDist]) -> HashMap<String, (String, String)> {
    let mut owners = HashMap::new();
    for dist in dists {
        let Ok(entries) = dist.record() else { continue };
        for entry in entries {
            let first = entry.path.split('/').next().unwrap_or_default();
            if first == ".." {
                continue;
            }
            if let Some(name) = import_name_of(first) {
                owners
                    .entry(name.to_string())
                    .or_insert_with(|| (dist.name.clone(), dist.version.clone()));
            }
        }
    }
    owners
}

/// The import names `directory` provides that the environment installs too:
/// `(import name, "dist version")`, sorted.
pub(crate) fn shadowed_names(
    directory: &Path,
    owners: &HashMap<String, (String, String)>,
) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let name = import_name_of(name.to_str()?)?.to_string();
            let (dist, version) = owners.get(&name)?;
            Some((name, format!("{dist} {version}")))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The first executable `name` on `path`.
pub(crate) fn first_on_path(path: &OsStr, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// Whether two paths name the same directory (canonicalized when they exist).
pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// `DIR/env`, a venv (made with Python 3.11.7, six installed) whose `bin/python` links to
    /// `DIR/base/bin/python3.11`, an executable file holding `base`.
    fn venv_with_base(dir: &Path, base: &[u8]) -> (PathBuf, PathBuf) {
        let interpreter = dir.join("base/bin/python3.11");
        let venv = dir.join("env");
        let six = venv.join("lib/python3.11/site-packages/six-1.16.0.dist-info");
        fs_err::create_dir_all(interpreter.parent().unwrap()).unwrap();
        fs_err::create_dir_all(venv.join("bin")).unwrap();
        fs_err::create_dir_all(&six).unwrap();
        fs_err::write(&interpreter, base).unwrap();
        fs_err::set_permissions(&interpreter, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(&interpreter, venv.join("bin/python")).unwrap();
        fs_err::write(
            venv.join("pyvenv.cfg"),
            format!(
                "home = {}\nversion = 3.11.7\nexecutable = {}\n",
                interpreter.parent().unwrap().display(),
                interpreter.display()
            ),
        )
        .unwrap();
        fs_err::write(
            six.join("METADATA"),
            "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0+computecanada\n",
        )
        .unwrap();
        (venv, interpreter)
    }

    /// [`venv_with_base`], then the findings of `doctor` on it (an empty environment, no
    /// probe cache). One test at a time: a script executed while another thread's child
    /// still holds it open for writing fails with "Text file busy".
    fn diagnose(dir: &Path, base: &[u8]) -> (PathBuf, PathBuf, Vec<Finding>) {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (venv, interpreter) = venv_with_base(dir, base);
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let mut python_env = PythonEnv::from_env(&env);
        python_env.no_cache = true;
        let input = DoctorInput {
            root: venv.clone(),
            env: &env,
            python_env: &python_env,
            module_pythons: Vec::new(),
            wheelhouse: None,
        };
        let findings = doctor(&input).findings;
        (venv, interpreter, findings)
    }

    /// A venv whose `wharf venv --from` was killed: one finding, the fix is that command
    /// again (not "the base interpreter is gone").
    #[test]
    fn incomplete_environment_is_one_finding() {
        let dir = tempfile::tempdir().unwrap();
        let (venv, _) = venv_with_base(dir.path(), b"#!/bin/sh\n");
        fs_err::remove_file(venv.join("bin/python")).unwrap();
        fs_err::write(
            venv.join(wharf_venv::INCOMPLETE_MARKER),
            "wharf-incomplete 1\ncreator elsewhere 12 34\nrerun wharf venv /x/env --from /x/pylock.toml\n",
        )
        .unwrap();
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let python_env = PythonEnv::from_env(&env);
        let input = DoctorInput {
            root: venv.clone(),
            env: &env,
            python_env: &python_env,
            module_pythons: Vec::new(),
            wheelhouse: None,
        };
        let findings = doctor(&input).findings;
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].check, "environment-incomplete");
        assert_eq!(
            findings[0].evidence.last().map(String::as_str),
            Some("created by process 12 on host elsewhere")
        );
        assert!(
            findings[0].fix.as_deref().is_some_and(
                |fix| fix.starts_with("run `wharf venv /x/env --from /x/pylock.toml` again")
            ),
            "{findings:#?}"
        );
    }

    /// An empty base interpreter (a copy cut short by a full quota): the kernel refuses it
    /// with "Exec format error"; the evidence says so and names the file and its size; the
    /// fix recreates the environment with its packages (not "point `--python` elsewhere").
    #[test]
    fn interpreter_fails_exec_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let (venv, interpreter, findings) = diagnose(dir.path(), b"");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding.check, "interpreter-fails");
        assert!(
            finding.cause.contains("not a program this machine can run"),
            "{finding:#?}"
        );
        assert_eq!(
            finding.evidence,
            [
                format!(
                    "cannot run `{}`: Exec format error (os error 8)",
                    venv.join("bin/python").display()
                ),
                format!(
                    "{} -> {} (0 bytes)",
                    venv.join("bin/python").display(),
                    interpreter.canonicalize().unwrap().display()
                ),
            ]
        );
        let fix = finding.fix.as_deref().unwrap();
        assert!(
            fix.contains("module load python/3.11 && mv ")
                && fix.contains(" --python 3.11 && wharf install --python ")
                && fix.ends_with(" six==1.16.0`"),
            "{fix}"
        );
    }

    /// A base interpreter that dies from SIGSEGV before answering (a binary cut in half):
    /// named as a crash, with the recreate fix.
    #[test]
    fn interpreter_fails_killed_by_signal() {
        let dir = tempfile::tempdir().unwrap();
        let (_, _, findings) = diagnose(dir.path(), b"#!/bin/sh\nkill -SEGV $$\n");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding.check, "interpreter-fails");
        assert!(finding.cause.contains("crashes at startup"), "{finding:#?}");
        assert!(finding.evidence[0].contains("SIGSEGV"), "{finding:#?}");
        assert!(
            finding
                .fix
                .as_deref()
                .unwrap()
                .starts_with("recreate it: `"),
            "{finding:#?}"
        );
    }

    /// An interpreter that runs and exits with an error keeps the probe's hint.
    #[test]
    fn interpreter_fails_with_an_error_keeps_the_probe_hint() {
        let dir = tempfile::tempdir().unwrap();
        let script = b"#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n";
        let (_, _, findings) = diagnose(dir.path(), script);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding.check, "interpreter-fails");
        assert!(
            finding.evidence[0].contains("init_fs_encoding"),
            "{finding:#?}"
        );
        assert!(
            finding.fix.as_deref().unwrap().contains("PYTHONHOME"),
            "{finding:#?}"
        );
    }

    /// [`venv_with_base`] with the base interpreter removed (nothing is run) and six's
    /// `RECORD` naming a `six.py` that is gone; then the findings with `wheelhouse`, a
    /// directory holding wheels named `wheels` (empty files: only their names are read).
    fn diagnose_gone_base(dir: &Path, wheels: &[&str]) -> (PathBuf, Vec<Finding>) {
        let (venv, interpreter) = venv_with_base(dir, b"");
        fs_err::remove_file(&interpreter).unwrap();
        let site = venv.join("lib/python3.11/site-packages");
        fs_err::write(
            site.join("six-1.16.0.dist-info/RECORD"),
            "six.py,sha256=AAAA,10\nsix-1.16.0.dist-info/METADATA,,\n",
        )
        .unwrap();
        let wheelhouse_dir = dir.join("wheels");
        fs_err::create_dir_all(&wheelhouse_dir).unwrap();
        for wheel in wheels {
            fs_err::write(wheelhouse_dir.join(wheel), b"").unwrap();
        }
        let wheelhouse = Wheelhouse::new(
            wharf_site::FindLinks::from_paths([&wheelhouse_dir]),
            1,
            None,
        );
        let env = Env::from_pairs(Vec::<(String, String)>::new());
        let python_env = PythonEnv::from_env(&env);
        let input = DoctorInput {
            root: venv.clone(),
            env: &env,
            python_env: &python_env,
            module_pythons: Vec::new(),
            wheelhouse: Some(&wheelhouse),
        };
        (venv, doctor(&input).findings)
    }

    /// The recreate fix reinstalls only the pins the wheelhouse has for the environment's
    /// Python; the files-damaged fix reinstalls the same version only when the wheelhouse has
    /// it, else names the wheelhouse's.
    #[test]
    fn fixes_of_a_broken_environment_are_checked_against_the_wheelhouse() {
        let dir = tempfile::tempdir().unwrap();
        let (venv, findings) = diagnose_gone_base(
            dir.path(),
            &["six-1.16.0+computecanada-py2.py3-none-any.whl"],
        );
        let checks: Vec<&str> = findings.iter().map(|f| f.check).collect();
        assert_eq!(
            checks,
            ["base-interpreter-missing", "files-damaged"],
            "{findings:#?}"
        );
        let venv = venv.display().to_string();
        assert_eq!(
            findings[0].fix.as_deref(),
            Some(
                format!(
                    "recreate it: `module load python/3.11 && mv {venv} {venv}.broken && wharf venv {venv} --python 3.11 && wharf install --python {venv} six==1.16.0`"
                )
                .as_str()
            )
        );
        assert_eq!(
            findings[1].fix.as_deref(),
            Some(
                format!(
                    "reinstall it: `wharf install --python {venv} --reinstall six==1.16.0`; `wharf check --files` verifies every hash"
                )
                .as_str()
            )
        );

        let dir = tempfile::tempdir().unwrap();
        let (venv, findings) = diagnose_gone_base(
            dir.path(),
            &["six-1.17.0+computecanada-py2.py3-none-any.whl"],
        );
        let venv = venv.display().to_string();
        assert_eq!(
            findings[0].fix.as_deref(),
            Some(
                format!(
                    "recreate it: `module load python/3.11 && mv {venv} {venv}.broken && wharf venv {venv} --python 3.11`; the wheelhouse has no wheel of six==1.16.0 for Python 3.11: install it from where it came (a wheel file, `wharf install --python {venv} -f DIR …`), or another version (`wharf avail --explain NAME`)"
                )
                .as_str()
            )
        );
        assert_eq!(
            findings[1].fix.as_deref(),
            Some(
                format!(
                    "the wheelhouse has no six 1.16.0 for Python 3.11: reinstall it from the wheel it came from (`wharf install --python {venv} --reinstall DIR/six-1.16.0-*.whl`), or install the wheelhouse's six 1.17.0+computecanada: `wharf install --python {venv} --reinstall six==1.17.0`; `wharf check --files` verifies every hash"
                )
                .as_str()
            )
        );
    }

    fn offered(version: &str) -> Offered {
        Offered {
            version: Version::from_str(version).unwrap(),
            path: PathBuf::from(format!("/wheelhouse/x-{version}-py3-none-any.whl")),
        }
    }

    #[test]
    fn requirement_satisfier_reads_the_specifiers() {
        let offered = [offered("1.26.4+computecanada"), offered("1.21.0")];
        let found = |requirement: &str| {
            requirement_satisfier(requirement, &offered).map(|o| o.version.to_string())
        };
        assert_eq!(
            found("numpy>=1.23.2").as_deref(),
            Some("1.26.4+computecanada")
        );
        assert_eq!(found("numpy<1.22").as_deref(), Some("1.21.0"));
        assert_eq!(found("numpy").as_deref(), Some("1.26.4+computecanada"));
        assert_eq!(found("numpy>=2"), None);
        assert_eq!(requirement_satisfier("numpy", &[]), None);
    }

    /// A reinstall prefers the installed public version, else the newest; none is absent.
    #[test]
    fn reinstall_choice() {
        let offered = [
            offered("1.26.4+computecanada"),
            offered("1.25.0+computecanada"),
        ];
        match Reinstall::choose("numpy", "1.25.0", Some(&offered)) {
            Reinstall::Build { build, args } => {
                assert_eq!(build.version.to_string(), "1.25.0+computecanada");
                assert_eq!(args, "--reinstall numpy==1.25.0");
            }
            _ => panic!("expected the installed version's build"),
        }
        match Reinstall::choose("numpy", "2.0.2", Some(&offered)) {
            Reinstall::Build { args, .. } => assert_eq!(args, "--reinstall numpy==1.26.4"),
            _ => panic!("expected the newest build"),
        }
        assert!(matches!(
            Reinstall::choose("numpy", "2.0.2", Some(&[])),
            Reinstall::Absent
        ));
        assert!(matches!(
            Reinstall::choose("numpy", "2.0.2", None),
            Reinstall::Unchecked
        ));
    }

    /// A version that supports the Python is found by reading the wheels' `Requires-Python`.
    #[test]
    fn supporting_reads_requires_python_from_the_wheels() {
        let dir = tempfile::tempdir().unwrap();
        let wheel = |version: &str, requires: Option<&str>| {
            let path = dir.path().join(format!("newpy-{version}-py3-none-any.whl"));
            let mut builder = wharf_test_support::WheelBuilder::new("newpy", version, true, &[]);
            if let Some(requires) = requires {
                builder = builder.metadata_line(&format!("Requires-Python: {requires}"));
            }
            builder.write(&path);
            Offered {
                version: Version::from_str(version).unwrap(),
                path,
            }
        };
        let python = Version::from_str("3.11.7").unwrap();
        let offered = [
            wheel("2.0", Some(">=3.12")),
            wheel("1.5", Some(">=3.9")),
            wheel("1.0", None),
        ];
        assert_eq!(
            supporting(&offered, &python).map(|o| o.version.to_string()),
            Some("1.5".to_string())
        );
        assert_eq!(supporting(&offered[..1], &python), None);
        assert_eq!(
            supporting(&offered[2..], &python).map(|o| o.version.to_string()),
            Some("1.0".to_string())
        );
    }

    /// What the wheelhouse lacks is named, not installed; unchecked names are installed.
    #[test]
    fn install_offered_splits_by_the_wheelhouse() {
        let names = ["pytz".to_string(), "mytool".to_string()];
        let install = |args: &str| format!("wharf install {args}");
        let (command, missing) = install_offered(
            &names,
            &|name| {
                Some(if name == "pytz" {
                    vec![offered("2024.1")]
                } else {
                    Vec::new()
                })
            },
            &install,
            "Python 3.11",
            "",
        );
        assert_eq!(command.as_deref(), Some("wharf install pytz"));
        assert_eq!(
            missing.as_deref(),
            Some("the wheelhouse has no mytool for Python 3.11")
        );
        let (command, missing) = install_offered(&names, &|_| None, &install, "Python 3.11", "");
        assert_eq!(command.as_deref(), Some("wharf install pytz mytool"));
        assert_eq!(missing, None);
    }

    #[test]
    fn import_names_of_site_packages_entries() {
        assert_eq!(import_name_of("six.py"), Some("six"));
        assert_eq!(
            import_name_of("_cffi_backend.cpython-311-x86_64-linux-gnu.so"),
            Some("_cffi_backend")
        );
        assert_eq!(import_name_of("numpy"), Some("numpy"));
        assert_eq!(import_name_of("numpy-2.0.2.dist-info"), None);
        assert_eq!(import_name_of("distutils-precedence.pth"), None);
        assert_eq!(import_name_of("__pycache__"), None);
        assert_eq!(import_name_of("README.txt"), None);
    }
}
