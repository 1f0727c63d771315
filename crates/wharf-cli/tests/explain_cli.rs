//! `wharf explain` on inputs without a bound (the "no input is unbounded" issue): `/dev/zero`
//! as a file and as stdin, a FIFO that never ends, and a 10 MiB log whose traceback is at its
//! end, as a file, on stdin and through a pipe. Each finishes within a deadline (a regression
//! fails instead of hanging), explains only the tail (the last 4 MiB), and says on one
//! warning line how much it skipped. No interpreter is needed: the numpy alias entry is
//! recognised from the text alone.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any of these runs may take (a debug build reads the 256 MiB stream limit in
/// well under a second; the margin is for a loaded machine).
const DEADLINE: Duration = Duration::from_secs(30);

/// The traceback at the end of the log.
const TRACEBACK: &str = "Traceback (most recent call last):
  File \"/home/user/job.py\", line 3, in <module>
    x = numpy.bool(1)
  File \"/env/lib/python3.11/site-packages/numpy/__init__.py\", line 324, in __getattr__
    raise AttributeError(__former_attrs__[attr])
AttributeError: module 'numpy' has no attribute 'bool'.
";

/// `wharf explain ARGS` with a clean environment (no `PIP_*`, no `VIRTUAL_ENV`) in `home`.
fn explain(home: &Path) -> Command {
    let mut command = wharf_test_support::clean_command(env!("CARGO_BIN_EXE_wharf"), Some(home));
    command
        .current_dir(home)
        .env("NO_COLOR", "1")
        .env("WHARF_NO_CACHE", "1")
        .env("PYTHON_DIRS", home.join("no-pythons"))
        .env("WHEELHOUSE", home.join("no-wheelhouse"))
        .arg("explain")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` at most [`DEADLINE`]; kills it and fails the test when it takes longer.
fn finish(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    // Drain stdout and stderr while waiting, so that a full pipe cannot stall the child.
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: `wharf explain` did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap().into_bytes(),
        stderr: err.join().unwrap().into_bytes(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A log of `size` bytes of job output whose last lines are [`TRACEBACK`].
fn log_with_traceback(size: usize) -> Vec<u8> {
    let mut log = Vec::with_capacity(size);
    let mut step = 0u64;
    while log.len() + TRACEBACK.len() < size {
        let line = format!(
            "step {step:>9}: loss 0.{:06} lr 1e-3\n",
            step * 7919 % 1_000_000
        );
        log.extend_from_slice(line.as_bytes());
        step += 1;
    }
    log.truncate(size - TRACEBACK.len());
    log.extend_from_slice(TRACEBACK.as_bytes());
    log
}

/// The explanation of the numpy alias, found although the log is larger than what is read.
#[track_caller]
fn assert_traceback_explained(output: &Output, what: &str) {
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{what}:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("[numpy-expired-alias]")
            && stdout.contains("matched: AttributeError: module 'numpy' has no attribute 'bool'."),
        "{what}:\n{stdout}\n{stderr}"
    );
}

/// Regression ("no input is unbounded"): `wharf explain < /dev/zero` and `wharf explain
/// /dev/zero` read until memory ran out. Now the read stops at 256 MiB, the last 4 MiB are
/// explained (all NULs, no line: nothing matches, exit 1), and one warning line says so.
#[test]
fn regression_unbounded_dev_zero_as_file_and_stdin_finishes() {
    let home = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let child = explain(home.path())
        .arg("/dev/zero")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let as_file = finish(child, "explain /dev/zero");
    let child = explain(home.path())
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .spawn()
        .unwrap();
    let as_stdin = finish(child, "explain < /dev/zero");
    for (output, name) in [(as_file, "`/dev/zero`"), (as_stdin, "stdin")] {
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}:\n{stdout}\n{stderr}");
        assert!(
            stdout.starts_with("No entry of the catalogue matches this text."),
            "{name}:\n{stdout}\n{stderr}"
        );
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .collect();
        assert_eq!(
            warnings,
            [format!(
                "warning: stopped reading {name} after 256 MiB (it may never end): explaining only the last 4 MiB read"
            )],
            "{stderr}"
        );
    }
    eprintln!("both /dev/zero runs took {:?}", start.elapsed());
}

/// A FIFO whose writer never stops (`wharf explain <(yes)`) is read like stdin: up to 256 MiB.
#[test]
fn regression_unbounded_endless_fifo_finishes() {
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join("endless");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo {}", fifo.display());
    let child = explain(home.path())
        .arg(&fifo)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut writer = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .unwrap();
        let line = b"still running\n".repeat(4096);
        // Ends when the reader closes the FIFO (EPIPE; Rust ignores SIGPIPE).
        while writer.write_all(&line).is_ok() {}
    });
    let output = finish(child, "explain FIFO");
    writer.join().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: stopped reading `{}` after 256 MiB (it may never end): explaining only the last 4 MiB read\n",
            fifo.display()
        )),
        "{stderr}"
    );
}

/// A 10 MiB log whose last lines are a traceback: as a file (its end is read, not all of it),
/// as stdin redirected from the file, and through a pipe (read through, the tail kept). The
/// traceback is explained each time, with one warning line naming how much was skipped.
#[test]
fn ten_mib_log_keeps_its_traceback() {
    let home = tempfile::tempdir().unwrap();
    let size = 10 * 1024 * 1024;
    let log = log_with_traceback(size);
    let path = home.path().join("slurm-1234.out");
    std::fs::write(&path, &log).unwrap();
    let skipped_at_least = size as u64 - 4 * 1024 * 1024;

    let check = |output: &Output, name: &str| {
        assert_traceback_explained(output, name);
        let stderr = text(&output.stderr);
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .collect();
        assert_eq!(warnings.len(), 1, "{name}: {stderr}");
        let prefix = format!(
            "warning: {name} is larger than 4 MiB: explaining only its last 4 MiB (the traceback is at the end); skipped its first "
        );
        let skipped: u64 = warnings[0]
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(" bytes"))
            .unwrap_or_else(|| panic!("{name}: {stderr}"))
            .parse()
            .unwrap();
        // The first partial line is dropped too: a little more than 6 MiB, less than a line more.
        assert!(
            (skipped_at_least..skipped_at_least + 100).contains(&skipped),
            "{name}: {skipped}"
        );
    };

    let child = explain(home.path())
        .arg(&path)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    check(
        &finish(child, "explain FILE"),
        &format!("`{}`", path.display()),
    );

    let child = explain(home.path())
        .stdin(std::fs::File::open(&path).unwrap())
        .spawn()
        .unwrap();
    check(&finish(child, "explain < FILE"), "stdin");

    let mut child = explain(home.path()).stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&log).unwrap());
    let output = finish(child, "cat FILE | explain");
    writer.join().unwrap();
    check(&output, "stdin");
}

/// A small input is read whole, without a warning; invalid UTF-8 is read lossily.
#[test]
fn small_input_is_read_whole_and_lossily() {
    let home = tempfile::tempdir().unwrap();
    let mut input = b"\xff\xfe binary noise \x00\n".to_vec();
    input.extend_from_slice(TRACEBACK.as_bytes());
    let mut child = explain(home.path()).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = finish(child, "explain small");
    assert_traceback_explained(&output, "small");
    assert!(
        !text(&output.stderr).contains("warning:"),
        "{}",
        text(&output.stderr)
    );
}
