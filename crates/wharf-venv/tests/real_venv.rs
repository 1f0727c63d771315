//! Venvs made from the machine's real CPython (`WHARF_TEST_PYTHON`, a venv with pip 24.2 made
//! by `scripts/test-env.sh`), checked by running Python and the shells inside them. Without it
//! the tests print a skip note, unless `WHARF_TEST_REQUIRE_PEERS` is set, when they fail.
//!
//! Every subprocess gets an explicit environment: the machine exports `PIP_*` variables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use wharf_python::{InterpreterInfo, PythonEnv, probe};
use wharf_venv::{VenvLayout, VenvOptions, create_venv};

const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

fn test_python() -> Option<PathBuf> {
    wharf_test_support::real_python()
}

struct Setup {
    temp: tempfile::TempDir,
    python: PathBuf,
    info: InterpreterInfo,
}

impl Setup {
    fn new() -> Option<Self> {
        let python = test_python()?;
        let temp = tempfile::tempdir().unwrap();
        let env = PythonEnv {
            path: Some(SYSTEM_PATH.into()),
            home: Some(temp.path().join("home")),
            wharf_cache_dir: Some(temp.path().join("cache")),
            ..PythonEnv::default()
        };
        let info = probe(&python, &env).unwrap();
        Some(Self { temp, python, info })
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.temp.path().join(relative)
    }

    /// A command with a clean environment: system PATH and a temp HOME only.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", SYSTEM_PATH)
            .env("HOME", self.path("home"));
        command
    }
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

const INSIDE: &str = r#"
import json, site, sys, sysconfig
print(json.dumps({
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "executable": sys.executable,
    "site_packages": site.getsitepackages(),
    "paths": sysconfig.get_paths(),
    "user_site_enabled": bool(site.ENABLE_USER_SITE),
}))
"#;

fn inside(setup: &Setup, layout: &VenvLayout) -> Value {
    let output = setup
        .command(&layout.python)
        .arg("-c")
        .arg(INSIDE)
        .output()
        .unwrap();
    serde_json::from_str(&stdout(&output)).unwrap()
}

#[test]
fn python_runs_inside_the_venv() {
    let Some(setup) = Setup::new() else { return };
    let root = setup.path("env");
    let layout = create_venv(&root, &setup.info, &VenvOptions::default()).unwrap();

    let seen = inside(&setup, &layout);
    let text = |key: &str| PathBuf::from(seen[key].as_str().unwrap());
    assert_eq!(text("prefix"), root);
    assert_eq!(text("base_prefix"), setup.info.base_prefix);
    assert_ne!(text("prefix"), text("base_prefix"));
    assert_eq!(text("executable"), layout.python);
    let site_packages: Vec<PathBuf> = seen["site_packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|path| PathBuf::from(path.as_str().unwrap()))
        .collect();
    assert!(site_packages.contains(&layout.purelib), "{site_packages:?}");
    assert!(site_packages.iter().all(|path| path.starts_with(&root)));
    let paths = &seen["paths"];
    assert_eq!(paths["purelib"].as_str(), layout.purelib.to_str());
    assert_eq!(paths["platlib"].as_str(), layout.platlib.to_str());
    assert_eq!(paths["scripts"].as_str(), layout.scripts.to_str());
    assert_eq!(paths["data"].as_str(), layout.data.to_str());
    assert_eq!(seen["user_site_enabled"], Value::Bool(false));

    // The probe of the new venv's python agrees with the layout.
    let env = PythonEnv {
        path: Some(SYSTEM_PATH.into()),
        ..PythonEnv::default()
    };
    let venv_info = probe(&layout.python, &env).unwrap();
    assert!(venv_info.is_venv());
    assert_eq!(VenvLayout::new(&root, &venv_info), layout);

    // No pip inside (wharf does not seed it)...
    let output = setup
        .command(&layout.python)
        .args(["-m", "pip", "--version"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("No module named pip"));
    // ...but an outside pip can drive the venv's interpreter.
    let output = setup
        .command(&setup.python)
        .args(["-m", "pip", "--python"])
        .arg(&layout.python)
        .args(["list", "--format=json"])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap();
    let listed: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(listed, Value::Array(Vec::new()));
}

#[test]
fn system_site_packages_are_seen_when_asked() {
    let Some(setup) = Setup::new() else { return };
    let options = VenvOptions {
        system_site_packages: true,
        ..VenvOptions::default()
    };
    let layout = create_venv(&setup.path("env"), &setup.info, &options).unwrap();
    let seen = inside(&setup, &layout);
    let site_packages = seen["site_packages"].as_array().unwrap();
    assert!(
        site_packages
            .iter()
            .any(|path| Path::new(path.as_str().unwrap()).starts_with(&setup.info.base_prefix)),
        "{site_packages:?}"
    );
}

/// `key = value` lines of a `pyvenv.cfg`, in order.
fn cfg_lines(path: &Path) -> Vec<(String, String)> {
    wharf_python::PyvenvCfg::read(path).unwrap().values
}

/// Every entry under `root`, with link targets (the root replaced by `ROOT`).
fn entries(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs_err::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().display().to_string();
            let metadata = fs_err::symlink_metadata(&path).unwrap();
            if metadata.is_symlink() {
                let target = fs_err::read_link(&path).unwrap();
                out.push(format!("{relative} -> {}", target.display()));
            } else if metadata.is_dir() {
                out.push(format!("{relative}/"));
                stack.push(path);
            } else {
                out.push(relative);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn same_layout_and_config_as_python_m_venv() {
    let Some(setup) = Setup::new() else { return };
    let base = setup.info.base_interpreter();
    let reference = setup.path("reference");
    let output = setup
        .command(base)
        .args(["-m", "venv", "--without-pip"])
        .arg(&reference)
        .output()
        .unwrap();
    stdout(&output);
    let ours = setup.path("ours");
    let options = VenvOptions {
        prompt: Some("my env".to_owned()),
        ..VenvOptions::default()
    };
    create_venv(&ours, &setup.info, &options).unwrap();

    // Same keys in the same order; same values except `command` and our `prompt`.
    let theirs = cfg_lines(&reference.join("pyvenv.cfg"));
    let mine: Vec<_> = cfg_lines(&ours.join("pyvenv.cfg"))
        .into_iter()
        .filter(|(key, _)| key != "prompt")
        .collect();
    let keys = |lines: &[(String, String)]| -> Vec<String> {
        lines.iter().map(|(key, _)| key.clone()).collect()
    };
    assert_eq!(keys(&mine), keys(&theirs));
    for ((key, mine), (_, theirs)) in mine.iter().zip(&theirs) {
        if key != "command" {
            assert_eq!(mine, theirs, "{key}");
        }
    }
    let prompt = cfg_lines(&ours.join("pyvenv.cfg"));
    assert_eq!(prompt[3], ("prompt".to_owned(), "'my env'".to_owned()));

    // Same files and links, but for the activation scripts each tool writes its own way.
    let ignore = |entry: &String| {
        !entry.starts_with("bin/activate")
            && !entry.starts_with("bin/Activate")
            && entry != ".gitignore"
    };
    let theirs: Vec<String> = entries(&reference).into_iter().filter(ignore).collect();
    let mine: Vec<String> = entries(&ours).into_iter().filter(ignore).collect();
    assert_eq!(mine, theirs);
}

/// Runs `script` with `shell -c`, in a clean environment, and returns stdout.
fn shell(setup: &Setup, shell: &str, args: &[&str], script: &str) -> String {
    let output = setup
        .command(shell)
        .args(args)
        .arg(script)
        .output()
        .unwrap();
    stdout(&output)
}

fn installed(program: &str) -> Option<PathBuf> {
    SYSTEM_PATH
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|path| path.is_file())
}

/// A `deactivate` program on PATH (pyenv-virtualenv's, which fails unless sourced) was run by
/// `activate` and stopped a `set -e` job script; only a shell function is called now.
#[test]
fn activate_under_set_e_ignores_a_deactivate_program_on_path() {
    let Some(setup) = Setup::new() else { return };
    let root = setup.path("env");
    create_venv(&root, &setup.info, &VenvOptions::default()).unwrap();
    let bin = setup.path("tools");
    std::fs::create_dir_all(&bin).unwrap();
    let program = bin.join("deactivate");
    std::fs::write(&program, "#!/bin/sh\necho 'must be sourced' >&2\nexit 1\n").unwrap();
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let script = format!(
        "set -e\nPATH='{bin}':$PATH\nsource '{activate}'\necho \"$VIRTUAL_ENV\"",
        bin = bin.display(),
        activate = root.join("bin/activate").display()
    );
    for shell_name in ["bash", "sh"] {
        let out = shell(
            &setup,
            shell_name,
            &["-c"],
            &script.replace("source ", ". "),
        );
        assert_eq!(out.trim(), root.display().to_string(), "{shell_name}");
    }
}

#[test]
fn bash_activate_and_deactivate() {
    let Some(setup) = Setup::new() else { return };
    let root = setup.path("my env");
    create_venv(&root, &setup.info, &VenvOptions::default()).unwrap();
    let activate = root.join("bin/activate");
    let script = format!(
        r#"PS1='$ '
source '{activate}'
command -v python
echo "$VIRTUAL_ENV"
echo "$VIRTUAL_ENV_PROMPT"
echo "$PS1"
python -c 'import sys; print(sys.prefix)'
deactivate
echo "[${{VIRTUAL_ENV-unset}}]"
echo "$PATH"
echo "$PS1"
command -v deactivate || echo no deactivate"#,
        activate = activate.display()
    );
    // Also under `set -u`, as careful job scripts run.
    for args in [&["-c"][..], &["-u", "-c"][..]] {
        let out = shell(&setup, "bash", args, &script);
        let lines: Vec<&str> = out.lines().collect();
        let expected = [
            root.join("bin/python").display().to_string(),
            root.display().to_string(),
            "my env".to_owned(),
            "(my env) $ ".to_owned(),
            root.display().to_string(),
            "[unset]".to_owned(),
            SYSTEM_PATH.to_owned(),
            "$ ".to_owned(),
            "no deactivate".to_owned(),
        ];
        assert_eq!(lines, expected, "bash {args:?}");
    }

    // Running it instead of sourcing it is refused with a message.
    let output = setup.command("bash").arg(&activate).output().unwrap();
    assert_eq!(output.status.code(), Some(33));
    assert!(String::from_utf8_lossy(&output.stderr).contains("source"));
}

#[test]
fn bash_activate_over_another_venv() {
    let Some(setup) = Setup::new() else { return };
    // A venv made by `python -m venv` is active; ours takes over, and deactivating ours
    // leaves neither on PATH.
    let other = setup.path("other");
    let output = setup
        .command(setup.info.base_interpreter())
        .args(["-m", "venv", "--without-pip"])
        .arg(&other)
        .output()
        .unwrap();
    stdout(&output);
    let ours = setup.path("ours");
    create_venv(&ours, &setup.info, &VenvOptions::default()).unwrap();
    let script = format!(
        "source '{}/bin/activate'\nsource '{}/bin/activate'\necho \"$VIRTUAL_ENV\"\necho \"$PATH\"\ndeactivate\necho \"$PATH\"",
        other.display(),
        ours.display()
    );
    let out = shell(&setup, "bash", &["-c"], &script);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            ours.display().to_string(),
            format!("{}/bin:{SYSTEM_PATH}", ours.display()),
            SYSTEM_PATH.to_owned(),
        ]
    );
}

#[test]
fn other_shells_if_present() {
    let Some(setup) = Setup::new() else { return };
    let root = setup.path("env");
    create_venv(&root, &setup.info, &VenvOptions::default()).unwrap();
    let python = root.join("bin/python").display().to_string();
    let root_text = root.display().to_string();

    if let Some(zsh) = installed("zsh") {
        let out = shell(
            &setup,
            &zsh.display().to_string(),
            &["-f", "-c"],
            &format!(
                "source '{root_text}/bin/activate'; command -v python; echo $VIRTUAL_ENV; deactivate; echo \"[$VIRTUAL_ENV]\"; echo $PATH"
            ),
        );
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [python.as_str(), &root_text, "[]", SYSTEM_PATH],
            "zsh"
        );
    }
    if let Some(fish) = installed("fish") {
        let out = shell(
            &setup,
            &fish.display().to_string(),
            &["--no-config", "-c"],
            &format!(
                "source '{root_text}/bin/activate.fish'; command -v python; echo $VIRTUAL_ENV; fish_prompt; echo; deactivate; echo \"[$VIRTUAL_ENV]\"; string join : $PATH; functions -q deactivate; or echo no deactivate"
            ),
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[..2], [python.as_str(), &root_text], "fish: {out}");
        assert!(lines[2].starts_with("(env) "), "fish prompt: {out}");
        assert_eq!(
            lines[3..],
            ["[]", SYSTEM_PATH, "no deactivate"],
            "fish: {out}"
        );
    }
    for csh in ["tcsh", "csh"].into_iter().filter_map(installed) {
        // csh expands aliases per line: `deactivate` must be on a line after `source`.
        let script = setup.path("check.csh");
        fs_err::write(
            &script,
            format!(
                "set prompt='% '\nsource '{root_text}/bin/activate.csh'\nwhich python\necho $VIRTUAL_ENV\necho \"$prompt\"\ndeactivate\nif ($?VIRTUAL_ENV) echo still active\necho $PATH\necho \"$prompt\"\n"
            ),
        )
        .unwrap();
        let output = setup.command(&csh).arg("-f").arg(&script).output().unwrap();
        let out = stdout(&output);
        assert_eq!(
            out.lines().collect::<Vec<_>>(),
            [python.as_str(), &root_text, "(env) % ", SYSTEM_PATH, "% "],
            "{}",
            csh.display()
        );
    }
}
