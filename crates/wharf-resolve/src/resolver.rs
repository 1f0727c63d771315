//! The PubGrub dependency provider over the wheelhouse candidates.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;
use std::rc::Rc;
use std::str::FromStr;

use pep440_rs::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, Requirement, VersionOrUrl};
use pubgrub::{
    Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics,
    PubGrubError, Ranges,
};
use wharf_metadata::WheelMetadata;

use crate::candidates::{Candidate, CandidateSource, Project, SdistCandidate};
use crate::conflicts::{ConflictTracker, Rank};

/// Builds a wheelhouse sdist the resolver chose, for the target interpreter: the frontend
/// (PEP 517 in an isolated build environment, the build cache) lives outside the resolver.
pub trait SdistBuilder {
    /// The wheel built from `sdist` (or found in the build cache), as a candidate of the
    /// target: its [`Candidate::sdist`] names `sdist`.
    ///
    /// Errors: [`ResolveError::Build`] when the build fails or its wheel does not fit the
    /// target; the resolution stops there (as pip's and uv's do).
    fn build(&self, sdist: &SdistCandidate) -> Result<Candidate, ResolveError>;
}

/// pip's `FormatControl` as the resolver applies it to one project, with `--prefer-binary`.
#[derive(Clone, Debug, Default)]
pub struct BinaryPolicy {
    /// `--no-binary`: projects never installed from a wheel of the wheelhouse (normalized
    /// names, `:all:` for every one). A wheel built from their sdist is used.
    pub no_binary: std::collections::BTreeSet<String>,
    /// `--only-binary`: projects never built from an sdist (`:all:` for every one).
    pub only_binary: std::collections::BTreeSet<String>,
    /// `--prefer-binary`: any wheel, however old, before an sdist.
    pub prefer_binary: bool,
}

impl BinaryPolicy {
    /// `(wheels allowed, sdists allowed)` for `name`, in the order of pip's
    /// `FormatControl.get_allowed_formats`: the project's own entry, then `:all:`, with
    /// `--only-binary` first.
    pub fn allowed(&self, name: &PackageName) -> (bool, bool) {
        let name = name.as_ref();
        if self.only_binary.contains(name) {
            (true, false)
        } else if self.no_binary.contains(name) {
            (false, true)
        } else if self.only_binary.contains(":all:") {
            (true, false)
        } else if self.no_binary.contains(":all:") {
            (false, true)
        } else {
            (true, true)
        }
    }
}

/// The target interpreter, as the resolver needs it.
#[derive(Clone, Debug)]
pub struct ResolverEnv {
    /// PEP 508 marker values of the target interpreter.
    pub markers: MarkerEnvironment,
    /// Its full version (`3.11.7`), for `Requires-Python`.
    pub python_full_version: Version,
}

/// A distribution the target already sees: installed in the environment, or importable
/// from the interpreter's `sys.path` outside it (a module's `PYTHONPATH`).
#[derive(Clone, Debug)]
pub struct Installed {
    /// Its project name.
    pub name: PackageName,
    /// Its version, local part included.
    pub version: Version,
    /// Its `Requires-Dist` lines.
    pub requires_dist: Vec<String>,
    /// `true` when installed in the target environment (wharf may replace it); `false` when
    /// provided from outside (never replaced, only counted as satisfying).
    pub in_target: bool,
}

/// Resolution switches (pip's names).
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    /// `--upgrade`: requested projects take the newest candidate even if an installed
    /// version satisfies them.
    pub upgrade: bool,
    /// `--upgrade-strategy eager`: with `upgrade`, every project of the resolution takes the
    /// newest candidate, not only the requested ones.
    pub upgrade_eager: bool,
    /// `--reinstall`: requested projects are taken from the wheelhouse even if installed.
    pub reinstall: bool,
    /// `--no-deps`: do not follow `Requires-Dist`.
    pub no_deps: bool,
    /// `--pre`: allow pre-releases everywhere.
    pub prerelease: bool,
    /// `--only-binary`, `--no-binary`, `--prefer-binary`.
    pub binary: BinaryPolicy,
}

/// Where a resolved project comes from.
#[derive(Clone, Debug)]
pub enum ResolvedSource {
    /// Install this wheel.
    Wheel(Box<Candidate>),
    /// Already there (installed in the environment, or provided on `sys.path`).
    Installed {
        /// Whether it lives in the target environment.
        in_target: bool,
    },
}

/// One project of a resolution.
#[derive(Clone, Debug)]
pub struct ResolvedPackage {
    /// Its name.
    pub name: PackageName,
    /// Its version (local part included).
    pub version: Version,
    /// Where it comes from.
    pub source: ResolvedSource,
    /// Whether the user asked for it by name.
    pub requested: bool,
    /// Its `Requires-Dist` as the resolver read them (the wheel's `METADATA`, or the installed
    /// distribution's), when it read them: the plan's last check uses them without opening the
    /// wheel again. `None`: not read (a lock's package).
    pub requires_dist: Option<Vec<String>>,
}

/// Why a resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The requirements cannot be satisfied together: the derivation, as a chain of reasons.
    #[error("the requirements cannot be satisfied:\n{report}")]
    NoSolution {
        /// PubGrub's explanation.
        report: String,
        /// Projects that had no acceptable wheel at some point (for [`crate::explain_unavailable`]).
        unavailable: Vec<PackageName>,
        /// Wheels skipped because their `Requires-Python` excludes the target:
        /// `(project, version, Requires-Python)`.
        requires_python: Vec<(PackageName, Version, String)>,
    },
    /// A requirement is a direct URL or path (`pkg @ https://…`), which the wheelhouse
    /// installer does not take.
    #[error(
        "`{requirement}` is a direct URL requirement; wharf installs from the wheelhouse by name"
    )]
    DirectUrl {
        /// The requirement.
        requirement: String,
    },
    /// A wheel's metadata could not be read.
    #[error("cannot read the metadata of `{}`", path.display())]
    Metadata {
        /// The wheel.
        path: PathBuf,
        /// The cause.
        #[source]
        source: wharf_metadata::WheelError,
    },
    /// A chosen sdist could not be built into a wheel for the target.
    #[error("cannot build `{}`: {message}", sdist.display())]
    Build {
        /// The sdist.
        sdist: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A source of candidates could not answer (an index unreachable, a page it cannot read,
    /// a project not in the offline cache); the source keeps the full error for its caller.
    #[error("cannot get the candidates of {name}: {message}")]
    Source {
        /// The project asked for, or the file whose metadata was asked for.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// Internal solver failure.
    #[error("resolver failure: {0}")]
    Internal(String),
}

/// A node of the resolution graph: the root, a project, or a project with an extra (which
/// depends on the project at the same version).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    Root,
    Package(PackageName),
    Extra(PackageName, ExtraName),
}

impl Node {
    /// The project of a package or extra node; `None` for the root.
    pub(crate) fn project(&self) -> Option<&PackageName> {
        match self {
            Node::Root => None,
            Node::Package(name) | Node::Extra(name, _) => Some(name),
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Root => f.write_str("the requested packages"),
            Node::Package(name) => write!(f, "{name}"),
            Node::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

#[derive(Clone, Debug)]
enum Choice {
    Wheel(usize),
    Built(Rc<Candidate>),
    Installed(Rc<Installed>),
}

/// One file the resolver may take for a version: a wheel of the wheelhouse or an sdist.
#[derive(Clone, Copy)]
enum Offer<'c> {
    Wheel(usize, &'c Candidate),
    Sdist(&'c SdistCandidate),
}

impl Offer<'_> {
    fn version(&self) -> &Version {
        match self {
            Offer::Wheel(_, candidate) => &candidate.filename.version,
            Offer::Sdist(sdist) => &sdist.version,
        }
    }
}

/// The versions `specifiers` allow, local version labels included, as PEP 440 ("Version
/// specifiers", "Local version identifiers") has them: a specifier without a local label
/// ignores the candidates' labels (`==1.26.4` allows `1.26.4+computecanada`, `<=1.0` allows
/// `1.0+cpu`, `!=1.0` excludes `1.0+cpu`); `==` with a label allows that label only
/// (`==2.0.0+bar` excludes `2.0.0+foo`).
pub(crate) fn requirement_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, specifier| {
        range.intersection(&specifier_range(specifier))
    })
}

/// Whether `version` satisfies `specifiers` under PEP 440's rules for local versions (see
/// [`requirement_range`]): the one matcher of the resolver, the plan's last check and
/// `wharf check`.
pub fn specifiers_contain(specifiers: &VersionSpecifiers, version: &Version) -> bool {
    requirement_range(specifiers).contains(version)
}

/// One specifier's versions (see [`requirement_range`]).
fn specifier_range(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version();
    let labelled = !version.local().is_empty();
    match specifier.operator() {
        Operator::Equal if !labelled => public_versions_of(version),
        Operator::NotEqual if !labelled => public_versions_of(version).complement(),
        Operator::LessThanEqual if !labelled => {
            Ranges::strictly_lower_than(after_local_versions_of(version))
        }
        _ => Ranges::from(specifier.clone()),
    }
}

/// `version` and every local version of it (`1.0`, `1.0+cpu`, `1.0+cu121.computecanada`):
/// from `version` up to, not including, the next version that is not one of them.
fn public_versions_of(version: &Version) -> Ranges<Version> {
    Ranges::from_range_bounds(version.clone()..after_local_versions_of(version))
}

/// The smallest version above `version` and all its local versions: its first dev release
/// of the next post release (`1.0` ▸ `1.0.post0.dev0`, `1.0.post1` ▸ `1.0.post2.dev0`), or the
/// next dev release of a dev release (`1.0.dev1` ▸ `1.0.dev2`).
pub(crate) fn after_local_versions_of(version: &Version) -> Version {
    let public = version.clone().without_local();
    if let Some(dev) = public.dev() {
        public.with_dev(Some(dev + 1))
    } else {
        let post = public.post().map_or(0, |post| post + 1);
        public.with_post(Some(post)).with_dev(Some(0))
    }
}

/// PubGrub's report with the ranges of [`requirement_range`] written back as the specifiers
/// they came from: `>=9.9, <9.9.post0.dev0` as `==9.9`, `<1.0.post0.dev0` as `<=1.0`.
pub(crate) fn readable_ranges(report: &str) -> String {
    let words: Vec<&str> = report.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut index = 0;
    while index < words.len() {
        let word = words[index];
        // `>=V, <W` where W is the end of V's local versions: `==V`.
        if let (Some(low), Some(next)) = (word.strip_prefix(">="), words.get(index + 1))
            && let Some(low) = low.strip_suffix(',')
            && let Some(high) = next.strip_prefix('<')
            && let (Ok(low_version), Some((high, rest))) =
                (Version::from_str(low), split_version(high))
            && Version::from_str(high).is_ok_and(|h| h == after_local_versions_of(&low_version))
        {
            out.push(format!("=={low}{rest}"));
            index += 2;
            continue;
        }
        // `<W` alone, W the end of V's local versions: `<=V`.
        if let Some(high) = word.strip_prefix('<')
            && !high.starts_with('=')
            && let Some((high, rest)) = split_version(high)
            && let Ok(high_version) = Version::from_str(high)
            && high_version.dev() == Some(0)
            && let Some(post) = high_version.post()
        {
            let public = if post == 0 {
                high_version.clone().with_dev(None).with_post(None)
            } else {
                high_version
                    .clone()
                    .with_dev(None)
                    .with_post(Some(post - 1))
            };
            if after_local_versions_of(&public) == high_version {
                out.push(format!("<={public}{rest}"));
                index += 1;
                continue;
            }
        }
        out.push(word.to_string());
        index += 1;
    }
    out.join(" ")
}

/// A version at the start of `text` and what follows it (`,`, `)`, a line's end).
fn split_version(text: &str) -> Option<(&str, &str)> {
    let end = text.find([',', ')', '\n', '|']).unwrap_or(text.len());
    (end > 0).then(|| (&text[..end], &text[end..]))
}

fn names_prerelease(specifiers: &VersionSpecifiers) -> bool {
    specifiers.iter().any(|s| s.version().any_prerelease())
}

struct Provider<'a> {
    candidates: &'a dyn CandidateSource,
    projects: RefCell<HashMap<PackageName, Rc<Project>>>,
    builder: Option<&'a dyn SdistBuilder>,
    built: RefCell<HashMap<PathBuf, Rc<Candidate>>>,
    installed: HashMap<PackageName, Rc<Installed>>,
    env: &'a ResolverEnv,
    options: &'a ResolveOptions,
    root: Vec<Requirement>,
    constraints: HashMap<PackageName, Ranges<Version>>,
    prerelease_named: HashSet<PackageName>,
    requested: HashSet<PackageName>,
    metadata: RefCell<HashMap<PathBuf, Rc<WheelMetadata>>>,
    choices: RefCell<HashMap<(PackageName, Version), Choice>>,
    unavailable: RefCell<HashSet<PackageName>>,
    requires_python: RefCell<Vec<(PackageName, Version, String)>>,
    error: RefCell<Option<ResolveError>>,
    conflicts: ConflictTracker,
}

#[derive(Debug, thiserror::Error)]
#[error("resolution aborted")]
struct Abort;

impl Provider<'_> {
    /// The candidates of `name`, asked of the source once (the first time the solver needs
    /// the project: an index's page is fetched only for the projects the resolution reaches).
    fn project(&self, name: &PackageName) -> Result<Rc<Project>, ResolveError> {
        if let Some(project) = self.projects.borrow().get(name) {
            return Ok(project.clone());
        }
        let project = self.candidates.project(name)?;
        self.projects
            .borrow_mut()
            .insert(name.clone(), project.clone());
        Ok(project)
    }

    fn metadata_of(&self, candidate: &Candidate) -> Result<Rc<WheelMetadata>, ResolveError> {
        if let Some(m) = self.metadata.borrow().get(&candidate.path) {
            return Ok(m.clone());
        }
        let metadata = Rc::new(self.candidates.metadata(candidate)?);
        self.metadata
            .borrow_mut()
            .insert(candidate.path.clone(), metadata.clone());
        Ok(metadata)
    }

    /// The files of `name` in the order they are tried: version descending, a wheel before
    /// the sdist of its version (pip's and uv's order); with `--prefer-binary` every wheel
    /// before any sdist. `--only-binary`/`--no-binary` and a missing builder remove files.
    fn offers<'p>(&self, name: &PackageName, project: &'p Project) -> Vec<Offer<'p>> {
        let (wheels_allowed, sdists_allowed) = self.options.binary.allowed(name);
        let wheels: Vec<Offer<'p>> = project
            .wheels
            .iter()
            .enumerate()
            // A wheel the user named by path is theirs, whatever `--no-binary` says.
            .filter(|(_, c)| wheels_allowed || c.direct)
            .map(|(index, c)| Offer::Wheel(index, c))
            .collect();
        let sdists: Vec<Offer<'p>> = if sdists_allowed && self.builder.is_some() {
            project.sdists.iter().map(Offer::Sdist).collect()
        } else {
            Vec::new()
        };
        if self.options.binary.prefer_binary {
            return wheels.into_iter().chain(sdists).collect();
        }
        let mut merged = Vec::with_capacity(wheels.len() + sdists.len());
        let (mut w, mut d) = (wheels.into_iter().peekable(), sdists.into_iter().peekable());
        loop {
            let take_wheel = match (w.peek(), d.peek()) {
                (Some(wheel), Some(sdist)) => wheel.version() >= sdist.version(),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_wheel { w.next() } else { d.next() });
        }
        merged
    }

    /// The wheel built from `sdist` (built once per resolution), checked against the
    /// version its file name promised.
    fn built(&self, sdist: &SdistCandidate) -> Result<Rc<Candidate>, ResolveError> {
        if let Some(built) = self.built.borrow().get(&sdist.path) {
            return Ok(built.clone());
        }
        let builder = self.builder.ok_or_else(|| {
            ResolveError::Internal("an sdist was chosen without a builder".to_string())
        })?;
        let mut candidate = builder.build(sdist)?;
        if candidate.filename.name != sdist.name || candidate.filename.version != sdist.version {
            return Err(ResolveError::Build {
                sdist: sdist.path.clone(),
                message: format!(
                    "it built {} {}, not the {} {} its file name says",
                    candidate.filename.name, candidate.filename.version, sdist.name, sdist.version
                ),
            });
        }
        candidate.sdist = Some(sdist.path.clone());
        let candidate = Rc::new(candidate);
        self.built
            .borrow_mut()
            .insert(sdist.path.clone(), candidate.clone());
        Ok(candidate)
    }

    fn requires_python_ok(&self, metadata: &WheelMetadata) -> bool {
        metadata.requires_python.as_deref().is_none_or(|rp| {
            VersionSpecifiers::from_str(rp)
                .map_or(true, |s| s.contains(&self.env.python_full_version))
        })
    }

    fn pick(
        &self,
        name: &PackageName,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, ResolveError> {
        let is_requested = self.requested.contains(name);
        if let Some(installed) = self.installed.get(name) {
            let replaceable = installed.in_target
                && ((is_requested && (self.options.upgrade || self.options.reinstall))
                    || (self.options.upgrade && self.options.upgrade_eager));
            if !replaceable && range.contains(&installed.version) {
                self.choices.borrow_mut().insert(
                    (name.clone(), installed.version.clone()),
                    Choice::Installed(installed.clone()),
                );
                return Ok(Some(installed.version.clone()));
            }
        }
        let project = self.project(name)?;
        let offers = self.offers(name, &project);
        let allow_pre = self.options.prerelease || self.prerelease_named.contains(name);
        for pass_allows_pre in [allow_pre, true] {
            for offer in &offers {
                let version = offer.version();
                if !range.contains(version) {
                    continue;
                }
                if version.any_prerelease() && !pass_allows_pre {
                    continue;
                }
                if self
                    .choices
                    .borrow()
                    .contains_key(&(name.clone(), version.clone()))
                {
                    return Ok(Some(version.clone()));
                }
                let (metadata, choice) = match *offer {
                    Offer::Wheel(index, candidate) => {
                        (self.metadata_of(candidate)?, Choice::Wheel(index))
                    }
                    Offer::Sdist(sdist) => {
                        let built = self.built(sdist)?;
                        (self.metadata_of(&built)?, Choice::Built(built))
                    }
                };
                if !self.requires_python_ok(&metadata) {
                    let mut skipped = self.requires_python.borrow_mut();
                    if !skipped.iter().any(|(n, v, _)| n == name && v == version) {
                        skipped.push((
                            name.clone(),
                            version.clone(),
                            metadata.requires_python.clone().unwrap_or_default(),
                        ));
                    }
                    continue;
                }
                self.choices
                    .borrow_mut()
                    .insert((name.clone(), version.clone()), choice);
                return Ok(Some(version.clone()));
            }
            if pass_allows_pre {
                break;
            }
        }
        self.unavailable.borrow_mut().insert(name.clone());
        Ok(None)
    }

    fn edges(
        &self,
        requirements: &[String],
        extra: Option<&ExtraName>,
    ) -> Result<Vec<(Node, Ranges<Version>)>, ResolveError> {
        let mut out = Vec::new();
        for text in requirements {
            let Ok(requirement) = wharf_metadata::parse_requirement::<pep508_rs::VerbatimUrl>(text)
            else {
                continue; // an unparsable Requires-Dist is ignored, as pip warns and skips
            };
            let active = match extra {
                None => requirement.evaluate_markers(&self.env.markers, &[]),
                Some(e) => {
                    requirement.evaluate_markers(&self.env.markers, std::slice::from_ref(e))
                        && !requirement.evaluate_markers(&self.env.markers, &[])
                }
            };
            if active {
                out.extend(self.requirement_edges(&requirement)?);
            }
        }
        Ok(out)
    }

    fn requirement_edges(
        &self,
        requirement: &Requirement,
    ) -> Result<Vec<(Node, Ranges<Version>)>, ResolveError> {
        let mut range = match &requirement.version_or_url {
            None => Ranges::full(),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => requirement_range(specifiers),
            Some(VersionOrUrl::Url(_)) => {
                return Err(ResolveError::DirectUrl {
                    requirement: requirement.to_string(),
                });
            }
        };
        if let Some(constraint) = self.constraints.get(&requirement.name) {
            range = range.intersection(constraint);
        }
        let mut out = vec![(Node::Package(requirement.name.clone()), range.clone())];
        for extra in &requirement.extras {
            out.push((
                Node::Extra(requirement.name.clone(), extra.clone()),
                range.clone(),
            ));
        }
        Ok(out)
    }

    fn fail<T>(&self, error: ResolveError) -> Result<T, Abort> {
        *self.error.borrow_mut() = Some(error);
        Err(Abort)
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Node;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = Rank;
    type Err = Abort;

    /// uv's order (see [`crate::conflicts`]): the root, projects limited to one version, those
    /// whose versions were often rejected, those that often were the reason, then the others in
    /// discovery order (PubGrub breaks ties by discovery). PubGrub's own conflict counts are
    /// not used: they add the culprit's count to the affected's.
    fn prioritize(
        &self,
        package: &Node,
        range: &Ranges<Version>,
        _stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        self.conflicts.rank(package, range)
    }

    fn should_cancel(&self) -> Result<(), Abort> {
        if self.conflicts.wants_restart() {
            Err(Abort)
        } else {
            Ok(())
        }
    }

    fn choose_version(
        &self,
        package: &Node,
        range: &Ranges<Version>,
    ) -> Result<Option<Version>, Abort> {
        let chosen = match package {
            Node::Root => Ok(Some(Version::new([0]))),
            Node::Package(name) | Node::Extra(name, _) => match self.pick(name, range) {
                Ok(v) => Ok(v),
                Err(e) => self.fail(e),
            },
        };
        if let Ok(version) = &chosen {
            self.conflicts.choose(package, range, version.as_ref());
        }
        chosen
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Ranges<Version>, String>, Abort> {
        let result = (|| -> Result<Vec<(Node, Ranges<Version>)>, ResolveError> {
            match package {
                Node::Root => {
                    let mut out = Vec::new();
                    for requirement in &self.root {
                        if requirement.evaluate_markers(&self.env.markers, &[]) {
                            out.extend(self.requirement_edges(requirement)?);
                        }
                    }
                    Ok(out)
                }
                Node::Package(name) | Node::Extra(name, _) => {
                    let extra = match package {
                        Node::Extra(_, e) => Some(e),
                        _ => None,
                    };
                    let mut out = Vec::new();
                    if extra.is_some() {
                        out.push((
                            Node::Package(name.clone()),
                            Ranges::singleton(version.clone()),
                        ));
                    }
                    if self.options.no_deps {
                        return Ok(out);
                    }
                    let choice = self
                        .choices
                        .borrow()
                        .get(&(name.clone(), version.clone()))
                        .cloned();
                    let metadata = match &choice {
                        Some(Choice::Wheel(index)) => {
                            Some(self.metadata_of(&self.project(name)?.wheels[*index])?)
                        }
                        Some(Choice::Built(candidate)) => Some(self.metadata_of(candidate)?),
                        Some(Choice::Installed(_)) | None => None,
                    };
                    // An extra the wheel does not declare (`Provides-Extra`) brings nothing, as
                    // pip has it (it warns and ignores the extra; so does `missing_extras`).
                    if let (Some(extra), Some(metadata)) = (extra, &metadata)
                        && !metadata.provides_extra.iter().any(|declared| {
                            ExtraName::from_str(declared).is_ok_and(|declared| &declared == extra)
                        })
                    {
                        return Ok(out);
                    }
                    let requires = match (&choice, metadata) {
                        (Some(Choice::Installed(installed)), _) => installed.requires_dist.clone(),
                        (_, Some(metadata)) => metadata.requires_dist.clone(),
                        (_, None) => Vec::new(),
                    };
                    out.extend(
                        self.edges(&requires, extra)?
                            .into_iter()
                            .filter(|(n, _)| n != &Node::Package(name.clone())),
                    );
                    Ok(out)
                }
            }
        })();
        match result {
            Ok(edges) => {
                self.conflicts.requires(package, version, &edges);
                Ok(Dependencies::Available(DependencyConstraints::from_iter(
                    edges,
                )))
            }
            Err(e) => self.fail(e),
        }
    }
}

/// PubGrub over `provider`, started again each time the conflict tracker learns a priority.
#[allow(clippy::result_large_err)] // PubGrub's own error, returned once per resolution
fn solve<'a>(
    provider: &Provider<'a>,
) -> Result<pubgrub::SelectedDependencies<Node, Version>, PubGrubError<Provider<'a>>> {
    loop {
        let result = pubgrub::resolve(provider, Node::Root, Version::new([0]));
        let restart = matches!(result, Err(PubGrubError::ErrorInShouldCancel(_)));
        if !(provider.conflicts.take_restart() && restart) {
            return result;
        }
    }
}

/// Resolves `requirements` (and `constraints`, which limit versions without requesting a
/// project) against the `candidates` of a source (the wheelhouse's [`crate::CandidateSet`],
/// an index, several merged: [`CandidateSource`]) for the target `env`, counting `installed`
/// distributions.
/// The wheelhouse's sdists are candidates when a `builder` is given (built only if chosen).
///
/// Returns every project of the solution (the requested ones flagged), in name order.
/// Errors: [`ResolveError::NoSolution`] with PubGrub's chain of reasons, and the others of
/// [`ResolveError`].
pub fn resolve(
    requirements: &[Requirement],
    constraints: &[Requirement],
    candidates: &dyn CandidateSource,
    installed: &[Installed],
    env: &ResolverEnv,
    options: &ResolveOptions,
    builder: Option<&dyn SdistBuilder>,
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    let mut constraint_ranges: HashMap<PackageName, Ranges<Version>> = HashMap::new();
    let mut prerelease_named = HashSet::new();
    for requirement in requirements.iter().chain(constraints) {
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url
            && names_prerelease(specifiers)
        {
            prerelease_named.insert(requirement.name.clone());
        }
    }
    for constraint in constraints {
        if !constraint.evaluate_markers(&env.markers, &[]) {
            continue;
        }
        if let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &constraint.version_or_url {
            let range = requirement_range(specifiers);
            let entry = constraint_ranges
                .entry(constraint.name.clone())
                .or_insert_with(Ranges::full);
            *entry = entry.intersection(&range);
        }
    }
    let provider = Provider {
        candidates,
        projects: RefCell::default(),
        builder,
        built: RefCell::default(),
        installed: installed
            .iter()
            .map(|i| (i.name.clone(), Rc::new(i.clone())))
            .collect(),
        env,
        options,
        root: requirements.to_vec(),
        constraints: constraint_ranges,
        prerelease_named,
        requested: requirements.iter().map(|r| r.name.clone()).collect(),
        metadata: RefCell::default(),
        choices: RefCell::default(),
        unavailable: RefCell::default(),
        requires_python: RefCell::default(),
        error: RefCell::default(),
        conflicts: ConflictTracker::default(),
    };
    let solution = match solve(&provider) {
        Ok(solution) => solution,
        Err(PubGrubError::NoSolution(tree)) => {
            let mut unavailable: Vec<PackageName> =
                provider.unavailable.borrow().iter().cloned().collect();
            unavailable.sort();
            return Err(ResolveError::NoSolution {
                report: crate::report::plain_report(&tree, &candidates.label()),
                unavailable,
                requires_python: provider.requires_python.take(),
            });
        }
        Err(_) => {
            return Err(provider
                .error
                .borrow_mut()
                .take()
                .unwrap_or_else(|| ResolveError::Internal("the solver stopped".to_string())));
        }
    };
    let mut out = Vec::new();
    for (node, version) in solution {
        let Node::Package(name) = node else { continue };
        let choice = provider
            .choices
            .borrow()
            .get(&(name.clone(), version.clone()))
            .cloned();
        let (full_version, source, requires_dist) = match choice {
            Some(Choice::Wheel(index)) => {
                let candidate = provider.project(&name)?.wheels[index].clone();
                let requires_dist = provider
                    .metadata
                    .borrow()
                    .get(&candidate.path)
                    .map(|metadata| metadata.requires_dist.clone());
                (
                    candidate.filename.version.clone(),
                    ResolvedSource::Wheel(Box::new(candidate)),
                    requires_dist,
                )
            }
            Some(Choice::Built(candidate)) => {
                let requires_dist = provider
                    .metadata
                    .borrow()
                    .get(&candidate.path)
                    .map(|metadata| metadata.requires_dist.clone());
                (
                    candidate.filename.version.clone(),
                    ResolvedSource::Wheel(Box::new((*candidate).clone())),
                    requires_dist,
                )
            }
            Some(Choice::Installed(installed)) => (
                installed.version.clone(),
                ResolvedSource::Installed {
                    in_target: installed.in_target,
                },
                Some(installed.requires_dist.clone()),
            ),
            None => {
                return Err(ResolveError::Internal(format!(
                    "no choice recorded for {name} {version}"
                )));
            }
        };
        out.push(ResolvedPackage {
            requested: provider.requested.contains(&name),
            name,
            version: full_version,
            source,
            requires_dist,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
