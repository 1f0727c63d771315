//! Venv creation against a fake base interpreter (a shell script in a temp prefix).

use super::*;
use std::os::unix::fs::PermissionsExt as _;

/// The probe answer of a CPython 3.11.7 installed at `/opt/py`.
const BASE_PROBE: &str = include_str!("fixtures/probe-cpython-3.11-base.json");

struct Fixture {
    dir: tempfile::TempDir,
    info: InterpreterInfo,
}

impl Fixture {
    /// A temp dir holding `opt/py/bin/python3.11` (a script) and the matching probe answer.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("opt/py");
        let executable = prefix.join("bin/python3.11");
        fs_err::create_dir_all(executable.parent().unwrap()).unwrap();
        fs_err::write(&executable, "#!/bin/sh\necho fake python\n").unwrap();
        fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
        let json = BASE_PROBE.replace("/opt/py", &prefix.display().to_string());
        let info = serde_json::from_str(&json).unwrap();
        Self { dir, info }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// Runs `check` with insta filtering the temp dir to `[TEMP]`.
    fn snapshot(&self, check: impl FnOnce()) {
        let mut settings = insta::Settings::clone_current();
        settings.add_filter(
            &regex_escape(&self.dir.path().display().to_string()),
            "[TEMP]",
        );
        settings.bind(check);
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = "\\.+*?()|[]{}^$#&-~".contains(c);
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

/// Every path under `root`, sorted, with link targets and file modes.
fn tree(root: &Path) -> String {
    let mut lines = Vec::new();
    walk(root, root, &mut lines);
    lines.sort();
    lines.join("\n")
}

fn walk(root: &Path, dir: &Path, lines: &mut Vec<String>) {
    for entry in fs_err::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        let metadata = fs_err::symlink_metadata(&path).unwrap();
        if metadata.is_symlink() {
            let target = fs_err::read_link(&path).unwrap();
            lines.push(format!("{relative} -> {}", target.display()));
        } else if metadata.is_dir() {
            lines.push(format!("{relative}/"));
            walk(root, &path, lines);
        } else {
            lines.push(format!(
                "{relative} ({:o})",
                metadata.permissions().mode() & 0o777
            ));
        }
    }
}

#[test]
fn layout_and_files() {
    let fixture = Fixture::new();
    let root = fixture.path("work/env");
    let layout = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    assert_eq!(layout.root, root);
    assert_eq!(layout.python, root.join("bin/python"));
    assert_eq!(layout.purelib, root.join("lib/python3.11/site-packages"));
    assert_eq!(layout.platlib, layout.purelib);
    assert_eq!(layout.scripts, root.join("bin"));
    assert_eq!(layout.include, root.join("include/python3.11"));
    assert_eq!(layout.data, root);
    // The links resolve to the base interpreter.
    assert_eq!(
        fs_err::canonicalize(&layout.python).unwrap(),
        fs_err::canonicalize(fixture.path("opt/py/bin/python3.11")).unwrap()
    );
    // Nothing is left beside the venv.
    let siblings: Vec<_> = fs_err::read_dir(fixture.path("work"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("env")]);

    fixture.snapshot(|| {
        insta::assert_snapshot!("tree", tree(&root));
        insta::assert_snapshot!(
            "pyvenv_cfg",
            fs_err::read_to_string(root.join("pyvenv.cfg")).unwrap()
        );
        insta::assert_snapshot!(
            "activate",
            fs_err::read_to_string(root.join("bin/activate")).unwrap()
        );
        insta::assert_snapshot!(
            "activate_fish",
            fs_err::read_to_string(root.join("bin/activate.fish")).unwrap()
        );
        insta::assert_snapshot!(
            "activate_csh",
            fs_err::read_to_string(root.join("bin/activate.csh")).unwrap()
        );
    });
}

#[test]
fn pyvenv_cfg_with_options() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let options = VenvOptions {
        prompt: Some("it's mine".to_owned()),
        system_site_packages: true,
        symlinks: false,
        ..VenvOptions::default()
    };
    create_venv(&root, &fixture.info, &options).unwrap();
    fixture.snapshot(|| {
        insta::assert_snapshot!(fs_err::read_to_string(root.join("pyvenv.cfg")).unwrap(), @r#"
        home = [TEMP]/opt/py/bin
        include-system-site-packages = true
        version = 3.11.7
        prompt = "it's mine"
        executable = [TEMP]/opt/py/bin/python3.11
        command = wharf venv --python [TEMP]/opt/py/bin/python3.11 --system-site-packages --copies --prompt 'it'\''s mine' [TEMP]/env
        "#);
    });
    // Copies, not links, all executable.
    for name in ["python", "python3", "python3.11"] {
        let metadata = fs_err::symlink_metadata(root.join("bin").join(name)).unwrap();
        assert!(metadata.is_file(), "{name}");
        assert_eq!(metadata.permissions().mode() & 0o777, 0o755, "{name}");
    }
    let activate = fs_err::read_to_string(root.join("bin/activate")).unwrap();
    assert!(activate.contains(r"VIRTUAL_ENV_PROMPT='it'\''s mine'"));
}

#[test]
fn relative_path_with_dots_is_normalized() {
    let fixture = Fixture::new();
    fs_err::create_dir_all(fixture.path("a")).unwrap();
    let root = fixture.path("a/../b/./env");
    let layout = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    assert_eq!(layout.root, fixture.path("b/env"));
    assert!(fixture.path("b/env/pyvenv.cfg").is_file());
}

#[test]
fn venv_interpreter_links_to_its_base() {
    let mut fixture = Fixture::new();
    // The probe of a venv's python: sys.executable is the venv's, the base is /opt/py.
    fixture.info.prefix = fixture.path("other-env");
    fixture.info.executable = fixture.path("other-env/bin/python");
    let root = fixture.path("env");
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    assert_eq!(
        fs_err::read_link(root.join("bin/python3.11")).unwrap(),
        fixture.path("opt/py/bin/python3.11")
    );
    assert_eq!(
        fs_err::read_link(root.join("bin/python")).unwrap(),
        Path::new("python3.11")
    );
}

#[test]
fn existing_empty_directory_is_used() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    fs_err::create_dir(&root).unwrap();
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    assert!(root.join("bin/activate").is_file());
}

#[test]
fn existing_venv_is_updated_and_keeps_packages() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let layout = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    let package = layout.purelib.join("mypkg/__init__.py");
    fs_err::create_dir_all(package.parent().unwrap()).unwrap();
    fs_err::write(&package, "").unwrap();

    let options = VenvOptions {
        system_site_packages: true,
        ..VenvOptions::default()
    };
    create_venv(&root, &fixture.info, &options).unwrap();
    assert!(package.is_file());
    let cfg = fs_err::read_to_string(root.join("pyvenv.cfg")).unwrap();
    assert!(cfg.contains("include-system-site-packages = true"));
    assert_eq!(
        fs_err::read_link(root.join("lib64")).unwrap(),
        Path::new("lib")
    );
}

#[test]
fn clear_empties_an_existing_venv() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let layout = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    let package = layout.purelib.join("mypkg.py");
    fs_err::write(&package, "").unwrap();
    let options = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    create_venv(&root, &fixture.info, &options).unwrap();
    assert!(!package.exists());
    assert!(layout.purelib.is_dir());
}

#[test]
fn clear_empties_a_non_venv_directory() {
    let fixture = Fixture::new();
    let root = fixture.path("data");
    fs_err::create_dir_all(root.join("sub")).unwrap();
    fs_err::write(root.join("sub/file.txt"), "x").unwrap();
    let options = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    create_venv(&root, &fixture.info, &options).unwrap();
    assert!(!root.join("sub").exists());
    assert!(root.join("pyvenv.cfg").is_file());
}

#[test]
fn err_not_empty() {
    let fixture = Fixture::new();
    let root = fixture.path("project");
    fs_err::create_dir(&root).unwrap();
    fs_err::write(root.join("notes.txt"), "keep me").unwrap();
    let error = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap_err();
    fixture.snapshot(|| {
        insta::assert_snapshot!(error, @"refusing to create a venv in `[TEMP]/project`: the directory is not empty and is not a venv (no `pyvenv.cfg`)");
        insta::assert_snapshot!(error.hint().unwrap(), @"use `--clear` to delete its contents first, or choose a new directory such as `[TEMP]/project/venv`");
    });
    assert_eq!(
        fs_err::read_to_string(root.join("notes.txt")).unwrap(),
        "keep me"
    );
    assert_eq!(fs_err::read_dir(&root).unwrap().count(), 1);
}

#[test]
fn err_not_a_directory() {
    let fixture = Fixture::new();
    let root = fixture.path("file");
    fs_err::write(&root, "").unwrap();
    let error = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap_err();
    assert!(matches!(error, VenvError::NotADirectory { .. }), "{error}");
}

#[test]
fn err_path_separator() {
    let fixture = Fixture::new();
    let error =
        create_venv(&fixture.path("a:b"), &fixture.info, &VenvOptions::default()).unwrap_err();
    fixture.snapshot(|| {
        insta::assert_snapshot!(error, @"cannot create a venv at `[TEMP]/a:b`: it contains `:`, the PATH separator");
    });
}

#[test]
fn err_interpreter_missing() {
    let fixture = Fixture::new();
    fs_err::remove_file(fixture.path("opt/py/bin/python3.11")).unwrap();
    let root = fixture.path("env");
    let error = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap_err();
    fixture.snapshot(|| {
        insta::assert_snapshot!(error, @"the base interpreter `[TEMP]/opt/py/bin/python3.11` does not exist");
    });
    assert!(!root.exists());
}

#[test]
fn err_clear_would_remove_interpreter() {
    let fixture = Fixture::new();
    let options = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    let error = create_venv(&fixture.path("opt"), &fixture.info, &options).unwrap_err();
    assert!(
        matches!(error, VenvError::ClearWouldRemoveInterpreter { .. }),
        "{error}"
    );
    assert!(fixture.path("opt/py/bin/python3.11").is_file());
}

#[test]
fn failure_half_way_leaves_nothing() {
    let mut fixture = Fixture::new();
    // A "base interpreter" that is a directory: staging starts, then copying it fails.
    let base = fixture.path("opt/py/bin/python3.11-dir");
    fs_err::create_dir_all(&base).unwrap();
    fixture.info.executable.clone_from(&base);
    fixture.info.base_executable = base;
    let options = VenvOptions {
        symlinks: false,
        ..VenvOptions::default()
    };
    let root = fixture.path("work/env");
    let error = create_venv(&root, &fixture.info, &options).unwrap_err();
    assert!(matches!(error, VenvError::Io { .. }), "{error}");
    assert!(!root.exists());
    assert_eq!(fs_err::read_dir(fixture.path("work")).unwrap().count(), 0);
}

#[test]
fn python_repr_matches_python() {
    assert_eq!(python_repr("env"), "'env'");
    assert_eq!(python_repr("it's"), "\"it's\"");
    assert_eq!(python_repr("a'b\"c"), r#"'a\'b"c'"#);
    assert_eq!(python_repr("tab\there\\"), r"'tab\there\\'");
}

/// The base probe turned into a free-threaded CPython 3.13.1 at `prefix` (`python3.13t`).
fn free_threaded_info(prefix: &Path) -> InterpreterInfo {
    let json = BASE_PROBE
        .replace("/opt/py", &prefix.display().to_string())
        .replace("3.11.7", "3.13.1")
        .replace("python3.11", "python3.13t")
        .replace("python311", "python313t")
        .replace("cpython-311", "cpython-313t")
        .replace("\"3.11\"", "\"3.13\"")
        .replace("\"abiflags\": \"\"", "\"abiflags\": \"t\"")
        .replace(
            "\"py_debug\": false",
            "\"py_debug\": false, \"py_gil_disabled\": true",
        )
        .replacen("3,\n    11,\n    7", "3,\n    13,\n    1", 1);
    serde_json::from_str(&json).unwrap()
}

#[test]
fn free_threaded_venv_gets_lib_python3_13t() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("opt/py");
    let executable = prefix.join("bin/python3.13t");
    fs_err::create_dir_all(executable.parent().unwrap()).unwrap();
    fs_err::write(&executable, "#!/bin/sh\necho fake python\n").unwrap();
    fs_err::set_permissions(&executable, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut info = free_threaded_info(&prefix);
    assert_eq!(info.major_minor(), (3, 13));

    let root = dir.path().join("env");
    let layout = create_venv(&root, &info, &VenvOptions::default()).unwrap();
    assert_eq!(layout.purelib, root.join("lib/python3.13t/site-packages"));
    assert_eq!(layout.include, root.join("include/python3.13t"));
    assert!(layout.purelib.is_dir());
    assert!(!root.join("lib/python3.13").exists());
    for name in ["python", "python3", "python3.13", "python3.13t"] {
        assert_eq!(
            fs_err::canonicalize(root.join("bin").join(name)).unwrap(),
            fs_err::canonicalize(&executable).unwrap(),
            "{name}"
        );
    }
    let cfg = wharf_python::PyvenvCfg::read_venv(&root).unwrap();
    assert_eq!(cfg.version.as_deref(), Some("3.13.1"));

    // An older probe without the `venv` scheme: the layout still follows the build.
    info.venv_scheme = None;
    let other = dir.path().join("env2");
    let layout = create_venv(&other, &info, &VenvOptions::default()).unwrap();
    assert_eq!(layout.purelib, other.join("lib/python3.13t/site-packages"));
}

const RERUN: &str = "wharf venv env --from pylock.toml";

/// Writes the marker of a creator that is gone (a pid no process has) into `root`.
fn mark_killed(root: &Path) {
    let dead = Creator {
        host: Creator::current().host,
        pid: 999_999_999,
        start: 1,
    };
    assert_eq!(dead.is_running(), Some(false));
    fs_err::write(
        root.join(INCOMPLETE_MARKER),
        unfinished::marker_text(&dead, RERUN),
    )
    .unwrap();
}

#[test]
fn unfinished_venv_has_no_python_until_finished() {
    let fixture = Fixture::new();
    let root = fixture.path("work/env");
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    assert!(venv.is_unfinished());
    // The marker and the hidden interpreter only; no `bin/python*` at all.
    let names: Vec<String> = fs_err::read_dir(root.join("bin"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("python"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
    assert_eq!(venv.python(), root.join(".wharf-bin/python"));
    assert_eq!(venv.python(), root.join(UNFINISHED_PYTHON));
    assert_eq!(
        fs_err::canonicalize(venv.python()).unwrap(),
        fs_err::canonicalize(fixture.path("opt/py/bin/python3.11")).unwrap()
    );
    let found = incomplete(&root).expect("marked incomplete");
    assert!(found.is_ours());
    assert!(!found.is_being_created_here());
    assert_eq!(found.rerun.as_deref(), Some(RERUN));
    assert_eq!(found.interpreter(), venv.python());

    let layout = venv.finish().unwrap();
    assert!(incomplete(&root).is_none());
    assert!(!root.join(INCOMPLETE_MARKER).exists());
    // Exactly the tree of a venv made complete at once.
    let finished = tree(&root);
    let reference = fixture.path("work/reference");
    create_venv(&reference, &fixture.info, &VenvOptions::default()).unwrap();
    assert_eq!(
        finished,
        tree(&reference).replace("work/reference", "work/env")
    );
    assert_eq!(layout.python, root.join("bin/python"));
    // Nothing is left beside the venv.
    let mut siblings: Vec<_> = fs_err::read_dir(fixture.path("work"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    siblings.sort();
    assert_eq!(siblings, ["env", "reference"]);
}

#[test]
fn err_incomplete_venv_is_refused_without_rerun() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let _ = create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    mark_killed(&root);
    let error = create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap_err();
    let VenvError::Incomplete(found) = &error else {
        panic!("{error}")
    };
    assert!(!found.is_ours());
    fixture.snapshot(|| {
        insta::assert_snapshot!(
            format!("{error}\nhint: {}", error.hint().unwrap()).replace(
                &format!("host {})", Creator::current().host),
                "host [HOST])"
            ),
            @"
        the virtual environment `[TEMP]/env` is incomplete: its creation (`wharf venv --from`, process 999999999 on host [HOST]) was interrupted before its packages were installed; it has no `bin/python`
        hint: run `wharf venv env --from pylock.toml` again to finish it (the install the kill interrupted is recovered first), or remove it: `rm -rf [TEMP]/env`; `--clear` starts it afresh
        "
        );
    });
    assert!(!root.join("bin/python").exists());
    // `clear` starts afresh.
    let options = VenvOptions {
        clear: true,
        ..VenvOptions::default()
    };
    create_venv(&root, &fixture.info, &options).unwrap();
    assert!(root.join("bin/python").exists());
    assert!(!root.join(INCOMPLETE_MARKER).exists());
}

#[test]
fn killed_unfinished_venv_is_taken_over_and_keeps_its_packages() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    let package = venv.layout.purelib.join("mypkg.py");
    fs_err::write(&package, "").unwrap();
    mark_killed(&root);
    // A finish killed half-way: the dangling `python` link is there already.
    std::os::unix::fs::symlink("python3.11", root.join("bin/python")).unwrap();
    assert!(incomplete(&root).is_some());

    let again =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    assert!(again.is_unfinished());
    assert!(incomplete(&root).unwrap().is_ours(), "the marker names us");
    assert!(package.exists());
    again.finish().unwrap();
    assert!(root.join("bin/python").exists());
    assert!(package.exists());
}

#[test]
fn complete_venv_stays_complete_when_asked_unfinished() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    assert!(!venv.is_unfinished());
    assert_eq!(venv.python(), root.join("bin/python"));
    assert!(!root.join(INCOMPLETE_MARKER).exists());
    assert_eq!(venv.discard().unwrap(), Discarded::Kept);
    assert!(root.join("bin/python").exists(), "an existing venv is kept");
}

#[test]
fn stale_marker_beside_a_working_python_is_complete() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    mark_killed(&root);
    assert!(incomplete(&root).is_none());
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
}

#[test]
fn finish_of_a_venv_finished_by_another_process() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let first =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    let second =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    first.finish().unwrap();
    second.finish().unwrap();
    assert!(root.join("bin/python").exists());
    assert!(!root.join(".wharf-bin").exists());
}

#[test]
fn unfinished_copies_finish_with_python_last() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let options = VenvOptions {
        symlinks: false,
        ..VenvOptions::default()
    };
    let venv = create_unfinished_venv(&root, &fixture.info, &options, RERUN).unwrap();
    assert!(!root.join("bin/python3.11").exists());
    venv.finish().unwrap();
    for name in ["python", "python3", "python3.11"] {
        let metadata = fs_err::symlink_metadata(root.join("bin").join(name)).unwrap();
        assert!(metadata.is_file(), "{name} is a copy");
    }
}

#[test]
fn discard_removes_what_it_made() {
    let fixture = Fixture::new();
    let root = fixture.path("work/env");
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    assert_eq!(venv.discard().unwrap(), Discarded::Removed);
    assert_eq!(fs_err::read_dir(fixture.path("work")).unwrap().count(), 0);

    // A directory that was empty is emptied again, not removed.
    fs_err::create_dir(&root).unwrap();
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    assert_eq!(venv.discard().unwrap(), Discarded::Emptied);
    assert_eq!(fs_err::read_dir(&root).unwrap().count(), 0);
}

#[test]
fn activation_refuses_an_incomplete_venv() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let venv =
        create_unfinished_venv(&root, &fixture.info, &VenvOptions::default(), RERUN).unwrap();
    let root_text = root.display().to_string();
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap()
    };
    let installed = |program: &str| Path::new("/usr/bin").join(program).exists();
    let mut shells: Vec<(&str, Vec<String>)> = vec![(
        "bash",
        vec![
            "-c".into(),
            format!("source '{root_text}/bin/activate'; echo \"status $? [${{VIRTUAL_ENV-}}]\""),
        ],
    )];
    if installed("zsh") {
        shells.push((
            "zsh",
            vec![
                "-f".into(),
                "-c".into(),
                format!(
                    "source '{root_text}/bin/activate'; echo \"status $? [${{VIRTUAL_ENV-}}]\""
                ),
            ],
        ));
    }
    if installed("fish") {
        shells.push((
            "fish",
            vec![
                "--no-config".into(),
                "-c".into(),
                format!(
                    "source '{root_text}/bin/activate.fish'; echo \"status $status [$VIRTUAL_ENV]\""
                ),
            ],
        ));
    }
    let csh_script = fixture.path("check.csh");
    fs_err::write(
        &csh_script,
        format!("source '{root_text}/bin/activate.csh'\nif ($?VIRTUAL_ENV) then\necho active\nelse\necho \"status 0 []\"\nendif\n"),
    )
    .unwrap();
    if installed("tcsh") {
        shells.push(("tcsh", vec!["-f".into(), csh_script.display().to_string()]));
    }
    let finished = |shells: &[(&str, Vec<String>)], expect_active: bool| {
        for (shell, args) in shells {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = run(&format!("/usr/bin/{shell}"), &args);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            if expect_active {
                assert!(!stdout.contains("[]"), "{shell}: {stdout}{stderr}");
                assert!(stderr.is_empty(), "{shell}: {stderr}");
            } else {
                let status = if *shell == "tcsh" { "0" } else { "1" };
                assert_eq!(
                    stdout.trim(),
                    format!("status {status} []"),
                    "{shell}: {stderr}"
                );
                assert!(
                    stderr.starts_with(&format!(
                        "error: the virtual environment `{root_text}` is incomplete"
                    )) && stderr.contains("\nhint: run that `wharf venv"),
                    "{shell}: {stderr}"
                );
            }
        }
    };
    finished(&shells, false);
    venv.finish().unwrap();
    finished(&shells, true);
}

/// Issue 17 §5: a creator killed while staging left `.DIR.wharf-PID-N` beside `DIR` for good;
/// the next creation removes such leftovers once their process is gone and they are old (a
/// young one, or one of a live process, may belong to a creator still at work).
#[test]
fn stale_staging_leftovers_are_removed_by_the_next_creation() {
    let fixture = Fixture::new();
    let root = fixture.path("env");
    let leftover = |name: &str, age: std::time::Duration| {
        let path = fixture.path(name);
        fs_err::create_dir_all(path.join("lib")).unwrap();
        fs_err::write(path.join("lib/half"), "x").unwrap();
        let when = std::time::SystemTime::now() - age;
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        path
    };
    let two_hours = std::time::Duration::from_hours(2);
    // A pid no process has (above the kernel's pid_max).
    let dead_old = leftover(".env.wharf-4194399-0", two_hours);
    let dead_young = leftover(".env.wharf-4194399-1", std::time::Duration::ZERO);
    let live_old = leftover(&format!(".env.wharf-{}-7", std::process::id()), two_hours);
    let other_env = leftover(".other.wharf-4194399-0", two_hours);
    create_venv(&root, &fixture.info, &VenvOptions::default()).unwrap();
    assert!(!dead_old.exists());
    assert!(dead_young.exists());
    assert!(live_old.exists());
    assert!(other_env.exists());
}
