//! `wharf tool install | run | list | uninstall` on the real fixture (numpy's `f2py` console
//! script), with a real CPython: the tool gets its own environment, its executable is linked
//! into the bin directory and runs, and uninstall removes both.

#[path = "support/sci.rs"]
mod sci;

use sci::{peers, run};

#[test]
fn tool_install_run_list_uninstall() {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let tools = dir.path().join("tools");
    let bin = dir.path().join("bin");
    let wharf = || {
        let mut command = peers.wharf();
        command
            .env("WHARF_TOOL_DIR", &tools)
            .env("WHARF_TOOL_BIN_DIR", &bin);
        command
    };
    let installed = run(wharf()
        .args(["tool", "install", "numpy", "--python"])
        .arg(&peers.base_python))
    .success();
    // The bin directory is not on PATH here: the hint says how to add it.
    assert!(
        installed.stderr().contains("is not on PATH"),
        "{}",
        installed.transcript()
    );
    let link = bin.join("f2py");
    let target = std::fs::read_link(&link).unwrap();
    assert!(
        target.starts_with(tools.join("numpy")),
        "{}",
        target.display()
    );
    // The linked executable runs with the tool's own interpreter.
    let version = run(sci::command(&link).arg("-v")).success();
    assert_eq!(version.stdout().trim(), "1.26.4");
    // `tool run` uses the installed tool.
    let ran = run(wharf().args(["tool", "run", "--from", "numpy", "f2py", "-v"])).success();
    assert_eq!(ran.stdout().trim(), "1.26.4");
    let listed = run(wharf().args(["tool", "list"])).success();
    assert_eq!(listed.stdout(), "numpy 1.26.4+computecanada\n- f2py\n");
    // A package without console scripts is refused and leaves nothing behind.
    let refused = run(wharf()
        .args(["tool", "install", "six", "--python"])
        .arg(&peers.base_python))
    .exit_code(1);
    assert!(
        refused.stderr().contains("provides no executable"),
        "{}",
        refused.transcript()
    );
    assert!(!tools.join("six").exists());
    run(wharf().args(["tool", "uninstall", "numpy"])).success();
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(!tools.join("numpy").exists());
}
