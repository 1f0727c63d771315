//! PubGrub's derivation in plain words: pip's "the user requested", specifiers as PEP 440
//! writes them (`b==1.0`, `c<2`, "any version of d"), and conclusions that say what cannot be
//! installed rather than PubGrub's internal terms ("your request 0", "pydantic *",
//! "is forbidden", "is mandatory").

use std::collections::Bound;

use pep440_rs::Version;
use pubgrub::{
    DefaultStringReporter, DerivationTree, Derived, External, Map, Ranges, Reporter, Term,
};

use crate::resolver::{Node, after_local_versions_of, readable_ranges};

/// The report of a failed resolution: PubGrub's chain of reasons, worded for users.
/// `source` names where candidates came from ([`crate::CandidateSource::label`]).
pub(crate) fn plain_report(
    tree: &DerivationTree<Node, Ranges<Version>, String>,
    source: &str,
) -> String {
    let mut tree = tree.clone();
    collapse_own_no_versions(&mut tree);
    DefaultStringReporter::report_with_formatter(
        &tree,
        &PlainReportFormatter {
            source: source.to_string(),
        },
    )
}

type Tree = DerivationTree<Node, Ranges<Version>, String>;

/// Merges each "no version of P in R" into the dependency of P it stands beside, where P is
/// the dependent (`a==1.0 depends on c<2` and "no a outside 1.0" read as `a depends on
/// c<2`), as PubGrub's `collapse_no_versions` does; unlike it, keeps the ones about the
/// dependency (`pydantic==2.5.0 depends on pydantic-core==2.14.5` and "no wheel of
/// pydantic-core==2.14.5"), which are the reason the user needs to read.
fn collapse_own_no_versions(tree: &mut Tree) {
    let DerivationTree::Derived(derived) = tree else {
        return;
    };
    let cause1 = std::sync::Arc::make_mut(&mut derived.cause1);
    collapse_own_no_versions(cause1);
    let cause2 = std::sync::Arc::make_mut(&mut derived.cause2);
    collapse_own_no_versions(cause2);
    let merged = match (derived.cause1.as_ref(), derived.cause2.as_ref()) {
        (
            DerivationTree::External(External::NoVersions(package, missing)),
            DerivationTree::External(External::FromDependencyOf(p1, r1, p2, r2)),
        )
        | (
            DerivationTree::External(External::FromDependencyOf(p1, r1, p2, r2)),
            DerivationTree::External(External::NoVersions(package, missing)),
        ) if package == p1 => Some(DerivationTree::External(External::FromDependencyOf(
            p1.clone(),
            r1.union(missing),
            p2.clone(),
            r2.clone(),
        ))),
        _ => None,
    };
    if let Some(merged) = merged {
        *tree = merged;
    }
}

/// The [`pubgrub::ReportFormatter`] of [`plain_report`].
struct PlainReportFormatter {
    /// Where candidates came from, ex) "the wheelhouse".
    source: String,
}

/// How a range reads in a sentence: `==1.0`, `>=1.0, <2`, `<1 or >=2`, `!=1.0`; empty for
/// every version. Local-version ranges are written back as the specifiers they came from
/// ([`readable_ranges`]).
fn specifier_text(range: &Ranges<Version>) -> String {
    let segments: Vec<(&Bound<Version>, &Bound<Version>)> = range.iter().collect();
    // `!=V` (any local version of V excluded): below V, and from the end of V's local versions.
    if let [
        (Bound::Unbounded, Bound::Excluded(low)),
        (Bound::Included(high), Bound::Unbounded),
    ] = segments.as_slice()
        && *high == after_local_versions_of(low)
    {
        return format!("!={low}");
    }
    let parts: Vec<String> = segments
        .iter()
        .map(|(start, end)| match (start, end) {
            (Bound::Included(a), Bound::Included(b)) if a == b => format!("=={a}"),
            (Bound::Unbounded, Bound::Unbounded) => String::new(),
            (start, end) => {
                let lower = match start {
                    Bound::Included(v) => Some(format!(">={v}")),
                    Bound::Excluded(v) => Some(format!(">{v}")),
                    Bound::Unbounded => None,
                };
                let upper = match end {
                    Bound::Included(v) => Some(format!("<={v}")),
                    Bound::Excluded(v) => Some(format!("<{v}")),
                    Bound::Unbounded => None,
                };
                [lower, upper]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        })
        .map(|part| readable_ranges(&part))
        .collect();
    parts.join(" or ")
}

/// `name` with its range: `b==1.0`, `b (<1 or >=2)`; `name` alone for every version.
fn requirement_text(name: &Node, range: &Ranges<Version>) -> String {
    let specifier = specifier_text(range);
    if specifier.is_empty() {
        name.to_string()
    } else if specifier.contains(" or ") {
        format!("{name} ({specifier})")
    } else {
        format!("{name}{specifier}")
    }
}

/// A term as the subject of a sentence: "any version of b" for every version.
fn subject(name: &Node, range: &Ranges<Version>) -> String {
    if range == &Ranges::full() {
        format!("any version of {name}")
    } else {
        requirement_text(name, range)
    }
}

impl pubgrub::ReportFormatter<Node, Ranges<Version>, String> for PlainReportFormatter {
    type Output = String;

    fn format_external(&self, external: &External<Node, Ranges<Version>, String>) -> String {
        match external {
            External::NotRoot(name, version) => {
                format!("wharf resolves the dependencies of {name} {version}")
            }
            External::NoVersions(name, range) => {
                if range == &Ranges::full() {
                    format!("{} has no usable wheel of {name}", self.source)
                } else if let Some(only) = range.complement().as_singleton() {
                    format!(
                        "{} has no usable wheel of {name} other than {only}",
                        self.source
                    )
                } else {
                    format!(
                        "{} has no usable wheel of {}",
                        self.source,
                        requirement_text(name, range)
                    )
                }
            }
            External::Custom(name, range, reason) => {
                format!("{} cannot be used: {reason}", subject(name, range))
            }
            External::FromDependencyOf(Node::Root, _, dependency, range) => {
                format!("the user requested {}", requirement_text(dependency, range))
            }
            External::FromDependencyOf(name, range, dependency, dependency_range) => {
                let who = if range == &Ranges::full() {
                    name.to_string()
                } else {
                    requirement_text(name, range)
                };
                format!(
                    "{who} depends on {}",
                    requirement_text(dependency, dependency_range)
                )
            }
        }
    }

    fn format_terms(&self, terms: &Map<Node, Term<Ranges<Version>>>) -> String {
        let terms: Vec<_> = terms.iter().collect();
        match terms.as_slice() {
            [] | [(Node::Root, Term::Positive(_))] => {
                "the requested packages cannot be installed".to_string()
            }
            [(name, Term::Positive(range))] => {
                format!("{} cannot be installed", subject(name, range))
            }
            [(name, Term::Negative(range))] => {
                format!("{} is required", subject(name, range))
            }
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => self.format_external(
                &External::FromDependencyOf((*p1).clone(), r1.clone(), (*p2).clone(), r2.clone()),
            ),
            terms => {
                let mut terms = terms.to_vec();
                terms.sort_by_key(|(name, _)| name.to_string());
                let parts: Vec<String> = terms
                    .iter()
                    .map(|(name, term)| match term {
                        Term::Positive(range) => subject(name, range),
                        Term::Negative(range) => {
                            format!("something other than {}", subject(name, range))
                        }
                    })
                    .collect();
                format!("{} cannot be installed together", parts.join(" and "))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<Node, Ranges<Version>, String>,
        external2: &External<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &Derived<Node, Ranges<Version>, String>,
        ref_id2: usize,
        derived2: &Derived<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &Derived<Node, Ranges<Version>, String>,
        external: &External<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &Derived<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<Node, Ranges<Version>, String>,
        external: &External<Node, Ranges<Version>, String>,
        current_terms: &Map<Node, Term<Ranges<Version>>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use pep440_rs::VersionSpecifiers;
    use pep508_rs::PackageName;

    use super::*;
    use crate::resolver::requirement_range;

    fn node(name: &str) -> Node {
        Node::Package(PackageName::from_str(name).unwrap())
    }

    fn range(specifiers: &str) -> Ranges<Version> {
        requirement_range(&VersionSpecifiers::from_str(specifiers).unwrap())
    }

    #[test]
    fn specifiers_read_as_written() {
        let b = node("b");
        assert_eq!(requirement_text(&b, &range("==9.9")), "b==9.9");
        assert_eq!(
            requirement_text(&b, &range("==1.23.0+computecanada")),
            "b==1.23.0+computecanada"
        );
        assert_eq!(requirement_text(&b, &range("<=1.0")), "b<=1.0");
        assert_eq!(requirement_text(&b, &range(">=1, <2")), "b>=1, <2");
        assert_eq!(requirement_text(&b, &range("!=1.5")), "b!=1.5");
        assert_eq!(requirement_text(&b, &Ranges::full()), "b");
        assert_eq!(subject(&b, &Ranges::full()), "any version of b");
    }

    /// Issue 18 §3: no "your request", "is forbidden", "*" in the conclusions.
    #[test]
    fn terms_in_plain_words() {
        let formatter = PlainReportFormatter {
            source: "the wheelhouse".to_string(),
        };
        let mut terms = Map::default();
        terms.insert(
            Node::Root,
            Term::Positive(Ranges::singleton(Version::new([0]))),
        );
        assert_eq!(
            pubgrub::ReportFormatter::format_terms(&formatter, &terms),
            "the requested packages cannot be installed"
        );
        let mut terms = Map::default();
        terms.insert(node("pydantic"), Term::Positive(Ranges::full()));
        assert_eq!(
            pubgrub::ReportFormatter::format_terms(&formatter, &terms),
            "any version of pydantic cannot be installed"
        );
        let external = External::FromDependencyOf(
            Node::Root,
            Ranges::singleton(Version::new([0])),
            node("numpy"),
            range("==1.23.0+computecanada"),
        );
        assert_eq!(
            pubgrub::ReportFormatter::<_, _, String>::format_external(&formatter, &external),
            "the user requested numpy==1.23.0+computecanada"
        );
    }
}
