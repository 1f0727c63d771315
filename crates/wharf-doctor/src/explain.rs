//! `wharf explain`: an error message or a whole traceback, mapped to the site's catalogue of
//! causes, with the fix for this environment.
//!
//! Each catalogue entry is a pattern over the text (pip's and Python's own wording) plus what
//! the environment says (installed versions, its Python, the wheelhouse):
//!
//! | entry | recognised text |
//! | --- | --- |
//! | `requires-python` | pip: `Package 'X' requires a different Python: 3.11.5 not in '>=3.12'` |
//! | `dependency-conflict` | pip: `X 1.0 has requirement Y>=2, but you'll have Y 1.0 which is incompatible.` (and the new resolver's `requires …, but you have …`) |
//! | `no-matching-distribution` | pip: `No matching distribution found for X` (answered like `avail --explain X`) |
//! | `unsupported-wheel` | pip: `X.whl is not a supported wheel on this platform` (its tags against the interpreter's and the site's manylinux policy) |
//! | `numpy-expired-alias` | `AttributeError: module 'numpy' has no attribute 'bool'` (`int`, `float`, `complex`, `object`, `str`, `long`, `unicode`: removed in numpy 1.24) |
//! | `numpy-abi` | `numpy.core.multiarray failed to import`, `A module that was compiled using NumPy 1.x cannot be run in NumPy 2`, `numpy.dtype size changed, may indicate binary incompatibility` |
//! | `module-not-found` | `ModuleNotFoundError: No module named 'X'` (which project provides `X`; installed, shadowed, or needs a module) |
//! | `compiled-attribute-error` | an `AttributeError` raised in a compiled module (a `.pyx` frame) of a package whose classifiers stop below the running Python (CuPy on a too-new Python) |
//! | `hanging-script` | faulthandler's `Timeout (0:…)!`, Slurm's `DUE TO TIME LIMIT`, a `KeyboardInterrupt` traceback |
//!
//! A fix that installs something names only what the wheelhouse has for the environment's
//! interpreter ([`ExplainContext::offered`]); when the wheelhouse lacks it, the fix says so
//! and what to do instead. Without an environment (no tags to ask with) such fixes name no
//! version and point at `wharf avail`.

use std::str::FromStr;
use std::sync::LazyLock;

use pep440_rs::{Version, VersionSpecifiers};
use regex::Regex;
use serde::Serialize;
use wharf_install::InstalledDist;
use wharf_site::PythonVersion;
use wharf_wheel_filename::{Tags, WheelFilenameParser};

use crate::numpy_abi::NumpyAbiRemedy;
use crate::shell_quote;
use crate::wheelhouse::{Offered, newest_matching, versions_text};

/// One catalogue entry that matched the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The catalogue entry. Ex) `module-not-found`
    pub entry: &'static str,
    /// The line of the input that matched.
    pub matched: String,
    /// What it means, one line.
    pub what: String,
    /// Why it happens.
    pub cause: String,
    /// What this environment and the wheelhouse say.
    pub evidence: Vec<String>,
    /// The fix.
    pub fix: Option<String>,
}

/// Everything [`explain`] found.
#[derive(Debug, Clone, Serialize)]
pub struct ExplainReport {
    /// The matching entries, in the order of the input.
    pub explanations: Vec<Explanation>,
    /// Every catalogue entry the text was checked against.
    pub checked: Vec<&'static str>,
}

/// The catalogue entries, in the order they are tried.
pub const ENTRIES: &[&str] = &[
    "requires-python",
    "dependency-conflict",
    "no-matching-distribution",
    "unsupported-wheel",
    "numpy-expired-alias",
    "numpy-abi",
    "module-not-found",
    "compiled-attribute-error",
    "hanging-script",
];

/// What the environment and the wheelhouse know, as far as the caller could find out.
pub trait ExplainContext {
    /// The environment's Python, ex) `3.11.7`.
    fn python_version(&self) -> Option<Version>;
    /// The interpreter's compatible tags under the site's policy, and the full set when the
    /// policy removed manylinux tags.
    fn tags(&self) -> Option<(Tags, Option<Tags>)>;
    /// The distributions importable in the environment (its own, then those outside it).
    fn installed(&self) -> &[InstalledDist];
    /// The projects whose wheels in the wheelhouse install top-level `import_name`.
    fn providers(&self, import_name: &str) -> Vec<String>;
    /// `wharf avail --explain NAME`'s lines.
    fn unavailable(&self, name: &str) -> Vec<String>;
    /// The module system's Python versions.
    fn module_pythons(&self) -> Vec<PythonVersion>;
    /// `wharf install` with `--python ENV` when the environment is not the active one.
    fn wharf(&self, verb: &str, args: &str) -> String;
    /// The versions of `project` the wheelhouse (as `wharf install` reads it) has for the
    /// environment's interpreter, under the site's policy, newest first (see
    /// [`crate::wheelhouse::Wheelhouse::offered`]); `None` when that cannot be known (no
    /// environment, so no tags to ask with).
    fn offered(&self, project: &str) -> Option<Vec<Offered>>;
    /// Why the wheelhouse has nothing, when it is not configured
    /// ([`crate::wheelhouse::Wheelhouse::unconfigured_note`]); empty otherwise.
    fn unconfigured_note(&self) -> &'static str {
        ""
    }
}

/// `Python 3.11` of the environment, or `this Python`.
fn python_label(context: &dyn ExplainContext) -> String {
    context.python_version().map_or_else(
        || "this Python".to_string(),
        |v| {
            let release = v.release();
            format!(
                "Python {}.{}",
                release.first().copied().unwrap_or(3),
                release.get(1).copied().unwrap_or(0)
            )
        },
    )
}

macro_rules! regex {
    ($name:ident, $re:expr) => {
        static $name: LazyLock<Regex> = LazyLock::new(|| Regex::new($re).expect("valid regex"));
    };
}

regex!(
    REQUIRES_PYTHON,
    r"Package '([^']+)' requires a different Python: (\S+) not in '([^']+)'"
);
regex!(
    HAS_REQUIREMENT,
    r"(\S+) (\S+) has requirement (.+?), but you'll have (\S+) (\S+) which is incompatible"
);
regex!(
    REQUIRES_BUT_HAVE,
    r"(\S+) (\S+) requires (.+?), but you have (\S+) (\S+) which is incompatible"
);
regex!(NO_MATCHING, r"No matching distribution found for ([^\s;]+)");
regex!(
    UNSUPPORTED,
    r"(\S+\.whl) is not a supported wheel on this platform"
);
regex!(
    NUMPY_ALIAS,
    r"module 'numpy' has no attribute '(bool|int|float|complex|object|str|long|unicode|typeDict)'"
);
regex!(
    NUMPY_ABI,
    r"numpy\.core\.multiarray failed to import|compiled using NumPy 1\.x cannot be run in|numpy\.dtype size changed, may indicate binary incompatibility"
);
regex!(NOT_FOUND, r"No module named '([^']+)'");
regex!(FRAME, r#"File "([^"]+)", line \d+"#);
regex!(ATTRIBUTE_ERROR, r"^AttributeError: (.*)$");
regex!(
    HANG,
    r"Timeout \(\d+:\d\d:\d\d\)!|DUE TO TIME LIMIT|^KeyboardInterrupt|Thread 0x[0-9a-f]+ \(most recent call first\)"
);

/// Maps `text` (a message or traceback) to the catalogue.
pub fn explain(text: &str, context: &dyn ExplainContext) -> ExplainReport {
    let mut explanations: Vec<Explanation> = Vec::new();
    let mut push = |e: Explanation| {
        if !explanations
            .iter()
            .any(|x| x.entry == e.entry && x.what == e.what)
        {
            explanations.push(e);
        }
    };
    let frames: Vec<String> = FRAME
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .collect();
    let mut hang_done = false;
    for line in text.lines().map(str::trim) {
        if let Some(c) = REQUIRES_PYTHON.captures(line) {
            push(requires_python(line, &c[1], &c[2], &c[3], context));
        }
        if let Some(c) = HAS_REQUIREMENT
            .captures(line)
            .or_else(|| REQUIRES_BUT_HAVE.captures(line))
        {
            push(conflict(line, &c[1], &c[2], &c[3], &c[4], &c[5], context));
        }
        if let Some(c) = NO_MATCHING.captures(line) {
            push(no_matching(line, &c[1], context));
        }
        if let Some(c) = UNSUPPORTED.captures(line) {
            push(unsupported(line, &c[1], context));
        }
        if let Some(c) = NUMPY_ALIAS.captures(line) {
            push(numpy_alias(line, &c[1], &frames, context));
        }
        if NUMPY_ABI.is_match(line) {
            push(numpy_abi(line, &frames, context));
        }
        if let Some(c) = NOT_FOUND.captures(line) {
            push(not_found(line, &c[1], context));
        }
        if let Some(c) = ATTRIBUTE_ERROR.captures(line)
            && !NUMPY_ALIAS.is_match(line)
            && let Some(e) = compiled_attribute_error(line, &c[1], &frames, context)
        {
            push(e);
        }
        if !hang_done && HANG.is_match(line) {
            hang_done = true;
            push(hanging(line));
        }
    }
    ExplainReport {
        explanations,
        checked: ENTRIES.to_vec(),
    }
}

fn explanation(entry: &'static str, line: &str, what: String, cause: &str) -> Explanation {
    Explanation {
        entry,
        matched: line.to_string(),
        what,
        cause: cause.to_string(),
        evidence: Vec::new(),
        fix: None,
    }
}

fn installed<'a>(context: &'a dyn ExplainContext, name: &str) -> Option<&'a InstalledDist> {
    let wanted = normalize(name);
    context
        .installed()
        .iter()
        .find(|d| d.normalized_name() == wanted)
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The newest module Python satisfying `specifiers`, else the lowest 3.X that does.
fn python_for(specifiers: &VersionSpecifiers, context: &dyn ExplainContext) -> Option<String> {
    let ok = |v: PythonVersion| {
        [0u64, 99].iter().any(|micro| {
            specifiers.contains(&Version::new([
                u64::from(v.major),
                u64::from(v.minor),
                *micro,
            ]))
        })
    };
    let mut modules = context.module_pythons();
    modules.sort();
    modules
        .into_iter()
        .rev()
        .find(|v| ok(*v))
        .or_else(|| {
            (6..=14)
                .map(|minor| PythonVersion { major: 3, minor })
                .find(|v| ok(*v))
        })
        .map(|v| v.to_string())
}

fn requires_python(
    line: &str,
    package: &str,
    python: &str,
    spec: &str,
    context: &dyn ExplainContext,
) -> Explanation {
    let mut e = explanation(
        "requires-python",
        line,
        format!("{package} does not support Python {python} (it requires Python {spec})"),
        "every version of it that the installer found declares `Requires-Python` excluding this interpreter",
    );
    let module = VersionSpecifiers::from_str(spec)
        .ok()
        .and_then(|s| python_for(&s, context));
    let name = package.split('-').next().unwrap_or(package);
    e.fix = Some(match module {
        Some(v) => format!(
            "use a Python it supports: `module load python/{v}` and an environment made with it (`wharf venv ENV --python {v}`); or an older {name} for Python {python}: `wharf avail --explain {name}` lists what exists"
        ),
        None => format!("`wharf avail --explain {name}` lists the versions for each Python"),
    });
    e
}

fn conflict(
    line: &str,
    dist: &str,
    version: &str,
    requirement: &str,
    dependency: &str,
    dependency_version: &str,
    context: &dyn ExplainContext,
) -> Explanation {
    let mut e = explanation(
        "dependency-conflict",
        line,
        format!(
            "{dist} {version} needs {requirement}, but {dependency} {dependency_version} is installed"
        ),
        "a package was installed or upgraded on its own (`--no-deps`, a later install of another version), so a dependency no longer matches",
    );
    if let Some(d) = installed(context, dependency) {
        e.evidence
            .push(format!("installed now: {} {}", d.name, d.version));
    }
    let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
    let command = format!(
        "`{}` (resolves it with everything installed; `wharf check` confirms)",
        context.wharf("install", &shell_quote(requirement))
    );
    e.fix = Some(match context.offered(dependency) {
        None => command,
        Some(offered) => match crate::doctor::requirement_satisfier(requirement, &offered) {
            Some(found) => {
                e.evidence.push(format!(
                    "the wheelhouse has {dependency} {} for {}",
                    found.version,
                    python_label(context)
                ));
                command
            }
            None => format!(
                "the wheelhouse has no {dependency} matching `{requirement}` for {} (it has: {}){}: install a version of {dist} that accepts {dependency} {dependency_version} (`wharf avail --explain {dist}` lists them), or get a {dependency} wheel that matches (`wharf avail --explain {dependency}`)",
                python_label(context),
                versions_text(&offered),
                context.unconfigured_note()
            ),
        },
    });
    e
}

fn no_matching(line: &str, name: &str, context: &dyn ExplainContext) -> Explanation {
    let name = name.trim_end_matches(['.', ',']);
    let mut e = explanation(
        "no-matching-distribution",
        line,
        format!("no wheel of `{name}` fits this Python and this site"),
        "the wheelhouse has no wheel of it, or only for other Pythons, architectures or versions (pip runs with --no-index on the site)",
    );
    let project = name
        .split(['<', '>', '=', '!', '~', '[', ' '])
        .next()
        .unwrap_or(name);
    let lines = context.unavailable(project);
    let not_named = lines.iter().any(|l| l.starts_with("no wheel named "));
    for l in lines {
        if let Some(hint) = l.strip_prefix("hint: ") {
            e.fix = Some(hint.to_string());
        } else {
            e.evidence.push(l);
        }
    }
    // `pip install sklearn`: an import name, not a distribution's (the import index is read
    // only when no wheel has the name).
    let same_project = |p: &str| {
        let name = |n: &str| pep508_rs::PackageName::from_str(n).ok();
        name(p).is_some() && name(p) == name(project)
    };
    let providers: Vec<String> = if not_named {
        context
            .providers(project)
            .into_iter()
            .filter(|p| !same_project(p))
            .collect()
    } else {
        Vec::new()
    };
    if !providers.is_empty() {
        e.evidence.push(format!(
            "`{project}` is the import name of {}, in the wheelhouse",
            providers.join(", ")
        ));
        e.fix = Some(format!(
            "install the distribution, not the import name: {}",
            providers
                .iter()
                .map(|p| format!("`{}`", context.wharf("install", p)))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if e.fix.is_none() {
        e.fix = Some(format!("`wharf avail --explain {project}`"));
    }
    e
}

fn unsupported(line: &str, file: &str, context: &dyn ExplainContext) -> Explanation {
    let base = file.rsplit('/').next().unwrap_or(file);
    let mut e = explanation(
        "unsupported-wheel",
        line,
        format!("`{base}` cannot be installed on this interpreter"),
        "its tags (Python, ABI, platform) are not among the interpreter's compatible tags",
    );
    let Ok(filename) = WheelFilenameParser::default().parse(base) else {
        e.evidence
            .push("the file name is not a valid wheel name (PEP 427)".to_string());
        return e;
    };
    let tag_text = base
        .strip_suffix(".whl")
        .unwrap_or(base)
        .rsplitn(4, '-')
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("-");
    e.evidence.push(format!("the wheel's tags: {tag_text}"));
    let Some((site, full)) = context.tags() else {
        e.fix = Some("run it with `--python ENV` (or in the active environment) to compare with the interpreter's tags".to_string());
        return e;
    };
    let python = context
        .python_version()
        .map(|v| v.to_string())
        .unwrap_or_default();
    let ours = python.split('.').take(2).collect::<Vec<_>>().join("");
    e.evidence
        .push(format!("you are using CPython {python} (`cp{ours}`)"));
    if filename.is_compatible(&site) {
        e.evidence
            .push("its tags are compatible with this interpreter now".to_string());
        e.fix = Some(
            "it was refused by another interpreter: check which `python`/`pip` ran (`wharf doctor`)"
                .to_string(),
        );
    } else if full.as_ref().is_some_and(|t| filename.is_compatible(t)) {
        e.what = format!("`{base}` is a manylinux wheel, which the site refuses");
        e.cause = "the site's `_manylinux.py` (on PYTHONPATH) answers False for manylinux tags: only `linux_x86_64` and `any` wheels built for the cluster are accepted".to_string();
        let knowingly = format!(
            "`{}`",
            context.wharf(
                "install",
                &format!("--allow-manylinux {}", shell_quote(file))
            )
        );
        e.fix = Some(match context.offered(filename.name.as_ref()) {
            Some(offered) if offered.is_empty() => format!(
                "the wheelhouse has no build of {} for {} that the site accepts{}: ask your site's staff for one, or install this wheel knowingly: {knowingly}",
                filename.name,
                python_label(context),
                context.unconfigured_note()
            ),
            Some(offered) => format!(
                "install the site's build ({} {}): `{}`; or, knowingly, {knowingly}",
                filename.name,
                offered[0].version,
                context.wharf("install", filename.name.as_ref())
            ),
            None => format!(
                "install the site's build: `{}`; or, knowingly, {knowingly}",
                context.wharf("install", filename.name.as_ref())
            ),
        });
    } else if let Some(cp) = tag_text
        .split('-')
        .next()
        .and_then(|p| p.split('.').find(|t| t.starts_with("cp3")))
        && cp != format!("cp{ours}")
    {
        let theirs = format!("3.{}", &cp[3..]);
        e.what = format!(
            "the wheel is for CPython {theirs} (`{cp}`), you are using CPython {python} (`cp{ours}`)"
        );
        e.fix = Some(format!(
            "`module load python/{theirs}` and an environment made with it; or the wheel for Python {}: `wharf avail --explain {}`",
            python.split('.').take(2).collect::<Vec<_>>().join("."),
            filename.name
        ));
    } else {
        e.fix = Some(format!(
            "`wharf avail --explain {}` lists the builds that fit",
            filename.name
        ));
    }
    e
}

fn numpy_alias(
    line: &str,
    alias: &str,
    frames: &[String],
    context: &dyn ExplainContext,
) -> Explanation {
    let mut e = explanation(
        "numpy-expired-alias",
        line,
        format!("`numpy.{alias}` no longer exists (removed in numpy 1.24)"),
        "numpy 1.20 deprecated the aliases of Python builtins (`np.bool`, `np.int`, `np.float`, `np.object`…) and 1.24 removed them; the code (yours or a package's) is older",
    );
    if let Some(numpy) = installed(context, "numpy") {
        e.evidence
            .push(format!("numpy installed: {}", numpy.version));
    }
    let builtin = match alias {
        "long" => "int",
        "unicode" => "str",
        "typeDict" => "np.sctypeDict",
        other => other,
    };
    let code = format!(
        "fix the code: `np.{alias}` → `{builtin}` (or `np.{alias}_` for the numpy scalar type)"
    );
    let pin = format!("`{}`", context.wharf("install", "'numpy<1.24'"));
    let below: VersionSpecifiers = std::iter::once(pep440_rs::VersionSpecifier::less_than_version(
        Version::new([1, 24]),
    ))
    .collect();
    let offered = context.offered("numpy");
    let old = offered
        .as_deref()
        .and_then(|offered| newest_matching(offered, &below));
    e.fix = Some(match (&offered, old) {
        (None, _) => format!("{code}; or pin numpy: {pin}"),
        (Some(_), Some(old)) => {
            e.evidence.push(format!(
                "the wheelhouse has numpy {} for {}",
                old.version,
                python_label(context)
            ));
            format!(
                "{code}; or pin numpy: {pin} (installs numpy {})",
                old.version
            )
        }
        (Some(offered), None) => {
            e.evidence.push(format!(
                "the wheelhouse has no numpy older than 1.24 for {} (it has: {}){}",
                python_label(context),
                versions_text(offered),
                context.unconfigured_note()
            ));
            let upgrade = frame_package(frames)
                .and_then(|p| installed(context, &p).cloned())
                .and_then(|d| newer_offered(context, &d).map(|o| (d, o)));
            match upgrade {
                Some((d, newer)) => format!(
                    "{code}; if it is {}'s code, install a newer one from the wheelhouse: `{}`",
                    d.name,
                    context.wharf(
                        "install",
                        &shell_quote(&format!("{}=={}", d.name, newer.public_version()))
                    )
                ),
                None => format!("{code} (numpy<1.24 cannot be installed here)"),
            }
        }
    });
    e
}

/// The newest version of installed `dist` that the wheelhouse has for the interpreter, when
/// it is newer than the installed one.
fn newer_offered(context: &dyn ExplainContext, dist: &InstalledDist) -> Option<Offered> {
    let installed = Version::from_str(&dist.version).ok()?;
    context
        .offered(&dist.name)?
        .into_iter()
        .next()
        .filter(|newest| newest.version > installed)
}

/// The distribution a traceback's frames point into (`…/site-packages/<pkg>/…`), the last
/// frame outside numpy first.
fn frame_package(frames: &[String]) -> Option<String> {
    frames.iter().rev().find_map(|f| {
        let rest = f.split("site-packages/").nth(1)?;
        let top = rest.split('/').next()?;
        let top = top.split('.').next()?;
        (top != "numpy").then(|| top.to_string())
    })
}

fn numpy_abi(line: &str, frames: &[String], context: &dyn ExplainContext) -> Explanation {
    let package = frame_package(frames);
    let numpy = installed(context, "numpy").map(|d| d.version.clone());
    let who = package.clone().unwrap_or_else(|| "a package".to_string());
    let mut e = explanation(
        "numpy-abi",
        line,
        format!("{who} was compiled against numpy 1.x and cannot run under numpy 2"),
        "numpy 2 changed its C ABI: extensions built with numpy 1.x headers fail to import (`numpy.core.multiarray failed to import`, `numpy.dtype size changed`); the package's metadata does not exclude numpy 2, so the installer allowed it",
    );
    if let Some(v) = &numpy {
        e.evidence.push(format!("numpy installed: {v}"));
    }
    let dist = package.as_ref().and_then(|p| {
        context.installed().iter().find(|d| {
            d.normalized_name() == normalize(p)
                || d.path.parent().is_some_and(|site| {
                    site.join(p).is_dir()
                        && d.files()
                            .is_ok_and(|f| f.iter().any(|x| x.starts_with(site.join(p))))
                })
        })
    });
    if let Some(d) = dist {
        e.evidence
            .push(format!("the failing import is in {} {}", d.name, d.version));
    }
    let doctor = "`wharf doctor` lists every package built against numpy 1.x";
    let numpy_major = numpy
        .as_deref()
        .and_then(|v| v.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    let python = python_label(context);
    match (numpy_major, dist) {
        // numpy 1.x installed: the package was built against a newer numpy than this one.
        (Some(major), _) if major < 2 => {
            let installed_numpy = numpy.clone().unwrap_or_default();
            let name = dist.map_or_else(
                || {
                    package
                        .clone()
                        .unwrap_or_else(|| "the failing package".to_string())
                },
                |d| d.name.clone(),
            );
            e.what = format!(
                "{who} was compiled against a newer numpy than the installed {installed_numpy}"
            );
            e.cause = "an extension built with newer numpy headers needs that numpy's C API (`numpy.dtype size changed`, `module compiled against API version …`); its metadata allowed the older numpy".to_string();
            let newer = installed(context, "numpy").and_then(|d| newer_offered(context, d));
            e.fix = Some(match (context.offered("numpy"), newer) {
                (Some(_), Some(newer)) => format!(
                    "upgrade numpy to the wheelhouse's {}: `{}`",
                    newer.version,
                    context.wharf(
                        "install",
                        &shell_quote(&format!("numpy=={}", newer.public_version()))
                    )
                ),
                (Some(offered), None) => format!(
                    "the wheelhouse has no numpy newer than {installed_numpy} for {python} (it has: {}){}: install a build of {name} made for numpy {installed_numpy} (`wharf avail --explain {name}`)",
                    versions_text(&offered),
                    context.unconfigured_note()
                ),
                (None, _) => format!(
                    "upgrade numpy (`wharf avail numpy` lists the wheelhouse's), or install a build of {name} made for numpy {installed_numpy}"
                ),
            });
        }
        (Some(_), Some(d)) => match (context.offered(&d.name), context.offered("numpy")) {
            (Some(package), Some(numpy_offered)) => {
                let remedy = NumpyAbiRemedy::find(&d.name, &d.version, &package, &numpy_offered);
                let version = python.trim_start_matches("Python ").to_string();
                e.evidence.extend(remedy.evidence(&version));
                e.fix = Some(format!(
                    "{}; {doctor}",
                    remedy.fix(
                        &version,
                        &|args| context.wharf("install", args),
                        &|args| context.wharf("uninstall", args),
                        context.unconfigured_note(),
                    )
                ));
            }
            _ => e.fix = Some(unchecked_numpy_abi_fix(Some(&d.name), doctor)),
        },
        // The package or numpy is not known: name no version.
        _ => e.fix = Some(unchecked_numpy_abi_fix(package.as_deref(), doctor)),
    }
    e
}

/// The numpy-abi fix when the wheelhouse cannot be asked (no environment to ask for): where
/// to look, no version named.
fn unchecked_numpy_abi_fix(package: Option<&str>, doctor: &str) -> String {
    match package {
        Some(package) => format!(
            "install a build of {package} made for numpy 2, or numpy 1.x, whichever the wheelhouse has (`wharf avail --explain {package}`, `wharf avail numpy`; `wharf explain --python ENV` checks for the environment); {doctor}"
        ),
        None => format!(
            "install a build of the failing package made for numpy 2, or numpy 1.x, whichever the wheelhouse has (`wharf avail numpy`; `wharf explain --python ENV` checks for the environment); {doctor}"
        ),
    }
}

fn not_found(line: &str, module: &str, context: &dyn ExplainContext) -> Explanation {
    let top = module.split('.').next().unwrap_or(module);
    let mut e = explanation(
        "module-not-found",
        line,
        format!("nothing importable provides `{module}`"),
        "the project that provides it is not installed in the environment `python` runs in (import names differ from project names: `sklearn` is scikit-learn)",
    );
    let mut providers = context.providers(top);
    if providers.is_empty()
        && let Some((_, project)) = crate::import_names::WELL_KNOWN
            .iter()
            .find(|(import, _)| *import == module || *import == top)
    {
        providers.push((*project).to_string());
    }
    if providers.is_empty() {
        e.evidence.push(format!(
            "no wheel in the wheelhouse installs a top-level `{top}`"
        ));
        e.fix = Some(format!(
            "it may come from a module (`module spider {top}`), or be your own code (check the working directory and PYTHONPATH)"
        ));
        return e;
    }
    e.evidence.push(format!(
        "`import {top}` is provided by: {}",
        providers.join(", ")
    ));
    if let Some(d) = providers.iter().find_map(|p| installed(context, p)) {
        e.what = format!(
            "`{module}` is not importable although {} {} is installed",
            d.name, d.version
        );
        e.cause = "the package is installed but not where `python` looks: another interpreter ran (a module loaded after activation, `python` not from the environment), or its files were deleted".to_string();
        e.evidence.push(format!(
            "installed: {} {} in {}",
            d.name,
            d.version,
            d.path.display()
        ));
        e.fix = Some("`wharf doctor` (checks that `python` is the environment's and that its files are intact)".to_string());
        return e;
    }
    let checked = context.offered(&providers[0]).is_some();
    let available = providers
        .iter()
        .find(|p| context.offered(p).is_some_and(|o| !o.is_empty()));
    e.fix = Some(match available {
        Some(p) => format!("`{}`", context.wharf("install", p)),
        None if !checked => format!("`{}`", context.wharf("install", &providers[0])),
        None => format!(
            "the wheelhouse has no {} for {}{}: it may come from a module (`module spider {top}`); `wharf avail --explain {}` lists what exists",
            providers.join(" or "),
            python_label(context),
            context.unconfigured_note(),
            providers[0]
        ),
    });
    e
}

fn compiled_attribute_error(
    line: &str,
    message: &str,
    frames: &[String],
    context: &dyn ExplainContext,
) -> Option<Explanation> {
    let last = frames.last()?;
    if !(last.ends_with(".pyx") || last.ends_with(".so")) {
        return None;
    }
    let package = last
        .split('/')
        .next()
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .or_else(|| frame_package(frames))?;
    let python = context.python_version();
    let mut e = explanation(
        "compiled-attribute-error",
        line,
        format!("{package}'s compiled code failed: {message}"),
        "a compiled extension uses an interpreter or library API that changed; a package built for older Pythons fails like this on a newer one",
    );
    e.evidence
        .push(format!("raised in a compiled module: {last}"));
    let dist = installed(context, &package);
    let supported = dist.map(classifier_pythons).unwrap_or_default();
    if let (Some(d), Some(max)) = (dist, supported.iter().max()) {
        e.evidence.push(format!(
            "{} {} declares Python {} at most (classifiers)",
            d.name, d.version, max
        ));
        if let Some(v) = &python {
            let running = v.to_string();
            e.evidence.push(format!("running Python {running}"));
            let newer = PythonVersion::from_str(&running).is_ok_and(|r| r > *max);
            if newer {
                e.what = format!(
                    "{} {} supports Python up to {max}, you run Python {running}",
                    d.name, d.version
                );
                e.fix = Some(
                    match (context.offered(&d.name), newer_offered(context, d)) {
                        (None, _) => format!(
                            "`module load python/{max}` and an environment made with it; or a newer {}: `{}`",
                            d.name,
                            context.wharf("install", &format!("--upgrade {}", d.name))
                        ),
                        (Some(_), Some(newer)) => format!(
                            "`module load python/{max}` and an environment made with it; or the wheelhouse's newer {} {}: `{}`",
                            d.name,
                            newer.version,
                            context.wharf(
                                "install",
                                &shell_quote(&format!("{}=={}", d.name, newer.public_version()))
                            )
                        ),
                        (Some(_), None) => format!(
                            "`module load python/{max}` and an environment made with it (the wheelhouse has no {} newer than {} for Python {running}{})",
                            d.name,
                            d.version,
                            context.unconfigured_note()
                        ),
                    },
                );
                return Some(e);
            }
        }
    }
    let newer = dist.and_then(|d| newer_offered(context, d));
    e.fix = Some(match (dist, context.offered(&package), newer) {
        (Some(d), Some(_), Some(newer)) => format!(
            "upgrade {} to the wheelhouse's {}: `{}`; or use the Python it was built for (`wharf avail --explain {package}`)",
            d.name,
            newer.version,
            context.wharf(
                "install",
                &shell_quote(&format!("{}=={}", d.name, newer.public_version()))
            )
        ),
        (Some(d), Some(_), None) => format!(
            "the wheelhouse has no {} newer than {}{}: use the Python it was built for (`wharf avail --explain {package}`)",
            d.name,
            d.version,
            context.unconfigured_note()
        ),
        _ => format!(
            "upgrade {package} (`{}`) or use the Python it was built for (`wharf avail --explain {package}`)",
            context.wharf("install", &format!("--upgrade {package}"))
        ),
    });
    Some(e)
}

/// The `Programming Language :: Python :: 3.X` classifiers of an installed distribution.
pub fn classifier_pythons(dist: &InstalledDist) -> Vec<PythonVersion> {
    let Ok(text) = std::fs::read_to_string(dist.path.join("METADATA")) else {
        return Vec::new();
    };
    wharf_metadata::Headers::parse(&text)
        .get_all("Classifier")
        .iter()
        .filter_map(|c| c.strip_prefix("Programming Language :: Python :: "))
        .filter_map(|v| PythonVersion::from_str(v).ok())
        .collect()
}

fn hanging(line: &str) -> Explanation {
    let mut e = explanation(
        "hanging-script",
        line,
        "the script hung (or was too slow) and was stopped".to_string(),
        "a deadlock (threads, MPI, multiprocessing on a network filesystem), waiting on I/O, or more threads than the CPUs granted (`SLURM_CPUS_PER_TASK`)",
    );
    e.evidence.push(
        "a traceback at the moment it hangs shows where: the frames below the deepest one are waiting"
            .to_string(),
    );
    e.fix = Some("see where it hangs: add `import faulthandler, sys; faulthandler.dump_traceback_later(600, exit=True)` at the top (every thread's stack after 600 s), or on a running process `py-spy dump --pid PID` (`wharf install py-spy`)".to_string());
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing(Vec<InstalledDist>);

    impl ExplainContext for Nothing {
        fn python_version(&self) -> Option<Version> {
            Version::from_str("3.11.7").ok()
        }
        fn tags(&self) -> Option<(Tags, Option<Tags>)> {
            None
        }
        fn installed(&self) -> &[InstalledDist] {
            &self.0
        }
        fn providers(&self, import_name: &str) -> Vec<String> {
            match import_name {
                "sklearn" => vec!["scikit_learn".to_string()],
                _ => Vec::new(),
            }
        }
        fn unavailable(&self, name: &str) -> Vec<String> {
            if name == "sklearn" {
                return vec![
                    "no wheel named `sklearn` in the 3 searched directories".to_string(),
                    "hint: ask your site's staff to add a wheel for it".to_string(),
                ];
            }
            vec![
                format!("{name} 2.1.1 exists for cp312, you are on cp311"),
                "hint: `module load python/3.12`".to_string(),
            ]
        }
        fn module_pythons(&self) -> Vec<PythonVersion> {
            Vec::new()
        }
        fn wharf(&self, verb: &str, args: &str) -> String {
            format!("wharf {verb} {args}")
        }
        fn offered(&self, _project: &str) -> Option<Vec<Offered>> {
            None
        }
    }

    fn entries(text: &str) -> Vec<(&'static str, Option<String>)> {
        explain(text, &Nothing(Vec::new()))
            .explanations
            .into_iter()
            .map(|e| (e.entry, e.fix))
            .collect()
    }

    #[test]
    fn pip_messages() {
        let e =
            entries("ERROR: Package 'numpy' requires a different Python: 3.11.7 not in '>=3.12'");
        assert_eq!(e[0].0, "requires-python");
        assert!(
            e[0].1
                .as_deref()
                .unwrap()
                .contains("module load python/3.12"),
            "{e:?}"
        );
        let e = entries(
            "pandas 2.2.2 has requirement numpy>=1.23.2, but you'll have numpy 1.21.0 which is incompatible.",
        );
        assert_eq!(e[0].0, "dependency-conflict");
        assert!(
            e[0].1
                .as_deref()
                .unwrap()
                .contains("wharf install 'numpy>=1.23.2'"),
            "{e:?}"
        );
        let e = entries("ERROR: No matching distribution found for tensorflow==2.17");
        assert_eq!(e[0].0, "no-matching-distribution");
        assert_eq!(e[0].1.as_deref(), Some("`module load python/3.12`"));
        let e = entries("ERROR: No matching distribution found for sklearn");
        assert_eq!(e[0].0, "no-matching-distribution");
        assert_eq!(
            e[0].1.as_deref(),
            Some("install the distribution, not the import name: `wharf install scikit_learn`")
        );
    }

    #[test]
    fn numpy_and_imports() {
        let e = entries("AttributeError: module 'numpy' has no attribute 'bool'.");
        assert_eq!(e[0].0, "numpy-expired-alias");
        assert!(e[0].1.as_deref().unwrap().contains("'numpy<1.24'"));
        let e = entries("ModuleNotFoundError: No module named 'sklearn'");
        assert_eq!(e[0].0, "module-not-found");
        assert_eq!(e[0].1.as_deref(), Some("`wharf install scikit_learn`"));
        let e = entries("ModuleNotFoundError: No module named 'cv2'");
        assert_eq!(e[0].1.as_deref(), Some("`wharf install opencv-python`"));
        let e = entries("ModuleNotFoundError: No module named 'mycode'");
        assert!(e[0].1.as_deref().unwrap().contains("module spider mycode"));
    }

    #[test]
    fn hangs_and_unknown() {
        let e = entries(
            "slurmstepd: error: *** JOB 42 ON nc1 CANCELLED AT 2024-01-01T00:00:00 DUE TO TIME LIMIT ***",
        );
        assert_eq!(e[0].0, "hanging-script");
        assert!(e[0].1.as_deref().unwrap().contains("py-spy dump --pid"));
        assert!(entries("Segmentation fault (core dumped)").is_empty());
    }

    /// A context with an environment (Python 3.11.7), installed distributions and a
    /// wheelhouse: project ▸ its versions for the interpreter (a project absent from the map
    /// has none).
    struct Site {
        installed: Vec<InstalledDist>,
        wheels: Vec<(&'static str, Vec<Offered>)>,
    }

    impl ExplainContext for Site {
        fn python_version(&self) -> Option<Version> {
            Version::from_str("3.11.7").ok()
        }
        fn tags(&self) -> Option<(Tags, Option<Tags>)> {
            let abis = Tags::cpython_default_abis((3, 11));
            let site = wharf_wheel_filename::PlatformTag::linux_platforms("x86_64", None);
            let all = wharf_wheel_filename::PlatformTag::linux_platforms("x86_64", Some((2, 36)));
            Some((
                Tags::cpython((3, 11), &abis, &site, true),
                Some(Tags::cpython((3, 11), &abis, &all, true)),
            ))
        }
        fn installed(&self) -> &[InstalledDist] {
            &self.installed
        }
        fn providers(&self, _import_name: &str) -> Vec<String> {
            Vec::new()
        }
        fn unavailable(&self, _name: &str) -> Vec<String> {
            Vec::new()
        }
        fn module_pythons(&self) -> Vec<PythonVersion> {
            Vec::new()
        }
        fn wharf(&self, verb: &str, args: &str) -> String {
            format!("wharf {verb} {args}")
        }
        fn offered(&self, project: &str) -> Option<Vec<Offered>> {
            Some(
                self.wheels
                    .iter()
                    .find(|(name, _)| normalize(name) == normalize(project))
                    .map(|(_, offered)| offered.clone())
                    .unwrap_or_default(),
            )
        }
    }

    fn dist(name: &str, version: &str) -> InstalledDist {
        InstalledDist {
            name: name.to_string(),
            version: version.to_string(),
            path: PathBuf::from(format!("/env/site-packages/{name}-{version}.dist-info")),
            requested: true,
            installer: None,
            requires_dist: Vec::new(),
            requires_python: None,
        }
    }

    /// A version offered by a file that is not read (filename-only checks).
    fn offered(version: &str) -> Offered {
        Offered {
            version: Version::from_str(version).unwrap(),
            path: PathBuf::from(format!("/wheelhouse/x-{version}-py3-none-any.whl")),
        }
    }

    /// A real wheel of `name` `version` in `dir` whose one extension imports numpy's C API
    /// of `generation` (`numpy.core` for 1.x, `numpy._core` for 2.x).
    fn numpy_wheel(dir: &Path, name: &str, version: &str, generation: &str) -> Offered {
        let path = dir.join(format!("{name}-{version}-cp311-cp311-linux_x86_64.whl"));
        wharf_test_support::WheelBuilder::new(name, version, false, &["numpy>=1.21"])
            .file(
                &format!("{name}/_ext.cpython-311-x86_64-linux-gnu.so"),
                format!("\0{generation}._multiarray_umath\0").as_bytes(),
            )
            .write(&path);
        Offered {
            version: Version::from_str(version).unwrap(),
            path,
        }
    }

    fn explained(text: &str, context: &Site) -> Explanation {
        let mut report = explain(text, context);
        assert_eq!(report.explanations.len(), 1, "{report:#?}");
        report.explanations.remove(0)
    }

    use std::path::{Path, PathBuf};

    /// The conflict fix installs the requirement only when the wheelhouse has a version
    /// that satisfies it.
    #[test]
    fn conflict_fix_is_checked() {
        let line = "pandas 2.2.2 has requirement numpy>=1.23.2, but you'll have numpy 1.21.0 which is incompatible.";
        let has = Site {
            installed: vec![dist("numpy", "1.21.0")],
            wheels: vec![("numpy", vec![offered("1.26.4+computecanada")])],
        };
        let e = explained(line, &has);
        assert!(
            e.fix
                .as_deref()
                .unwrap()
                .starts_with("`wharf install 'numpy>=1.23.2'`"),
            "{e:#?}"
        );
        assert!(e.evidence.contains(
            &"the wheelhouse has numpy 1.26.4+computecanada for Python 3.11".to_string()
        ));
        let lacks = Site {
            installed: vec![dist("numpy", "1.21.0")],
            wheels: vec![("numpy", vec![offered("1.21.0+computecanada")])],
        };
        let e = explained(line, &lacks);
        let fix = e.fix.as_deref().unwrap();
        assert!(
            fix.starts_with("the wheelhouse has no numpy matching `numpy>=1.23.2` for Python 3.11 (it has: 1.21.0+computecanada)")
                && !fix.contains("wharf install"),
            "{fix}"
        );
    }

    /// A manylinux wheel refused by the site: "install the site's build" only when there is one.
    #[test]
    fn unsupported_manylinux_fix_is_checked() {
        let line = "ERROR: numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl is not a supported wheel on this platform.";
        let has = Site {
            installed: Vec::new(),
            wheels: vec![("numpy", vec![offered("1.26.4+computecanada")])],
        };
        let e = explained(line, &has);
        assert!(
            e.fix.as_deref().unwrap().starts_with(
                "install the site's build (numpy 1.26.4+computecanada): `wharf install numpy`"
            ),
            "{e:#?}"
        );
        let lacks = Site {
            installed: Vec::new(),
            wheels: Vec::new(),
        };
        let e = explained(line, &lacks);
        assert!(
            e.fix.as_deref().unwrap().starts_with(
                "the wheelhouse has no build of numpy for Python 3.11 that the site accepts"
            ),
            "{e:#?}"
        );
    }

    /// `numpy<1.24` is suggested only when the wheelhouse has such a numpy for the Python.
    #[test]
    fn numpy_alias_pin_is_checked() {
        let line = "AttributeError: module 'numpy' has no attribute 'bool'.";
        let has = Site {
            installed: vec![dist("numpy", "1.26.4")],
            wheels: vec![(
                "numpy",
                vec![
                    offered("1.26.4+computecanada"),
                    offered("1.23.5+computecanada"),
                ],
            )],
        };
        let e = explained(line, &has);
        assert!(
            e.fix.as_deref().unwrap().ends_with(
                "or pin numpy: `wharf install 'numpy<1.24'` (installs numpy 1.23.5+computecanada)"
            ),
            "{e:#?}"
        );
        let lacks = Site {
            installed: vec![dist("numpy", "1.26.4")],
            wheels: vec![("numpy", vec![offered("1.26.4+computecanada")])],
        };
        let e = explained(line, &lacks);
        let fix = e.fix.as_deref().unwrap();
        assert!(!fix.contains("numpy<1.24'"), "{fix}");
        assert!(
            fix.ends_with("(numpy<1.24 cannot be installed here)"),
            "{fix}"
        );
        assert!(
            e.evidence.contains(&"the wheelhouse has no numpy older than 1.24 for Python 3.11 (it has: 1.26.4+computecanada)".to_string()),
            "{e:#?}"
        );
    }

    /// The numpy ABI fix under numpy 2: the package's numpy-2 build when the wheelhouse has
    /// one (looked into), `numpy<2` when it has a numpy 1.x, else neither is named.
    #[test]
    fn numpy_abi_fix_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let traceback = "  File \"/env/lib/python3.11/site-packages/pandas/__init__.py\", line 22, in <module>\nImportError: numpy.core.multiarray failed to import";
        let installed = vec![dist("numpy", "2.0.2"), dist("pandas", "1.5.3")];
        let rebuilt = numpy_wheel(dir.path(), "pandas", "2.2.2+computecanada", "numpy._core");
        let old_build = numpy_wheel(dir.path(), "pandas", "2.0.3+computecanada", "numpy.core");
        let both = Site {
            installed: installed.clone(),
            wheels: vec![
                ("pandas", vec![rebuilt.clone()]),
                (
                    "numpy",
                    vec![offered("2.0.2"), offered("1.26.4+computecanada")],
                ),
            ],
        };
        let e = explained(traceback, &both);
        assert_eq!(
            e.fix.as_deref(),
            Some(
                "install the wheelhouse's pandas 2.2.2+computecanada, built against numpy 2: `wharf install pandas==2.2.2`; or keep pandas 1.5.3 and go back to numpy 1.26.4+computecanada: `wharf install 'numpy<2'`; `wharf doctor` lists every package built against numpy 1.x"
            )
        );
        assert!(
            e.evidence.iter().any(|l| l.starts_with(
                "the wheelhouse has pandas 2.2.2+computecanada for Python 3.11, built against numpy 2 ("
            )),
            "{e:#?}"
        );
        // The wheelhouse's pandas is built against numpy 1.x too: only numpy<2.
        let numpy1 = Site {
            installed: installed.clone(),
            wheels: vec![
                ("pandas", vec![old_build.clone()]),
                ("numpy", vec![offered("1.26.4+computecanada")]),
            ],
        };
        let e = explained(traceback, &numpy1);
        assert!(
            e.fix.as_deref().unwrap().starts_with(
                "go back to numpy 1.x, which pandas 1.5.3 was built for: `wharf install 'numpy<2'` (installs numpy 1.26.4+computecanada;"
            ),
            "{e:#?}"
        );
        assert!(e.evidence.contains(
            &"the wheelhouse's pandas 2.0.3+computecanada for Python 3.11 is built against numpy 1.x too".to_string()
        ));
        // Neither: no install command, the way out instead.
        let neither = Site {
            installed,
            wheels: vec![
                ("pandas", vec![old_build]),
                ("numpy", vec![offered("2.0.2")]),
            ],
        };
        let e = explained(traceback, &neither);
        let fix = e.fix.as_deref().unwrap();
        assert!(
            fix.starts_with("the wheelhouse has no pandas built against numpy 2 and no numpy 1.x for Python 3.11: remove pandas if nothing needs it (`wharf uninstall pandas`)")
                && !fix.contains("wharf install"),
            "{fix}"
        );
    }

    /// Under numpy 1.x the same messages mean a package built against a newer numpy: the fix
    /// upgrades numpy (when the wheelhouse has a newer one), never `numpy<2`.
    #[test]
    fn numpy_abi_under_numpy_1() {
        let traceback = "  File \"/env/lib/python3.11/site-packages/pandas/__init__.py\", line 22, in <module>\nValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject";
        let installed = vec![dist("numpy", "1.21.0"), dist("pandas", "2.2.2")];
        let newer = Site {
            installed: installed.clone(),
            wheels: vec![("numpy", vec![offered("1.26.4+computecanada")])],
        };
        let e = explained(traceback, &newer);
        assert_eq!(
            e.what,
            "pandas was compiled against a newer numpy than the installed 1.21.0"
        );
        assert_eq!(
            e.fix.as_deref(),
            Some(
                "upgrade numpy to the wheelhouse's 1.26.4+computecanada: `wharf install numpy==1.26.4`"
            )
        );
        let none = Site {
            installed,
            wheels: vec![("numpy", vec![offered("1.21.0")])],
        };
        let e = explained(traceback, &none);
        assert!(
            e.fix
                .as_deref()
                .unwrap()
                .starts_with("the wheelhouse has no numpy newer than 1.21.0 for Python 3.11"),
            "{e:#?}"
        );
    }

    /// Without an environment nothing can be checked: no version is named.
    #[test]
    fn numpy_abi_without_environment_names_no_version() {
        let e = entries("ImportError: numpy.core.multiarray failed to import");
        let fix = e[0].1.as_deref().unwrap();
        assert!(!fix.contains("numpy<2"), "{fix}");
        assert!(fix.contains("`wharf avail numpy`"), "{fix}");
    }

    /// A well-known import name is installed only when the wheelhouse has its project.
    #[test]
    fn module_not_found_fix_is_checked() {
        let line = "ModuleNotFoundError: No module named 'cv2'";
        let has = Site {
            installed: Vec::new(),
            wheels: vec![("opencv-python", vec![offered("4.10.0+computecanada")])],
        };
        assert_eq!(
            explained(line, &has).fix.as_deref(),
            Some("`wharf install opencv-python`")
        );
        let lacks = Site {
            installed: Vec::new(),
            wheels: Vec::new(),
        };
        let fix = explained(line, &lacks).fix.unwrap();
        assert!(
            fix.starts_with("the wheelhouse has no opencv-python for Python 3.11: it may come from a module (`module spider cv2`)"),
            "{fix}"
        );
    }

    /// A compiled AttributeError: "upgrade" names the wheelhouse's newer version, or says
    /// there is none.
    #[test]
    fn compiled_attribute_error_fix_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let info = dir.path().join("cupy-12.0.0.dist-info");
        fs_err::create_dir_all(&info).unwrap();
        fs_err::write(
            info.join("METADATA"),
            "Metadata-Version: 2.1\nName: cupy\nVersion: 12.0.0\nClassifier: Programming Language :: Python :: 3.11\n",
        )
        .unwrap();
        let mut cupy = dist("cupy", "12.0.0");
        cupy.path = info;
        let traceback = "  File \"cupy/_core/core.pyx\", line 1, in cupy._core.core\nAttributeError: 'NoneType' object has no attribute 'x'";
        let newer = Site {
            installed: vec![cupy.clone()],
            wheels: vec![(
                "cupy",
                vec![offered("13.1.0+computecanada"), offered("12.0.0")],
            )],
        };
        let fix = explained(traceback, &newer).fix.unwrap();
        assert!(
            fix.starts_with("upgrade cupy to the wheelhouse's 13.1.0+computecanada: `wharf install cupy==13.1.0`"),
            "{fix}"
        );
        let same = Site {
            installed: vec![cupy],
            wheels: vec![("cupy", vec![offered("12.0.0")])],
        };
        let fix = explained(traceback, &same).fix.unwrap();
        assert!(
            fix.starts_with(
                "the wheelhouse has no cupy newer than 12.0.0: use the Python it was built for"
            ),
            "{fix}"
        );
    }
}
