//! Resolution scenarios (issue 18), each resolved side by side by wharf, pip 26.3 and uv
//! 0.13.10 from one find-links directory of tiny wheels built here, each into a fresh
//! environment of the same CPython; the installed sets (or the refusals) must agree.
//!
//! Needs `WHARF_TEST_PYTHON` and `WHARF_TEST_CURRENT_PEERS` (`eval "$(scripts/test-env.sh)"`);
//! without them the tests say why and skip, or fail when `WHARF_TEST_REQUIRE_PEERS` is set.

#[path = "support/sci.rs"]
mod sci;

use std::path::Path;

use sci::{Peers, command, current_peers, peers, run};
use wharf_test_support::WheelBuilder;

/// A wheel `name-version` requiring `requires` into `dir`.
fn wheel(dir: &Path, name: &str, version: &str, requires: &[&str]) {
    let file = format!("{name}-{version}-py3-none-any.whl");
    WheelBuilder::new(name, version, true, requires)
        .file(&format!("{name}/__init__.py"), b"")
        .write(&dir.join(file));
}

/// What one tool installed (`name==version`, sorted), or its failure.
type Outcome = Result<Vec<String>, String>;

/// `name==version` of every distribution in `venv` but the tools', through its interpreter.
fn installed(venv: &Path) -> Vec<String> {
    let out = run(command(venv.join("bin/python")).args([
        "-c",
        "import importlib.metadata as m; print('\\n'.join(sorted(f\"{d.metadata['Name'].lower()}=={d.version}\" for d in m.distributions() if d.metadata['Name'].lower() not in ('pip', 'setuptools', 'wheel'))))",
    ]))
    .success();
    out.stdout().lines().map(str::to_string).collect()
}

fn outcome(venv: &Path, result: &sci::Run) -> Outcome {
    if result.output.status.success() {
        Ok(installed(venv))
    } else {
        Err(result.transcript())
    }
}

/// Installs `requirements` from `links` (and nothing else) with wharf, pip and uv, each into
/// a new environment under `dir`; returns the three outcomes.
fn three_ways(
    peers: &Peers,
    bin: &Path,
    dir: &Path,
    links: &Path,
    requirements: &[&str],
) -> [Outcome; 3] {
    let uv_venv = |venv: &Path| {
        run(command(bin.join("uv"))
            .args(["venv", "--no-config", "-q", "--python"])
            .arg(&peers.base_python)
            .arg(venv)
            .env("UV_CACHE_DIR", dir.join("uv-cache")))
        .success();
    };
    let wharf_venv = dir.join("wharf");
    run(command(env!("CARGO_BIN_EXE_wharf"))
        .arg("venv")
        .arg(&wharf_venv)
        .arg("--python")
        .arg(&peers.base_python)
        .env("WHARF_CACHE_DIR", dir.join("wharf-cache")))
    .success();
    let wharf = run(command(env!("CARGO_BIN_EXE_wharf"))
        .args(["install", "--no-index", "--python"])
        .arg(&wharf_venv)
        .arg("-f")
        .arg(links)
        .args(requirements)
        .env("WHARF_CACHE_DIR", dir.join("wharf-cache"))
        .env("PIP_CONFIG_FILE", "/dev/null"));
    let pip_venv = dir.join("pip");
    uv_venv(&pip_venv);
    let pip = run(sci::pip_on(command(bin.join("python")), &pip_venv)
        .args(["install", "--no-index", "-f"])
        .arg(links)
        .args(requirements)
        .env("PIP_CONFIG_FILE", "/dev/null"));
    let uv_env = dir.join("uv");
    uv_venv(&uv_env);
    let uv = run(command(bin.join("uv"))
        .args(["pip", "install", "--no-config", "--no-index", "--python"])
        .arg(&uv_env)
        .arg("-f")
        .arg(links)
        .args(requirements)
        .env("UV_CACHE_DIR", dir.join("uv-cache")));
    [
        outcome(&wharf_venv, &wharf),
        outcome(&pip_venv, &pip),
        outcome(&uv_env, &uv),
    ]
}

/// Asserts that wharf, pip and uv installed `expected`, or all three refused (`None`).
fn assert_agree(outcomes: &[Outcome; 3], expected: Option<&[&str]>) {
    let [wharf, pip, uv] = outcomes;
    let shown = format!("wharf: {wharf:#?}\npip: {pip:#?}\nuv: {uv:#?}");
    match expected {
        Some(expected) => {
            let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
            for outcome in [wharf, pip, uv] {
                assert_eq!(outcome.as_ref().ok(), Some(&expected), "{shown}");
            }
        }
        None => {
            for outcome in [wharf, pip, uv] {
                assert!(outcome.is_err(), "{shown}");
            }
        }
    }
}

/// Issue 18 §1: `a` requires `b==2.0.0+bar`; the links hold `b 2.0.0+foo` too. wharf stripped
/// the label below the top level and could install `b 2.0.0+foo`, exit 0.
#[test]
fn a_dependency_local_label_is_matched_exactly() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wheel(&links, "a", "1.0", &["b==2.0.0+bar"]);
    wheel(&links, "b", "2.0.0+foo", &[]);
    wheel(&links, "b", "2.0.0+bar", &[]);
    let both = three_ways(peers, &bin, &dir.path().join("both"), &links, &["a"]);
    assert_agree(&both, Some(&["a==1.0", "b==2.0.0+bar"]));

    // Without the `+bar` build, nobody installs `a`.
    std::fs::remove_file(links.join("b-2.0.0+bar-py3-none-any.whl")).unwrap();
    let only_foo = three_ways(peers, &bin, &dir.path().join("foo"), &links, &["a"]);
    assert_agree(&only_foo, None);
}

/// Issue 18 §1: a local label that rules a candidate out steers backtracking: `a 2.0` needs
/// `b==1.0+bar`, which does not exist, so `a 1.0` is chosen; `c` needs `d==3.0`, and of the
/// two local builds of 3.0 only one has its dependencies.
#[test]
fn a_local_label_steers_backtracking() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wheel(&links, "a", "2.0", &["b==1.0+bar"]);
    wheel(&links, "a", "1.0", &["b"]);
    wheel(&links, "b", "1.0+foo", &[]);
    let first = three_ways(peers, &bin, &dir.path().join("a"), &links, &["a"]);
    assert_agree(&first, Some(&["a==1.0", "b==1.0+foo"]));
    wheel(&links, "c", "1.0", &["d==3.0"]);
    wheel(&links, "d", "3.0+zzz", &["e==1.0+nope"]);
    wheel(&links, "d", "3.0+aaa", &[]);
    let second = three_ways(peers, &bin, &dir.path().join("c"), &links, &["c"]);
    assert_agree(&second, Some(&["c==1.0", "d==3.0+aaa"]));
}

/// PEP 440's public specifiers against local versions, in a dependency: `<=`, `!=`, `==V.*`.
#[test]
fn public_specifiers_in_dependencies_ignore_local_labels() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wheel(&links, "b", "1.0+cpu", &[]);
    wheel(&links, "b", "0.9+cpu", &[]);
    wheel(&links, "b", "1.0.post1", &[]);
    for (index, (requirement, expected)) in [
        ("b<=1.0", "b==1.0+cpu"),
        ("b!=1.0,<1.0.post1", "b==0.9+cpu"),
        ("b==1.0.*", "b==1.0.post1"),
        ("b<1.0", "b==0.9+cpu"),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("q{index}");
        wheel(&links, &name, "1.0", &[requirement]);
        let outcomes = three_ways(
            peers,
            &bin,
            &dir.path().join(&name),
            &links,
            &[name.as_str()],
        );
        let pin = format!("{name}==1.0");
        assert_agree(&outcomes, Some(&[expected, pin.as_str()]));
    }
}

/// Issue 18 §1, the last line of defence: a lock that lists an inconsistent set (edited by
/// hand, or written by a tool with the bug) is refused before anything is committed, naming
/// the offending pair; the environment is unchanged.
#[test]
fn sync_refuses_an_inconsistent_lock_before_committing() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wheel(&links, "a", "1.0", &["b==2.0.0+bar"]);
    wheel(&links, "b", "2.0.0+foo", &[]);
    wheel(&links, "b", "2.0.0+bar", &[]);
    let wharf = |args: &[&str]| {
        let mut command = command(env!("CARGO_BIN_EXE_wharf"));
        command
            .args(args)
            .env("WHARF_CACHE_DIR", dir.path().join("cache"))
            .env("PIP_CONFIG_FILE", "/dev/null");
        command
    };
    let lock = dir.path().join("pylock.toml");
    run(wharf(&["lock", "a", "-f"])
        .arg(&links)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("-o")
        .arg(&lock))
    .success();
    // Point the lock's `b` at the `+foo` build (its own name, version, size and hash).
    let text = std::fs::read_to_string(&lock).unwrap();
    let bar = links.join("b-2.0.0+bar-py3-none-any.whl");
    let foo = links.join("b-2.0.0+foo-py3-none-any.whl");
    let digest = |path: &Path| {
        let (sha256, size) = wharf_digest::sha256_file(path).unwrap();
        (data_encoding::HEXLOWER.encode(&sha256), size)
    };
    let ((bar_sha, bar_size), (foo_sha, foo_size)) = (digest(&bar), digest(&foo));
    assert!(text.contains(&bar_sha), "{text}");
    let edited = text
        .replace(&bar_sha, &foo_sha)
        .replace("2.0.0+bar", "2.0.0+foo")
        .replace(&format!("size = {bar_size}"), &format!("size = {foo_size}"));
    std::fs::write(&lock, edited).unwrap();

    let venv = dir.path().join("env");
    run(wharf(&["venv"])
        .arg(&venv)
        .arg("--python")
        .arg(&peers.base_python))
    .success();
    let before = installed(&venv);
    let refused = run(wharf(&["sync", "--python"]).arg(&venv).arg(&lock));
    assert_ne!(refused.code(), Some(0), "{}", refused.transcript());
    assert!(
        refused
            .stderr()
            .contains("a 1.0 has requirement b==2.0.0+bar, but you have b 2.0.0+foo."),
        "{}",
        refused.transcript()
    );
    assert_eq!(installed(&venv), before);
}

/// Issue 18 §3: an extra the package does not have is a warning, as pip and uv give one, and
/// the package is installed by all three.
#[test]
fn an_unknown_extra_is_a_warning() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wheel(&links, "a", "1.0", &[]);
    let outcomes = three_ways(peers, &bin, &dir.path().join("x"), &links, &["a[nope]"]);
    assert_agree(&outcomes, Some(&["a==1.0"]));
    let venv = dir.path().join("again");
    run(command(env!("CARGO_BIN_EXE_wharf"))
        .arg("venv")
        .arg(&venv)
        .arg("--python")
        .arg(&peers.base_python))
    .success();
    let warned = run(command(env!("CARGO_BIN_EXE_wharf"))
        .args(["install", "--python"])
        .arg(&venv)
        .arg("-f")
        .arg(&links)
        .arg("a[nope]")
        .env("PIP_CONFIG_FILE", "/dev/null"))
    .success();
    assert!(
        warned
            .stderr()
            .contains("a 1.0 does not provide the extra `nope`"),
        "{}",
        warned.transcript()
    );
}

/// Links for the backtracking scenarios: `a` 1.0 to 10.0 with no dependencies; `b` 1.0 to
/// 20.0, every one but the ancient 1.0 requiring `a<5`.
fn b_caps_a(links: &Path) {
    for major in 1..=10 {
        wheel(links, "a", &format!("{major}.0"), &[]);
    }
    for major in 1..=20 {
        let requires: &[&str] = if major == 1 { &[] } else { &["a<5"] };
        wheel(links, "b", &format!("{major}.0"), requires);
    }
}

/// Issue 18 §1, backtracking: the user asks for `a` and `b`, and every `b` but the ancient 1.0
/// caps `a<5`. pip and uv keep `b` new and take an older `a` (the package the conflict is
/// about); wharf decided `a 10.0` first and then walked `b` down to 1.0. The same when both
/// come through a dependency (`x` requires `a` and `b`), in either order.
#[test]
fn a_conflict_takes_an_older_culprit_not_an_ancient_dependent() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    b_caps_a(&links);
    let direct = three_ways(peers, &bin, &dir.path().join("ab"), &links, &["a", "b"]);
    assert_agree(&direct, Some(&["a==4.0", "b==20.0"]));
    let reversed = three_ways(peers, &bin, &dir.path().join("ba"), &links, &["b", "a"]);
    assert_agree(&reversed, Some(&["a==4.0", "b==20.0"]));
    wheel(&links, "x", "1.0", &["a", "b"]);
    let through = three_ways(peers, &bin, &dir.path().join("x"), &links, &["x"]);
    assert_agree(&through, Some(&["a==4.0", "b==20.0", "x==1.0"]));
}

/// Links where `a 5.0` (the newest) requires `c>=5`, and every `b` but the ancient 1.0
/// requires `c<3`: the conflict is between two requirements on `c`, neither on the other.
fn a_and_b_disagree_on_c(links: &Path, a_requires_b: bool) {
    for major in 1..=5 {
        let mut requires = if a_requires_b { vec!["b"] } else { vec![] };
        requires.push(if major == 5 { "c>=5" } else { "c" });
        wheel(links, "a", &format!("{major}.0"), &requires);
    }
    for major in 1..=20 {
        let requires: &[&str] = if major == 1 { &[] } else { &["c<3"] };
        wheel(links, "b", &format!("{major}.0"), requires);
    }
    for major in 1..=10 {
        wheel(links, "c", &format!("{major}.0"), &[]);
    }
}

/// Issue 18 §1, backtracking: when the conflict is over a shared dependency (`a 5.0` wants
/// `c>=5`, `b` wants `c<3`), pip and uv keep the first requested project at its newest and
/// settle the other: `a b` gives `a 5.0` with the ancient `b 1.0`, `b a` gives `b 20.0` with
/// `a 4.0`. wharf ordered by the number of candidates (fewest first) and gave `a 5.0, b 1.0`
/// for both orders.
#[test]
fn a_conflict_over_a_shared_dependency_keeps_the_first_requested_new() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    a_and_b_disagree_on_c(&links, false);
    let a_first = three_ways(peers, &bin, &dir.path().join("ab"), &links, &["a", "b"]);
    assert_agree(&a_first, Some(&["a==5.0", "b==1.0", "c==10.0"]));
    let b_first = three_ways(peers, &bin, &dir.path().join("ba"), &links, &["b", "a"]);
    assert_agree(&b_first, Some(&["a==4.0", "b==20.0", "c==2.0"]));
}

/// Issue 18 §1, backtracking: the user asks for `a` alone; `a 5.0` requires `b` and `c>=5`.
/// `b` is what `a` brought in, and nothing decided conflicts with it directly, so pip and uv
/// keep the requested `a` at its newest and walk `b` down to the 1.0 without the cap; the
/// conflict tracking must not trade the user's `a` away for it.
#[test]
fn a_conflict_below_the_request_keeps_the_request_new() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    a_and_b_disagree_on_c(&links, true);
    let outcomes = three_ways(peers, &bin, &dir.path().join("a"), &links, &["a"]);
    assert_agree(&outcomes, Some(&["a==5.0", "b==1.0", "c==10.0"]));
}

/// wharf and pip 26 each install `first` then `then` (pip's arguments, `-f links` added) into a
/// fresh environment of their own, in `cwd`; returns both installed sets.
fn wharf_and_pip(
    peers: &Peers,
    bin: &Path,
    dir: &Path,
    links: &Path,
    steps: &[&[&str]],
) -> (Outcome, Outcome) {
    let wharf_venv = dir.join("wharf");
    let pip_venv = dir.join("pip");
    for venv in [&wharf_venv, &pip_venv] {
        run(command(bin.join("uv"))
            .args(["venv", "--no-config", "-q", "--python"])
            .arg(&peers.base_python)
            .arg(venv)
            .env("UV_CACHE_DIR", dir.join("uv-cache")))
        .success();
    }
    let mut wharf = None;
    let mut pip = None;
    for step in steps {
        let w = run(command(env!("CARGO_BIN_EXE_wharf"))
            .current_dir(dir)
            .args(["install", "--no-index", "--python"])
            .arg(&wharf_venv)
            .arg("-f")
            .arg(links)
            .args(*step)
            .env("WHARF_CACHE_DIR", dir.join("wharf-cache"))
            .env("PIP_CONFIG_FILE", "/dev/null"));
        let p = run(sci::pip_on(command(bin.join("python")), &pip_venv)
            .current_dir(dir)
            .args(["install", "--no-index", "-f"])
            .arg(links)
            .args(*step)
            .env("PIP_CONFIG_FILE", "/dev/null"));
        let failed = !w.output.status.success() || !p.output.status.success();
        wharf = Some(w);
        pip = Some(p);
        if failed {
            break;
        }
    }
    (
        outcome(&wharf_venv, &wharf.unwrap()),
        outcome(&pip_venv, &pip.unwrap()),
    )
}

/// Issue 20 §2: `--upgrade-strategy` as pip has it: `only-if-needed` (the default) upgrades
/// the named package only, `eager` its dependencies too.
#[test]
fn upgrade_strategy_matches_pip() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    for (strategy, expected) in [
        ("only-if-needed", ["a==2.0", "b==1.0"]),
        ("eager", ["a==2.0", "b==2.0"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        let links = dir.path().join("links");
        std::fs::create_dir_all(&old).unwrap();
        std::fs::create_dir_all(&links).unwrap();
        wheel(&old, "a", "1.0", &["b"]);
        wheel(&old, "b", "1.0", &[]);
        wheel(&links, "a", "2.0", &["b"]);
        wheel(&links, "b", "2.0", &[]);
        let old_text = old.to_string_lossy().into_owned();
        let (wharf, pip) = wharf_and_pip(
            peers,
            &bin,
            dir.path(),
            &links,
            &[
                &["-f", &old_text, "a==1.0", "b==1.0"],
                &["-U", "--upgrade-strategy", strategy, "a"],
            ],
        );
        let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
        assert_eq!(
            wharf.as_ref().ok(),
            Some(&expected),
            "{strategy}: wharf {wharf:#?}"
        );
        assert_eq!(
            pip.as_ref().ok(),
            Some(&expected),
            "{strategy}: pip {pip:#?}"
        );
    }
}

/// Issue 20 §2: `--group` (PEP 735) as pip 26 has it: the group of ./pyproject.toml, its
/// `include-group`s expanded; `PATH:NAME` for another file; a missing group is an error
/// naming the groups there are.
#[test]
fn dependency_groups_match_pip() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    for name in ["a", "b", "c"] {
        wheel(&links, name, "1.0", &[]);
    }
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"proj\"\nversion = \"0\"\n\n[dependency-groups]\ntest = [\"a\", {include-group = \"Docs\"}]\ndocs = [\"b\"]\n",
    )
    .unwrap();
    let (wharf, pip) = wharf_and_pip(peers, &bin, dir.path(), &links, &[&["--group", "test"]]);
    let expected = vec!["a==1.0".to_string(), "b==1.0".to_string()];
    assert_eq!(wharf.as_ref().ok(), Some(&expected), "wharf {wharf:#?}");
    assert_eq!(pip.as_ref().ok(), Some(&expected), "pip {pip:#?}");
    let missing = run(command(env!("CARGO_BIN_EXE_wharf"))
        .current_dir(dir.path())
        .args(["install", "--python"])
        .arg(dir.path().join("wharf"))
        .arg("-f")
        .arg(&links)
        .args(["--group", "lint"])
        .env("PIP_CONFIG_FILE", "/dev/null"));
    assert_eq!(missing.code(), Some(2), "{}", missing.transcript());
    assert!(
        missing
            .stderr()
            .contains("no dependency group `lint` (it has: docs, test)"),
        "{}",
        missing.transcript()
    );
}

/// Issue 20 §2: pip's other install locations are refused (exit 2), never ignored: `--target`
/// on the command line, `PIP_PREFIX` in the environment, `target` in a pip config.
#[test]
fn other_install_locations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("pip.conf");
    std::fs::write(&config, "[install]\ntarget = /tmp/elsewhere\n").unwrap();
    for (args, env, says) in [
        (
            &["--target", "/tmp/t", "a"][..],
            ("PIP_CONFIG_FILE", "/dev/null"),
            "`--target` is refused",
        ),
        (
            &["a"][..],
            ("PIP_PREFIX", "/tmp/p"),
            "`PIP_PREFIX` (set in the environment) is refused",
        ),
        (
            &["a"][..],
            ("PIP_CONFIG_FILE", config.to_str().unwrap()),
            "`target` in [install] of",
        ),
    ] {
        let out = run(command(env!("CARGO_BIN_EXE_wharf"))
            .args(["install"])
            .args(args)
            .env(env.0, env.1)
            .env("HOME", dir.path()));
        assert_eq!(out.code(), Some(2), "{}", out.transcript());
        assert!(out.stderr().contains(says), "{}", out.transcript());
    }
}

/// Issue 20 §2: `--report FILE` writes pip's installation report (version 1) as pip 26 does:
/// the same wheels with the same hashes, requested flags, extras and metadata, and the same
/// environment markers (pip_version and the file URLs' directories aside).
#[test]
fn installation_report_matches_pip() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir_all(&links).unwrap();
    wheel(&links, "a", "1.0", &["b", "c; extra == 'more'"]);
    wheel(&links, "b", "2.0", &[]);
    wheel(&links, "c", "3.0", &[]);
    let (wharf, pip) = wharf_and_pip(
        peers,
        &bin,
        dir.path(),
        &links,
        &[&["--dry-run", "--report", "report.json", "a[more]"]],
    );
    assert!(wharf.is_ok() && pip.is_ok(), "{wharf:#?}\n{pip:#?}");
    // Both wrote `report.json` in `dir` (the same path): run again separately to keep both.
    let report_of = |tool: &str| -> serde_json::Value {
        let path = dir.path().join(format!("{tool}.json"));
        let venv = dir.path().join(tool);
        let out = if tool == "wharf" {
            run(command(env!("CARGO_BIN_EXE_wharf"))
                .args(["install", "--no-index", "--dry-run", "--python"])
                .arg(&venv)
                .arg("-f")
                .arg(&links)
                .arg("--report")
                .arg(&path)
                .arg("a[more]")
                .env("WHARF_CACHE_DIR", dir.path().join("wharf-cache"))
                .env("PIP_CONFIG_FILE", "/dev/null"))
        } else {
            run(sci::pip_on(command(bin.join("python")), &venv)
                .args(["install", "--no-index", "--dry-run", "-f"])
                .arg(&links)
                .arg("--report")
                .arg(&path)
                .arg("a[more]")
                .env("PIP_CONFIG_FILE", "/dev/null"))
        };
        out.success();
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let summary = |report: &serde_json::Value| {
        let mut rows: Vec<String> = report["install"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                format!(
                    "{} {} requested={} extras={} sha256={} file={} summary={}",
                    item["metadata"]["name"],
                    item["metadata"]["version"],
                    item["requested"],
                    item["requested_extras"],
                    item["download_info"]["archive_info"]["hashes"]["sha256"],
                    item["download_info"]["url"]
                        .as_str()
                        .unwrap()
                        .rsplit('/')
                        .next()
                        .unwrap(),
                    item["metadata"]["requires_dist"],
                )
            })
            .collect();
        rows.sort();
        (
            report["version"].clone(),
            rows,
            report["environment"].clone(),
        )
    };
    let (wharf, pip) = (report_of("wharf"), report_of("pip"));
    assert_eq!(
        summary(&wharf),
        summary(&pip),
        "wharf:\n{wharf:#}\npip:\n{pip:#}"
    );
}

/// An extra the distribution does not declare (`Provides-Extra`) brings none of the
/// requirements its markers name: pip 26 warns and ignores it (wharf installed them, found by
/// the `--report` differential test). uv 0.13 installs them: wharf follows pip, the site's
/// tool, and the test prints uv's answer without asserting it.
#[test]
fn an_undeclared_extra_brings_nothing() {
    let (Some(peers), Some(bin)) = (peers(), current_peers()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    std::fs::create_dir(&links).unwrap();
    wharf_test_support::WheelBuilder::bare("a-1.0.dist-info")
        .file(
            "a-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: c; extra == 'more'\n",
        )
        .file(
            "a-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        .file("a/__init__.py", b"")
        .record(wharf_test_support::RecordMode::Correct)
        .write(&links.join("a-1.0-py3-none-any.whl"));
    wheel(&links, "c", "1.0", &[]);
    let [wharf, pip, uv] = three_ways(peers, &bin, dir.path(), &links, &["a[more]"]);
    let expected = vec!["a==1.0".to_string()];
    assert_eq!(wharf.as_ref().ok(), Some(&expected), "wharf {wharf:#?}");
    assert_eq!(pip.as_ref().ok(), Some(&expected), "pip {pip:#?}");
    // uv's answer, for the record (it is not the rule wharf follows).
    eprintln!("uv: {uv:?}");
}
