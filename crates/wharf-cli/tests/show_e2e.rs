//! `wharf show` and `wharf tree` on a real environment (the pinned scientific stack installed
//! by wharf from the re-tagged wheelhouse, plus pip installed by `--seed`), with pip 24.2 as
//! the peer: `pip show -f` prints the same fields and files for every installed package.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`).

#[path = "support/sci.rs"]
mod sci;

use sci::{peers, run};

#[test]
fn show_equals_pip_show_and_tree_draws_the_environment() {
    let Some(peers) = peers() else { return };
    let temp = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(temp.path());
    run(peers
        .wharf()
        .args(["install", "pandas", "six", "--python"])
        .arg(&venv))
    .success();
    let names: Vec<String> = run(peers.wharf().args(["freeze", "--python"]).arg(&venv))
        .success()
        .stdout()
        .lines()
        .map(|l| l.split("==").next().unwrap().to_string())
        .collect();
    assert!(names.len() >= 5, "{names:?}");
    // Every package, alone and all at once (with `---` between), with and without -f; one
    // name misspelled the way users do (`Python_Dateutil`), one missing.
    let mut queries: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone()]).collect();
    queries.push(names.clone());
    queries.push(vec!["Python_Dateutil".into(), "not-installed".into()]);
    for query in &queries {
        for files in [false, true] {
            let mut ours = peers.wharf();
            ours.arg("show").arg("--python").arg(&venv).args(query);
            let mut theirs = peers.pip(&venv);
            theirs.arg("show").args(query);
            if files {
                ours.arg("-f");
                theirs.arg("-f");
            }
            let (ours, theirs) = (run(&mut ours), run(&mut theirs));
            assert_eq!(
                ours.stdout(),
                theirs.stdout(),
                "{}\n{}",
                ours.transcript(),
                theirs.transcript()
            );
            assert_eq!(ours.code(), theirs.code());
        }
    }
    // Nothing found: exit 1 and pip's warning.
    let ran = run(peers
        .wharf()
        .args(["show", "nothing-here", "--python"])
        .arg(&venv))
    .exit_code(1);
    assert_eq!(
        ran.stderr(),
        "warning: Package(s) not found: nothing-here\n"
    );

    let tree = run(peers.wharf().args(["tree", "--python"]).arg(&venv))
        .success()
        .stdout();
    let pandas = tree
        .lines()
        .position(|l| l.starts_with("pandas v"))
        .expect(&tree);
    assert!(
        tree.lines()
            .nth(pandas + 1)
            .unwrap()
            .starts_with("├── numpy v"),
        "{tree}"
    );
    assert!(tree.contains("│   └── six v"), "{tree}");
    let reverse = run(peers
        .wharf()
        .args(["tree", "--reverse", "--package", "six", "--python"])
        .arg(&venv))
    .success()
    .stdout();
    let six = names.iter().find(|n| *n == "six").unwrap();
    assert!(reverse.starts_with(&format!("{six} v")), "{reverse}");
    assert!(reverse.contains("└── python-dateutil v"), "{reverse}");
    assert!(reverse.contains("    └── pandas v"), "{reverse}");
}

/// pip's habits: `--user` refused with a hint, `--upgrade pip` a no-op that says why,
/// `freeze --local --exclude`, `list --exclude`, `-vv` accepted.
#[test]
fn pip_habits() {
    let Some(peers) = peers() else { return };
    let temp = tempfile::tempdir().unwrap();
    let venv = peers.new_venv(temp.path());
    run(peers
        .wharf()
        .args(["install", "six", "-vv", "--python"])
        .arg(&venv))
    .success();
    let ran = run(peers
        .wharf()
        .args(["install", "--user", "numpy", "--python"])
        .arg(&venv))
    .exit_code(2);
    assert!(
        ran.stderr().starts_with("error: `--user` is refused"),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.stderr().contains("hint: a --user install"),
        "{}",
        ran.transcript()
    );
    // `PIP_USER=1` asks the same (issue 20 §3).
    let ran = run(peers
        .wharf()
        .env("PIP_USER", "1")
        .args(["install", "numpy", "--python"])
        .arg(&venv))
    .exit_code(2);
    assert!(
        ran.stderr()
            .starts_with("error: `PIP_USER` (set in the environment) is refused"),
        "{}",
        ran.transcript()
    );
    let ran = run(peers
        .wharf()
        .args(["install", "--upgrade", "pip", "--python"])
        .arg(&venv))
    .success();
    assert!(
        ran.stderr().contains("wharf does not need pip"),
        "{}",
        ran.transcript()
    );
    let freeze = |args: &[&str]| {
        run(peers
            .wharf()
            .arg("freeze")
            .args(args)
            .arg("--python")
            .arg(&venv))
        .success()
        .stdout()
    };
    assert_eq!(freeze(&[]), "six==1.16.0+computecanada\n");
    assert_eq!(freeze(&["--local", "--exclude", "SIX"]), "");
    let ran = run(peers
        .wharf()
        .args(["list", "--exclude", "six", "--python"])
        .arg(&venv))
    .success();
    assert!(!ran.stdout().contains("six"), "{}", ran.transcript());
}
