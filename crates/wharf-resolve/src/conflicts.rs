//! Which project the resolver decides first, and what it learns from conflicts (issue 18 §1).
//!
//! PubGrub keeps what it decided first and backtracks what it decided later. Deciding in the
//! order projects are discovered (the user's requirements in their order, then their
//! dependencies, breadth first), as uv and pip do, keeps the first request at its newest.
//!
//! The trap is a later project whose every recent version rejects an earlier decision: with
//! `a 10.0` decided, `b 20.0`, `19.0`, … (each requiring `a<5`) are rejected one by one, down to
//! an ancient `b` without the cap. pip and uv take an older `a` instead. uv counts, per project,
//! how often one of its versions was rejected (the *affected*) and how often a decided project
//! was the reason (the *culprit*); past a threshold it decides the affected project early and
//! the culprit late, and backtracks the culprit. The `pubgrub` crate (0.4) neither tells the
//! two apart in `PackageResolutionStatistics` nor lets a provider backtrack, so this tracker
//! watches the decisions itself (a version chosen, then excluded while a decided dependency
//! contradicts its requirements) and asks for the resolution to start again with the learnt
//! priorities: each restart marks at least one more project, so there are at most as many
//! restarts as projects, and the metadata read stays cached in the provider.
//!
//! A conflict whose other side is not decided (two requirements on a shared `c`, from `a` and
//! `b`) marks nothing: the project decided first keeps its newest version, as in pip and uv.

use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::HashMap;

use pep440_rs::Version;
use pep508_rs::PackageName;
use pubgrub::Ranges;

use crate::resolver::Node;

/// How many rejections (as the affected project) or reasons (as the culprit) mark a project,
/// uv's `CONFLICT_THRESHOLD`.
const THRESHOLD: u32 = 5;

/// A chosen version's requirements: (dependency, versions allowed).
type Requirements = Vec<(Node, Ranges<Version>)>;

/// A project's rank in the decision order; higher is decided first. Projects of one rank are
/// decided in discovery order (PubGrub's own tie-break).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// No conflict learnt.
    Unspecified,
    /// Was the culprit of many rejections: decided after the affected projects (the index
    /// keeps the order in which they were marked).
    ConflictLate(Reverse<usize>),
    /// Had many versions rejected: decided before the projects that rejected them.
    ConflictEarly(Reverse<usize>),
    /// Restricted to one version (an extra's tie to its project, `===`).
    Singleton,
    /// The root: decided before everything.
    Root,
}

/// The conflicts seen so far (over every restart) and the current run's decisions.
#[derive(Debug, Default)]
pub(crate) struct ConflictTracker {
    /// The version last chosen for each node in this run (a node that is chosen again was
    /// backtracked or rejected).
    decided: RefCell<HashMap<Node, Version>>,
    /// Each chosen version's requirements, as given to PubGrub.
    requirements: RefCell<HashMap<(Node, Version), Requirements>>,
    /// Rejections per project, and how often each project was their reason.
    affected: RefCell<HashMap<PackageName, u32>>,
    culprit: RefCell<HashMap<PackageName, u32>>,
    /// The projects marked, in marking order.
    early: RefCell<Vec<PackageName>>,
    late: RefCell<Vec<PackageName>>,
    /// A project was marked since the run started: start again.
    restart: Cell<bool>,
}

impl ConflictTracker {
    /// The rank of `node`, whose versions are limited to `range`.
    pub(crate) fn rank(&self, node: &Node, range: &Ranges<Version>) -> Rank {
        let Some(name) = node.project() else {
            return Rank::Root;
        };
        if range.as_singleton().is_some() {
            return Rank::Singleton;
        }
        if let Some(index) = self.early.borrow().iter().position(|n| n == name) {
            return Rank::ConflictEarly(Reverse(index));
        }
        if let Some(index) = self.late.borrow().iter().position(|n| n == name) {
            return Rank::ConflictLate(Reverse(index));
        }
        Rank::Unspecified
    }

    /// Records that `version` of `node` requires `requirements`.
    pub(crate) fn requires(
        &self,
        node: &Node,
        version: &Version,
        requirements: &[(Node, Ranges<Version>)],
    ) {
        self.requirements
            .borrow_mut()
            .entry((node.clone(), version.clone()))
            .or_insert_with(|| requirements.to_vec());
    }

    /// Records that the solver asks for a version of `node` within `range` and gets `chosen`.
    /// If the version chosen before is outside `range` and a decided project contradicts its
    /// requirements, that version was rejected because of that project: counted, and past the
    /// threshold the projects are marked and a restart is asked for.
    pub(crate) fn choose(&self, node: &Node, range: &Ranges<Version>, chosen: Option<&Version>) {
        let Some(name) = node.project() else { return };
        let previous = self.decided.borrow().get(node).cloned();
        if let Some(previous) = previous.filter(|previous| !range.contains(previous)) {
            let culprits = self.culprits(node, name, &previous);
            if !culprits.is_empty() {
                if bump(&self.affected, name) {
                    self.mark(&self.early, name);
                }
                for culprit in culprits {
                    if bump(&self.culprit, &culprit) {
                        self.mark(&self.late, &culprit);
                    }
                }
            }
        }
        let mut decided = self.decided.borrow_mut();
        match chosen {
            Some(version) => decided.insert(node.clone(), version.clone()),
            None => decided.remove(node),
        };
    }

    /// The decided projects (other than `name`) that the requirements of `node` `version`
    /// exclude.
    fn culprits(&self, node: &Node, name: &PackageName, version: &Version) -> Vec<PackageName> {
        let requirements = self.requirements.borrow();
        let Some(requirements) = requirements.get(&(node.clone(), version.clone())) else {
            return Vec::new();
        };
        let decided = self.decided.borrow();
        let mut out: Vec<PackageName> = Vec::new();
        for (dependency, range) in requirements {
            let Some(dependency_name) = dependency.project() else {
                continue;
            };
            if dependency_name == name || out.contains(dependency_name) {
                continue;
            }
            if decided
                .get(dependency)
                .is_some_and(|version| !range.contains(version))
            {
                out.push(dependency_name.clone());
            }
        }
        out
    }

    /// Marks `name` in `list` (once, and not late once early) and asks for a restart.
    fn mark(&self, list: &RefCell<Vec<PackageName>>, name: &PackageName) {
        if self.early.borrow().contains(name) || list.borrow().contains(name) {
            return;
        }
        list.borrow_mut().push(name.clone());
        self.restart.set(true);
    }

    /// Whether a restart was asked for.
    pub(crate) fn wants_restart(&self) -> bool {
        self.restart.get()
    }

    /// Starts a new run: forgets the decisions, keeps what was learnt. Returns whether a
    /// restart was asked for.
    pub(crate) fn take_restart(&self) -> bool {
        self.decided.borrow_mut().clear();
        self.restart.replace(false)
    }
}

/// Adds one to `name`'s count; `true` when it reaches the threshold.
fn bump(counts: &RefCell<HashMap<PackageName, u32>>, name: &PackageName) -> bool {
    let mut counts = counts.borrow_mut();
    let count = counts.entry(name.clone()).or_default();
    *count += 1;
    *count == THRESHOLD
}
