//! Replays every recorded run of the original `avail_wheels` 2.1.3
//! (`tests/data/avail_golden_cases.jsonl`, copied from the project's shared golden set)
//! against `wharf` invoked as `avail_wheels`: same stdout byte for byte (`--raw` compared
//! as sorted lines, since the reference prints directory order) and same exit class.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn wharf_as_avail_wheels(dir: &Path) -> std::path::PathBuf {
    let link = dir.join("avail_wheels");
    if !link.exists() {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wharf"), &link).unwrap();
    }
    link
}

fn exit_class(code: i64) -> i64 {
    code.min(2)
}

#[test]
fn golden_cases_replay_byte_for_byte() {
    replay(include_str!("data/avail_golden_cases.jsonl"), 61);
}

/// Runs of the original avail_wheels recorded by `scripts/record-avail-cases.py` on a
/// wheelhouse of the site's real wheel names (`tests/data/real_wheel_names.tsv`).
#[test]
fn real_wheel_names_replay_byte_for_byte() {
    replay(include_str!("data/avail_real_cases.jsonl"), 26);
}

fn replay(cases: &str, minimum: usize) {
    let bin_dir = tempfile::tempdir().unwrap();
    let avail_wheels = wharf_as_avail_wheels(bin_dir.path());
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        count += 1;
        let case: Value = serde_json::from_str(line).unwrap();
        let id = case["id"].as_str().unwrap();
        let root = tempfile::tempdir().unwrap();
        let root_str = root.path().to_str().unwrap();
        for rel in case["tree"].as_array().unwrap() {
            let path = root.path().join(rel.as_str().unwrap());
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "").unwrap();
        }
        for (rel, text) in case["files"].as_object().unwrap() {
            let path = root.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text.as_str().unwrap().replace("$ROOT", root_str)).unwrap();
        }
        let mut command = Command::new(&avail_wheels);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", root.path())
            .env("LANG", "C.UTF-8");
        for (k, v) in case["env"].as_object().unwrap() {
            command.env(k, v.as_str().unwrap().replace("$ROOT", root_str));
        }
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().replace("$ROOT", root_str))
            .collect();
        command.args(&args);
        let output = command.output().unwrap();
        let mut stdout = String::from_utf8_lossy(&output.stdout).replace(root_str, "$ROOT");
        let mut expected = case["stdout"].as_str().unwrap().to_string();
        if args.iter().any(|a| a == "--raw") {
            let sorted = |s: &str| {
                let mut lines: Vec<&str> = s.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            };
            stdout = sorted(&stdout);
            expected = sorted(&expected);
        }
        let code = i64::from(output.status.code().unwrap_or(-1));
        let expected_code = case["exit"].as_i64().unwrap();
        if stdout != expected || exit_class(code) != exit_class(expected_code) {
            failures.push(format!(
                "case `{id}` (args {args:?}): exit {code} (expected {expected_code})\n--- expected\n{expected}\n--- got\n{stdout}\n--- stderr\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(count >= minimum, "case set truncated: {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} golden cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
