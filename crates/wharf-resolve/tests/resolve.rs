//! Resolution policy on synthetic wheels (real zips with METADATA) in a layered wheelhouse.

use std::path::Path;
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::{PackageName, Requirement};
use wharf_resolve::{
    BinaryPolicy, Candidate, CandidateSet, Installed, ResolveError, ResolveOptions,
    ResolvedPackage, ResolvedSource, ResolverEnv, SdistBuilder, SdistCandidate,
    explain_unavailable, resolve,
};
use wharf_site::{Catalogue, FindLinks};
use wharf_wheel_filename::{PlatformTag, Tags};

fn wheel(dir: &Path, filename: &str, requires: &[&str], requires_python: Option<&str>) {
    std::fs::create_dir_all(dir).unwrap();
    let parts: Vec<&str> = filename.trim_end_matches(".whl").split('-').collect();
    let (name, version) = (parts[0], parts[1]);
    let mut builder = wharf_test_support::WheelBuilder::new(name, version, true, requires);
    if let Some(requires_python) = requires_python {
        builder = builder.metadata_line(&format!("Requires-Python: {requires_python}"));
    }
    builder.write(&dir.join(filename));
}

fn env() -> ResolverEnv {
    let markers = wharf_test_support::linux_cpython_311_markers();
    ResolverEnv {
        markers,
        python_full_version: Version::from_str("3.11.7").unwrap(),
    }
}

struct Site {
    _root: tempfile::TempDir,
    candidates: CandidateSet,
}

/// `v3` (most specific), `generic` (layer), `any` (pure); tags for cp311 with manylinux
/// refused by policy unless `allow_manylinux`.
fn site(build: impl Fn(&Path), allow_manylinux: bool) -> Site {
    let root = tempfile::tempdir().unwrap();
    build(root.path());
    let links = FindLinks::from_paths(["v3", "generic", "any"].map(|d| root.path().join(d)));
    let catalogue = Catalogue::scan(links, 1, |_| true);
    let abis = Tags::cpython_default_abis((3, 11));
    let full = Tags::cpython(
        (3, 11),
        &abis,
        &PlatformTag::linux_platforms("x86_64", Some((2, 28))),
        true,
    );
    let site_only = Tags::cpython(
        (3, 11),
        &abis,
        &PlatformTag::linux_platforms("x86_64", None),
        true,
    );
    let candidates = if allow_manylinux {
        CandidateSet::new(&catalogue, &full, None)
    } else {
        CandidateSet::new(&catalogue, &site_only, Some(&full))
    };
    Site {
        _root: root,
        candidates,
    }
}

fn reqs(texts: &[&str]) -> Vec<Requirement> {
    texts
        .iter()
        .map(|t| Requirement::from_str(t).unwrap())
        .collect()
}

fn run(
    site: &Site,
    requirements: &[&str],
    installed: &[Installed],
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    resolve(
        &reqs(requirements),
        &[],
        &site.candidates,
        installed,
        &env(),
        &ResolveOptions::default(),
        None,
    )
}

fn pins(resolution: &[ResolvedPackage]) -> Vec<String> {
    resolution
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect()
}

fn wheel_dir(p: &ResolvedPackage) -> String {
    match &p.source {
        ResolvedSource::Wheel(c) => c
            .path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        ResolvedSource::Installed { .. } => "installed".to_string(),
    }
}

#[test]
fn local_versions_match_public_specifiers_and_pins() {
    let s = site(
        |r| {
            wheel(
                &r.join("generic"),
                "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                None,
            );
            wheel(
                &r.join("generic"),
                "numpy-1.25.2+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                None,
            );
        },
        false,
    );
    assert_eq!(
        pins(&run(&s, &["numpy==1.26.4"], &[]).unwrap()),
        ["numpy==1.26.4+computecanada"]
    );
    assert_eq!(
        pins(&run(&s, &["numpy==1.25.2+computecanada"], &[]).unwrap()),
        ["numpy==1.25.2+computecanada"]
    );
    assert!(run(&s, &["numpy==1.25.2+other"], &[]).is_err());
}

/// Issue 18: local labels in *dependency* specifiers were stripped, so `a` requiring
/// `b==2.0.0+bar` got `b 2.0.0+foo` (an inconsistent set, installed with exit 0).
#[test]
fn local_labels_in_dependency_specifiers_are_exact() {
    let both = site(
        |r| {
            let dir = r.join("generic");
            wheel(&dir, "a-1.0-py3-none-any.whl", &["b==2.0.0+bar"], None);
            wheel(&dir, "b-2.0.0+foo-py3-none-any.whl", &[], None);
            wheel(&dir, "b-2.0.0+bar-py3-none-any.whl", &[], None);
        },
        false,
    );
    assert_eq!(
        pins(&run(&both, &["a"], &[]).unwrap()),
        ["a==1.0", "b==2.0.0+bar"]
    );
    let only_foo = site(
        |r| {
            let dir = r.join("generic");
            wheel(&dir, "a-1.0-py3-none-any.whl", &["b==2.0.0+bar"], None);
            wheel(&dir, "b-2.0.0+foo-py3-none-any.whl", &[], None);
        },
        false,
    );
    assert!(run(&only_foo, &["a"], &[]).is_err());
}

/// Issue 18: a local label that rules a candidate out makes the solver backtrack to the
/// version whose dependency it allows (a 2.0 needs `b==1.0+bar`, which does not exist; a 1.0
/// takes any `b`), and another local version of the same public version is still a choice.
#[test]
fn local_labels_steer_backtracking() {
    let s = site(
        |r| {
            let dir = r.join("generic");
            wheel(&dir, "a-2.0-py3-none-any.whl", &["b==1.0+bar"], None);
            wheel(&dir, "a-1.0-py3-none-any.whl", &["b"], None);
            wheel(&dir, "b-1.0+foo-py3-none-any.whl", &[], None);
            wheel(&dir, "c-1.0-py3-none-any.whl", &["d==3.0"], None);
            wheel(&dir, "d-3.0+zzz-py3-none-any.whl", &["e==1.0+nope"], None);
            wheel(&dir, "d-3.0+aaa-py3-none-any.whl", &[], None);
        },
        false,
    );
    assert_eq!(
        pins(&run(&s, &["a"], &[]).unwrap()),
        ["a==1.0", "b==1.0+foo"]
    );
    // d 3.0+zzz sorts first but its dependency cannot be met: 3.0+aaa satisfies `==3.0`.
    assert_eq!(
        pins(&run(&s, &["c"], &[]).unwrap()),
        ["c==1.0", "d==3.0+aaa"]
    );
}

/// PEP 440 on local versions for every operator without a label: `<=`, `!=`, `==V.*`, `~=`
/// ignore the candidates' labels; `<` and `>` exclude the local versions of `V` (and `>` its
/// post releases). Each answer agrees with `packaging.specifiers`.
#[test]
fn public_specifiers_ignore_local_labels() {
    let s = site(
        |r| {
            let dir = r.join("generic");
            wheel(&dir, "b-1.0+cpu-py3-none-any.whl", &[], None);
            wheel(&dir, "b-0.9+cpu-py3-none-any.whl", &[], None);
            wheel(&dir, "b-1.0.post1-py3-none-any.whl", &[], None);
        },
        false,
    );
    for (requirement, expected) in [
        ("b<=1.0", "b==1.0+cpu"),
        ("b==1.0", "b==1.0+cpu"),
        ("b==1.0.*", "b==1.0.post1"),
        ("b~=0.9", "b==0.9+cpu"),
        ("b~=1.0", "b==1.0.post1"),
        ("b!=1.0,<1.0.post1", "b==0.9+cpu"),
        ("b<1.0", "b==0.9+cpu"),
        ("b>=1.0,!=1.0", "b==1.0.post1"),
        ("b==1.0+cpu", "b==1.0+cpu"),
    ] {
        assert_eq!(
            pins(&run(&s, &[requirement], &[]).unwrap()),
            [expected],
            "{requirement}"
        );
    }
    // `>1.0` allows neither 1.0's local versions nor its post releases (PEP 440).
    assert!(run(&s, &["b>1.0"], &[]).is_err());
}

#[test]
fn most_specific_arch_directory_wins_a_tie() {
    let s = site(
        |r| {
            wheel(
                &r.join("generic"),
                "scipy-1.13.1+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                None,
            );
            wheel(
                &r.join("v3"),
                "scipy-1.13.1+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                None,
            );
        },
        false,
    );
    let resolution = run(&s, &["scipy"], &[]).unwrap();
    assert_eq!(wheel_dir(&resolution[0]), "v3");
}

#[test]
fn manylinux_refused_by_policy_unless_allowed() {
    let build = |r: &Path| {
        wheel(
            &r.join("generic"),
            "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
            &[],
            None,
        );
        wheel(
            &r.join("any"),
            "numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            &[],
            None,
        );
    };
    let refused = site(build, false);
    assert_eq!(
        pins(&run(&refused, &["numpy"], &[]).unwrap()),
        ["numpy==1.26.4+computecanada"]
    );
    let err = run(&refused, &["numpy>=2"], &[]).unwrap_err();
    let ResolveError::NoSolution { unavailable, .. } = err else {
        panic!("{err}")
    };
    let name = PackageName::from_str("numpy").unwrap();
    assert_eq!(unavailable, std::slice::from_ref(&name));
    let lines = explain_unavailable(
        &name,
        &refused.candidates,
        &Version::from_str("3.11.7").unwrap(),
    )
    .join("\n");
    assert!(
        lines.contains("manylinux wheel, refused by the site's policy"),
        "{lines}"
    );
    assert!(lines.contains("--allow-manylinux"), "{lines}");
    let allowed = site(build, true);
    assert_eq!(
        pins(&run(&allowed, &["numpy"], &[]).unwrap()),
        ["numpy==2.0.2"]
    );
}

#[test]
fn requires_python_skips_versions() {
    let s = site(
        |r| {
            wheel(
                &r.join("any"),
                "tool-2.0-py3-none-any.whl",
                &[],
                Some(">=3.12"),
            );
            wheel(
                &r.join("any"),
                "tool-1.5-py3-none-any.whl",
                &[],
                Some(">=3.9"),
            );
        },
        false,
    );
    assert_eq!(pins(&run(&s, &["tool"], &[]).unwrap()), ["tool==1.5"]);
    let err = run(&s, &["tool>=2"], &[]).unwrap_err();
    let ResolveError::NoSolution {
        requires_python, ..
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!(requires_python.len(), 1);
    assert_eq!(requires_python[0].1.to_string(), "2.0");
    assert_eq!(requires_python[0].2, ">=3.12");
}

#[test]
fn dependencies_markers_and_extras() {
    let s = site(
        |r| {
            wheel(
                &r.join("any"),
                "app-1.0-py3-none-any.whl",
                &[
                    "lib>=2",
                    "old; python_version < '3.8'",
                    "plot; extra == 'viz'",
                ],
                None,
            );
            wheel(&r.join("any"), "lib-2.1-py3-none-any.whl", &[], None);
            wheel(&r.join("any"), "lib-1.0-py3-none-any.whl", &[], None);
            wheel(&r.join("any"), "plot-3.0-py3-none-any.whl", &[], None);
        },
        false,
    );
    assert_eq!(
        pins(&run(&s, &["app"], &[]).unwrap()),
        ["app==1.0", "lib==2.1"]
    );
    assert_eq!(
        pins(&run(&s, &["app[viz]"], &[]).unwrap()),
        ["app==1.0", "lib==2.1", "plot==3.0"]
    );
}

#[test]
fn installed_and_pythonpath_packages_satisfy() {
    let s = site(
        |r| {
            wheel(
                &r.join("any"),
                "dateutil-2.9-py3-none-any.whl",
                &["six>=1.5"],
                None,
            );
            wheel(&r.join("any"), "six-1.17.0-py3-none-any.whl", &[], None);
        },
        false,
    );
    let provided = Installed {
        name: PackageName::from_str("six").unwrap(),
        version: Version::from_str("1.16.0").unwrap(),
        requires_dist: vec![],
        in_target: false,
    };
    let resolution = run(&s, &["dateutil"], &[provided]).unwrap();
    let six = resolution
        .iter()
        .find(|p| p.name.as_ref() == "six")
        .unwrap();
    assert!(matches!(
        six.source,
        ResolvedSource::Installed { in_target: false }
    ));
}

#[test]
fn prereleases_only_when_named_or_nothing_else() {
    let s = site(
        |r| {
            wheel(&r.join("any"), "lib-2.0rc1-py3-none-any.whl", &[], None);
            wheel(&r.join("any"), "lib-1.9-py3-none-any.whl", &[], None);
            wheel(&r.join("any"), "beta-1.0b1-py3-none-any.whl", &[], None);
        },
        false,
    );
    assert_eq!(pins(&run(&s, &["lib"], &[]).unwrap()), ["lib==1.9"]);
    assert_eq!(
        pins(&run(&s, &["lib>=2.0rc1"], &[]).unwrap()),
        ["lib==2.0rc1"]
    );
    assert_eq!(pins(&run(&s, &["beta"], &[]).unwrap()), ["beta==1.0b1"]);
}

#[test]
fn conflicts_are_explained_as_a_chain() {
    let s = site(
        |r| {
            wheel(&r.join("any"), "a-1.0-py3-none-any.whl", &["c<2"], None);
            wheel(&r.join("any"), "b-1.0-py3-none-any.whl", &["c>=2"], None);
            wheel(&r.join("any"), "c-1.0-py3-none-any.whl", &[], None);
            wheel(&r.join("any"), "c-2.0-py3-none-any.whl", &[], None);
        },
        false,
    );
    let err = run(&s, &["a", "b"], &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Because a depends on c<2 and b==1.0 depends on c>=2"),
        "{text}"
    );
    assert!(text.contains("Because"), "a derivation, not a dump: {text}");
}

#[test]
fn other_python_and_sdist_only_are_explained() {
    let s = site(
        |r| {
            wheel(
                &r.join("generic"),
                "torch-2.5.0+computecanada-cp312-cp312-linux_x86_64.whl",
                &[],
                None,
            );
            std::fs::create_dir_all(r.join("any")).unwrap();
            std::fs::write(r.join("any/pysam-0.22.1.tar.gz"), "").unwrap();
        },
        false,
    );
    assert!(run(&s, &["torch"], &[]).is_err());
    let torch = explain_unavailable(
        &PackageName::from_str("torch").unwrap(),
        &s.candidates,
        &Version::from_str("3.11.7").unwrap(),
    )
    .join("\n");
    assert!(torch.contains("torch 2.5.0+computecanada exists for CPython 3.12 (`cp312`); you are using CPython 3.11 (`cp311`)"), "{torch}");
    assert!(torch.contains("module load python/3.12"), "{torch}");
    let pysam = explain_unavailable(
        &PackageName::from_str("pysam").unwrap(),
        &s.candidates,
        &Version::from_str("3.11.7").unwrap(),
    )
    .join("\n");
    assert!(
        pysam.contains(
            "only source distributions in the wheelhouse (newest: `pysam-0.22.1.tar.gz`)"
        ),
        "{pysam}"
    );
}

/// Issue 18 §3: the report says the specifiers the user wrote (`==9.9`, `<=1.0`), not the
/// ranges local versions need internally (`>=9.9, <9.9.post0.dev0`).
#[test]
fn reports_keep_the_specifiers_as_written() {
    let s = site(
        |r| {
            let dir = r.join("generic");
            wheel(&dir, "b-1.0+cpu-py3-none-any.whl", &[], None);
            wheel(&dir, "a-1.0-py3-none-any.whl", &["b<=0.5"], None);
        },
        false,
    );
    let report = |requirement: &str| match run(&s, &[requirement], &[]).unwrap_err() {
        wharf_resolve::ResolveError::NoSolution { report, .. } => report,
        other => panic!("{other}"),
    };
    let text = report("b==9.9");
    assert!(text.contains("b==9.9"), "{text}");
    assert!(!text.contains("post0"), "{text}");
    let text = report("a");
    assert!(text.contains("b<=0.5"), "{text}");
    assert!(!text.contains("post0"), "{text}");
}

/// A stand-in for the PEP 517 frontend: "builds" `name-version.tar.gz` into a pure wheel
/// whose metadata is `requires` (and `Requires-Python` when given), and counts its builds.
struct FakeBuilder {
    out: tempfile::TempDir,
    requires: Vec<(String, Vec<String>, Option<String>)>,
    built: std::cell::RefCell<Vec<String>>,
}

impl FakeBuilder {
    fn new(requires: &[(&str, &[&str], Option<&str>)]) -> Self {
        Self {
            out: tempfile::tempdir().unwrap(),
            requires: requires
                .iter()
                .map(|(file, r, rp)| {
                    (
                        (*file).to_string(),
                        r.iter().map(|s| (*s).to_string()).collect(),
                        rp.map(str::to_string),
                    )
                })
                .collect(),
            built: std::cell::RefCell::default(),
        }
    }
}

impl SdistBuilder for FakeBuilder {
    fn build(&self, sdist: &SdistCandidate) -> Result<Candidate, ResolveError> {
        let file = sdist
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        self.built.borrow_mut().push(file.clone());
        let (requires, requires_python) = self
            .requires
            .iter()
            .find(|(f, _, _)| *f == file)
            .map(|(_, r, rp)| (r.clone(), rp.clone()))
            .unwrap_or_default();
        let requires: Vec<&str> = requires.iter().map(String::as_str).collect();
        let filename = format!("{}-{}-py3-none-any.whl", sdist.name, sdist.version);
        wheel(
            self.out.path(),
            &filename,
            &requires,
            requires_python.as_deref(),
        );
        Ok(Candidate {
            filename: wharf_wheel_filename::WheelFilename::from_str(&filename).unwrap(),
            path: self.out.path().join(&filename),
            find_link: sdist.find_link,
            tag_priority: 0,
            sdist: None,
            direct: false,
            remote: None,
        })
    }
}

fn sdist(dir: &Path, file: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), b"not read by the fake builder").unwrap();
}

fn run_with(
    site: &Site,
    requirements: &[&str],
    binary: BinaryPolicy,
    builder: &FakeBuilder,
) -> Result<Vec<ResolvedPackage>, ResolveError> {
    resolve(
        &reqs(requirements),
        &[],
        &site.candidates,
        &[],
        &env(),
        &ResolveOptions {
            binary,
            ..ResolveOptions::default()
        },
        Some(builder),
    )
}

fn names(list: &[&str]) -> std::collections::BTreeSet<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// Issue 18 §1: sdists are candidates at every version, after the wheel of their version,
/// built only when chosen; the wheel built records the sdist it came from.
#[test]
fn sdists_are_candidates_at_every_version() {
    let s = site(
        |root| {
            // The newest release has only an sdist: chosen (pip and uv build it).
            sdist(&root.join("any"), "alpha-2.0.tar.gz");
            wheel(&root.join("any"), "alpha-1.0-py3-none-any.whl", &[], None);
            // Same version: the wheel, and its sdist never built.
            sdist(&root.join("any"), "beta-1.0.tar.gz");
            wheel(&root.join("any"), "beta-1.0-py3-none-any.whl", &[], None);
            // The newer wheel's Requires-Python excludes 3.11: the older sdist is built.
            wheel(
                &root.join("any"),
                "gamma-3.0-py3-none-any.whl",
                &[],
                Some(">=3.12"),
            );
            sdist(&root.join("any"), "gamma-2.0.tar.gz");
        },
        true,
    );
    let builder = FakeBuilder::new(&[("alpha-2.0.tar.gz", &["beta"], None)]);
    let resolved = run_with(&s, &["alpha", "gamma"], BinaryPolicy::default(), &builder).unwrap();
    assert_eq!(pins(&resolved), ["alpha==2.0", "beta==1.0", "gamma==2.0"]);
    assert_eq!(
        *builder.built.borrow(),
        ["alpha-2.0.tar.gz", "gamma-2.0.tar.gz"]
    );
    let ResolvedSource::Wheel(alpha) = &resolved[0].source else {
        panic!("alpha is built")
    };
    assert!(
        alpha
            .sdist
            .as_ref()
            .unwrap()
            .ends_with("any/alpha-2.0.tar.gz")
    );
    assert_eq!(
        resolved[0].requires_dist.as_deref(),
        Some(&["beta".to_string()][..])
    );
    let ResolvedSource::Wheel(beta) = &resolved[1].source else {
        panic!("beta is a wheel")
    };
    assert!(beta.sdist.is_none());

    // Without a builder (wheels only), the older wheel of alpha; gamma has none for 3.11.
    assert_eq!(pins(&run(&s, &["alpha"], &[]).unwrap()), ["alpha==1.0"]);
    assert!(run(&s, &["gamma"], &[]).is_err());
}

/// pip's `--prefer-binary`, `--only-binary`, `--no-binary` as `FormatControl` orders them.
#[test]
fn binary_options_choose_between_wheels_and_sdists() {
    let s = site(
        |root| {
            sdist(&root.join("any"), "alpha-2.0.tar.gz");
            wheel(&root.join("any"), "alpha-1.0-py3-none-any.whl", &[], None);
            sdist(&root.join("any"), "alpha-1.0.tar.gz");
        },
        true,
    );
    let pick = |binary: BinaryPolicy| {
        let builder = FakeBuilder::new(&[]);
        let resolved = run_with(&s, &["alpha"], binary, &builder).map(|r| pins(&r));
        (resolved.ok(), builder.built.borrow().clone())
    };
    // --prefer-binary: the older wheel, nothing built.
    assert_eq!(
        pick(BinaryPolicy {
            prefer_binary: true,
            ..BinaryPolicy::default()
        }),
        (Some(vec!["alpha==1.0".to_string()]), vec![])
    );
    // --only-binary alpha (or :all:): the wheel.
    for only in [":all:", "alpha"] {
        assert_eq!(
            pick(BinaryPolicy {
                only_binary: names(&[only]),
                ..BinaryPolicy::default()
            }),
            (Some(vec!["alpha==1.0".to_string()]), vec![])
        );
    }
    // --no-binary :all: with `alpha==1.0`: the sdist of 1.0, not its wheel.
    let builder = FakeBuilder::new(&[]);
    let resolved = run_with(
        &s,
        &["alpha==1.0"],
        BinaryPolicy {
            no_binary: names(&[":all:"]),
            ..BinaryPolicy::default()
        },
        &builder,
    )
    .unwrap();
    assert_eq!(pins(&resolved), ["alpha==1.0"]);
    assert_eq!(*builder.built.borrow(), ["alpha-1.0.tar.gz"]);
    // The project's own entry beats `:all:`: --no-binary :all: --only-binary alpha.
    assert_eq!(
        pick(BinaryPolicy {
            no_binary: names(&[":all:"]),
            only_binary: names(&["alpha"]),
            prefer_binary: false,
        }),
        (Some(vec!["alpha==1.0".to_string()]), vec![])
    );
}

/// Issue 18 §3: the report is in plain words, as pip's: "the user requested", the missing
/// dependency named with its specifier, "any version of"; none of PubGrub's internal terms
/// ("your request 0", "pydantic *", "is forbidden") and the local label kept.
#[test]
fn reports_use_plain_words() {
    let s = site(
        |r| {
            let dir = r.join("generic");
            wheel(
                &dir,
                "pydantic-2.5.0-py3-none-any.whl",
                &["pydantic-core==2.14.5"],
                None,
            );
            wheel(&dir, "pydantic_core-2.14.6-py3-none-any.whl", &[], None);
            wheel(
                &dir,
                "numpy-1.26.4+computecanada-py3-none-any.whl",
                &[],
                None,
            );
        },
        false,
    );
    let report = |requirements: &[&str]| match run(&s, requirements, &[]).unwrap_err() {
        wharf_resolve::ResolveError::NoSolution { report, .. } => report,
        other => panic!("{other}"),
    };
    let text = report(&["pydantic"]);
    assert_eq!(
        text,
        "Because the wheelhouse has no usable wheel of pydantic-core==2.14.5 and pydantic==2.5.0 depends on pydantic-core==2.14.5, pydantic==2.5.0 cannot be installed.\n\
         And because the wheelhouse has no usable wheel of pydantic other than 2.5.0 and the user requested pydantic, the requested packages cannot be installed."
    );
    let text = report(&["numpy==1.23.0+computecanada"]);
    assert!(
        text.contains("the user requested numpy==1.23.0+computecanada"),
        "{text}"
    );
    for jargon in ["your request", " *", "is forbidden", "is mandatory"] {
        assert!(!text.contains(jargon), "{jargon}: {text}");
    }
}

/// Issue 18 §3: a version that does not exist is answered as pip's "from versions: …": the
/// versions for this Python (labels kept), then each excluded wheel and why.
#[test]
fn missing_version_lists_what_exists_and_why_others_are_excluded() {
    let s = site(
        |r| {
            let dir = r.join("generic");
            wheel(
                &dir,
                "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                None,
            );
            wheel(
                &dir,
                "numpy-1.25.0+computecanada-cp311-cp311-linux_x86_64.whl",
                &[],
                Some(">=3.12"),
            );
            wheel(
                &dir,
                "numpy-2.1.1+computecanada-cp312-cp312-linux_x86_64.whl",
                &[],
                None,
            );
        },
        false,
    );
    assert!(run(&s, &["numpy==9.9"], &[]).is_err());
    let lines = explain_unavailable(
        &PackageName::from_str("numpy").unwrap(),
        &s.candidates,
        &Version::from_str("3.11.7").unwrap(),
    );
    assert_eq!(
        lines,
        [
            "versions of numpy for CPython 3.11 in the wheelhouse: 1.26.4+computecanada",
            "excluded: numpy 1.25.0+computecanada requires Python >=3.12; the environment has Python 3.11.7",
            "excluded: numpy 2.1.1+computecanada exists for CPython 3.12 (`cp312`); you are using CPython 3.11 (`cp311`)",
        ]
    );
}
