//! Errors of the environment and the pipeline, each with the fix as a hint.

use std::path::PathBuf;

use pep508_rs::PackageName;

/// Why the environment to act on cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EnvironmentError {
    /// Neither `--python` nor `$VIRTUAL_ENV` names an environment, and there is no `.venv` in
    /// the current directory or its ancestors.
    #[error(
        "no virtual environment to act on: `--python` is not given, VIRTUAL_ENV is not set, and there is no .venv here or above"
    )]
    NoEnvironment,
    /// The given path has no interpreter.
    #[error("`{}` has no interpreter (`{}` does not exist)", given.display(), executable.display())]
    NoInterpreter {
        /// What was given.
        given: PathBuf,
        /// The interpreter looked for.
        executable: PathBuf,
    },
    /// The environment is a venv whose creation by `wharf venv --from` was interrupted (or is
    /// under way in another process): it has no `bin/python` yet.
    #[error(transparent)]
    Incomplete(wharf_venv::Incomplete),
    /// The interpreter could not be probed.
    #[error(transparent)]
    Probe(#[from] wharf_python::ProbeError),
    /// The interpreter is a base installation, not a venv.
    #[error("`{}` is not a virtual environment (sys.prefix is the installation `{}`)", executable.display(), prefix.display())]
    NotAVenv {
        /// The interpreter.
        executable: PathBuf,
        /// Its `sys.prefix`.
        prefix: PathBuf,
    },
    /// A site-packages directory could not be read.
    #[error("cannot list the installed distributions")]
    Scan(
        #[from]
        #[source]
        wharf_install::InstalledError,
    ),
    /// An interrupted install or uninstall in the environment could not be finished.
    #[error("cannot recover the interrupted transaction in `{}`", purelib.display())]
    Recover {
        /// The environment's purelib directory (holding `.wharf-txn-*`).
        purelib: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl EnvironmentError {
    /// How to fix it, when there is a fix to name.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NoEnvironment => Some("create one with `wharf venv` (it makes `./.venv`, which wharf then finds) or `wharf venv ENV` and `source ENV/bin/activate`, or pass `--python ENV`; wharf never installs into the system or `~/.local`".to_string()),
            Self::NoInterpreter { .. } => Some("pass a virtual environment directory or its `bin/python`".to_string()),
            Self::Incomplete(incomplete) => Some(incomplete.hint()),
            Self::Probe(error) => error.hint(),
            Self::NotAVenv { .. } => Some("wharf installs only into virtual environments: `wharf venv ENV --python ...` then `--python ENV`".to_string()),
            Self::Scan(_) => None,
            Self::Recover { .. } => Some("the environment is partly changed; fix the cause (permissions, a full disk) and run any wharf command on it again to finish the recovery".to_string()),
        }
    }
}

/// Whether `error` (or one of its causes) is a full disk or an exceeded quota.
fn out_of_space(error: &wharf_install::InstallError) -> bool {
    let full = |io: &std::io::Error| {
        matches!(
            io.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        )
    };
    // `Io` is transparent: its `source()` is the io error's own source, not the io error.
    if let wharf_install::InstallError::Io(io) = error {
        return full(io);
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && full(io)
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// One line of an explanation: a fact, or the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Diagnostic {
    /// A fact, ex) "numpy 2.1.1 exists for cp312".
    Detail(String),
    /// A fix, ex) "`module load python/3.12`".
    Hint(String),
}

/// Why the pipeline (read requirements ▸ resolve ▸ plan ▸ execute) stopped.
#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    /// The environment cannot be used.
    #[error(transparent)]
    Environment(#[from] EnvironmentError),
    /// A requirement (argument, `-r`, `-c`, pyproject) is not PEP 508.
    #[error("invalid requirement `{text}` ({origin}): {message}")]
    InvalidRequirement {
        /// The text.
        text: String,
        /// Where it came from, ex) `command line`, `requirements.txt:3`.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// A requirements or constraints file could not be read or parsed.
    #[error(transparent)]
    RequirementsFile(#[from] wharf_requirements_txt::RequirementsTxtError),
    /// An editable requirement (`-e`), which needs a build.
    #[error("{origin}: editable requirement `{text}` is not supported")]
    Editable {
        /// The text.
        text: String,
        /// Where it came from.
        origin: String,
    },
    /// No requirement at all.
    #[error("nothing to install")]
    NothingToInstall,
    /// The requirements cannot be satisfied together.
    #[error("no solution for the requested packages:\n{}", indent(report))]
    NoSolution {
        /// PubGrub's derivation.
        report: String,
        /// What exists instead, and the fixes, in order.
        diagnostics: Vec<Diagnostic>,
    },
    /// Hash-checking mode: a wheel the plan installs has no `--hash` (a dependency not
    /// listed, or a requirement without hashes).
    #[error("in hash-checking mode every package installed needs a `--hash`; none is given for: {}", names.join(", "))]
    HashMissing {
        /// The projects without hashes.
        names: Vec<String>,
    },
    /// Hash-checking mode: a wheel's bytes have none of its requirement's hashes.
    #[error("the wheel `{}` does not match the hashes of {origin}: expected {}, found {}", wheel.display(), expected.join(" or "), actual.join(", "))]
    HashMismatch {
        /// The wheel file.
        wheel: PathBuf,
        /// The requirement's file and line.
        origin: String,
        /// The `--hash` values, `ALGORITHM:DIGEST`.
        expected: Vec<String>,
        /// The file's digests, `ALGORITHM:DIGEST`.
        actual: Vec<String>,
    },
    /// Hash-checking mode: a wheel could not be read to hash it.
    #[error("cannot hash `{}`", wheel.display())]
    HashRead {
        /// The wheel file.
        wheel: PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The planned set would break a requirement of a package in it (the check before
    /// anything is committed, [`crate::operations::check_plan`]): nothing was changed.
    #[error("the planned installation is inconsistent, nothing was changed:\n{}", indent(&problems.join("\n")))]
    Inconsistent {
        /// pip check's lines, ex) `a 1.0 has requirement b==2.0.0+bar, but you have b 2.0.0+foo.`
        problems: Vec<String>,
    },
    /// A package index (`-i`, `--extra-index-url`) could not answer, or a file from it is
    /// not the one it lists.
    #[error(transparent)]
    Index(#[from] wharf_index::IndexError),
    /// Another resolver failure (metadata unreadable, direct URL…).
    #[error(transparent)]
    Resolve(wharf_resolve::ResolveError),
    /// The installer failed; the environment is as it was.
    #[error(transparent)]
    Install(#[from] wharf_install::InstallError),
    /// Uninstalling failed; nothing was removed.
    #[error(transparent)]
    Uninstall(wharf_install::InstallError),
    /// A lock cannot be made, read or synced.
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    /// A requirement that names a path or URL cannot be used.
    #[error(transparent)]
    Direct(Box<crate::direct::DirectError>),
    /// A build failed (the environment is unchanged).
    #[error(transparent)]
    Build(Box<wharf_build::BuildError>),
    /// The isolated build environment could not be created.
    #[error("cannot create the build environment")]
    BuildEnvironment(#[source] wharf_venv::VenvError),
    /// The build requirements of a project cannot be installed from the wheelhouse.
    #[error("cannot install the build requirements of `{}` ({origin}: {})", project.display(), requires.join(", "))]
    BuildDependencies {
        /// The project.
        project: PathBuf,
        /// `build-system.requires` or the hook that asked.
        origin: String,
        /// The requirements.
        requires: Vec<String>,
        /// Those the wheelhouse has no wheel of at all.
        missing: Vec<String>,
        /// The resolver's failure.
        #[source]
        cause: Box<OperationError>,
    },
    /// A package to uninstall is not installed (not fatal: reported by the caller).
    #[error("{name} is not installed")]
    NotInstalled {
        /// The package.
        name: PackageName,
    },
}

impl OperationError {
    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Environment(error) => error.hint(),
            Self::InvalidRequirement { .. } => Some(
                "requirements follow PEP 508, e.g. `numpy>=1.26` or `pandas[performance]==2.2.*`"
                    .to_string(),
            ),
            Self::RequirementsFile(error) => error.hint(),
            Self::Editable { .. } => Some("wharf installs wheels from the wheelhouse; build a wheel and pass its directory with `-f`".to_string()),
            Self::NothingToInstall => Some("name packages (`wharf install numpy`) or pass `-r requirements.txt`".to_string()),
            Self::NoSolution { .. }
            | Self::Resolve(_)
            | Self::NotInstalled { .. }
            | Self::HashRead { .. } => None,
            Self::HashMissing { .. } => Some("list every package (dependencies too) with `==` and its `--hash`, as `wharf lock --format requirements.txt` or `pip-compile --generate-hashes` write them; nothing was changed".to_string()),
            Self::HashMismatch { .. } => Some("nothing was changed; the wheel is not the one the requirements file names: if the wheelhouse changed on purpose, write the hashes again (`wharf lock --format requirements.txt`), else tell the site's staff".to_string()),
            Self::Inconsistent { .. } => Some("this is a resolver defect: please report it with the command and `wharf list`; `--no-deps` installs without the check".to_string()),
            Self::Sync(error) => error.hint(),
            Self::Index(error) => error.hint(),
            Self::Install(wharf_install::InstallError::EnvironmentChanged { .. })
            | Self::Uninstall(wharf_install::InstallError::EnvironmentChanged { .. }) => Some("nothing was changed by this command; run it again: it plans against what the environment holds now".to_string()),
            Self::Install(wharf_install::InstallError::RollbackFailed { .. }) => Some("the environment is partly changed; the next wharf command on it finishes the rollback".to_string()),
            Self::Direct(error) => error.hint(),
            Self::Build(error) => error.hint(),
            Self::BuildEnvironment(error) => error.hint(),
            Self::BuildDependencies { missing, .. } if !missing.is_empty() => Some(format!(
                "the build requirement {} must be added to the wheelhouse (or to a `-f DIR`): builds are offline and take their requirements from the wheelhouse only; or install a wheel of the project, or build with `--no-build-isolation` in an environment that has them",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            )),
            Self::BuildDependencies { cause, .. } => cause.hint(),
            Self::Install(wharf_install::InstallError::Invalid(wharf_install::InvalidWheel::MultipleDistInfo { .. })) => Some("the wheel is malformed (pip refuses it too): rebuild it with its own project's `.dist-info` only, or take it out of the wheelhouse; nothing was changed".to_string()),
            Self::Install(wharf_install::InstallError::HashMismatch { .. } | wharf_install::InstallError::WheelChanged { .. }) => Some("nothing was changed; the wheelhouse changed under this command: check with the site's staff, then lock again (`wharf lock`) or run the command again".to_string()),
            Self::Install(error) if out_of_space(error) => Some("nothing was changed: the environment is as it was before this command; the disk or quota is full: the wheel cache keeps the wheels it unpacked (`wharf cache size` counts bytes and inodes; `wharf cache prune` frees the entries no environment uses, `wharf cache clean` all of them), or install with `--no-cache`".to_string()),
            Self::Install(_) => Some("nothing was changed: the environment is as it was before this command".to_string()),
            Self::Uninstall(_) => Some("nothing was removed".to_string()),
        }
    }

    /// Whether another process changed the environment between this command's plan and its
    /// transaction ([`wharf_install::InstallError::EnvironmentChanged`]): nothing was changed,
    /// and planning again against the environment as it is now is the remedy.
    pub fn is_environment_changed(&self) -> bool {
        matches!(
            self,
            Self::Install(wharf_install::InstallError::EnvironmentChanged { .. })
                | Self::Uninstall(wharf_install::InstallError::EnvironmentChanged { .. })
        )
    }

    /// Whether the request cannot be satisfied (exit 1) rather than being bad usage or an
    /// internal error (exit 2): a malformed lock is bad input (2), a changed wheel, a wheel
    /// path that is not a regular file or a lock for another Python cannot be satisfied (1).
    pub fn is_unsatisfiable(&self) -> bool {
        if let Self::Sync(crate::sync::SyncError::Lock(error)) = self {
            return matches!(
                error,
                crate::lock::LockError::WheelChanged { .. }
                    | crate::lock::LockError::NotRegularFile { .. }
            );
        }
        matches!(
            self,
            Self::NoSolution { .. }
                | Self::HashMismatch { .. }
                | Self::HashRead { .. }
                | Self::Resolve(_)
                | Self::Index(_)
                | Self::Install(_)
                | Self::Uninstall(_)
                | Self::NotInstalled { .. }
                | Self::Sync(_)
                | Self::Direct(_)
                | Self::Build(_)
                | Self::BuildDependencies { .. }
        )
    }
}

impl From<crate::direct::DirectError> for OperationError {
    fn from(error: crate::direct::DirectError) -> Self {
        Self::Direct(Box::new(error))
    }
}

impl From<wharf_build::BuildError> for OperationError {
    fn from(error: wharf_build::BuildError) -> Self {
        Self::Build(Box::new(error))
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
