//! `wharf download` end to end: against a static PEP 503 tree served by Python's
//! `http.server` on 127.0.0.1 (dependencies, `--no-deps`, a bad hash, 404, 500, an
//! unreachable index: each a clear error with a hint, exit 1, nothing left in `-d`), and
//! against real PyPI with pinned versions, where `pip download` (pip 24.2) is the peer that
//! must fetch the same files. Then the downloaded files install with `wharf install -f DIR`.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`); the PyPI tests need the
//! network (PyPI's simple API), with the caller's CA bundle and proxy variables.

#[path = "support/sci.rs"]
mod sci;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use sci::{command, run, test_python};
use sha2::Digest;
use wharf_test_support::http::{Reply, TestServer};
use wharf_test_support::{NETWORK_VARIABLES, WheelBuilder};

/// `python index_server.py ROOT`, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(python: &Path, root: &Path) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/index_server.py");
        let mut child = command(python)
            .arg("-u")
            .arg(script)
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the index server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the server prints its port");
        Self { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sha256(path: &Path) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// A static index: `simple/<project>/index.html` linking `../../files/<wheel>#sha256=…`.
/// `corrupt` names a wheel whose stated hash is wrong.
fn write_index(root: &Path, wheels: &[WheelBuilder], names: &[&str], corrupt: Option<&str>) {
    let files = root.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let mut projects = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (wheel, filename) in wheels.iter().zip(names) {
        let path = wheel.write(&files.join(filename));
        let mut hash = sha256(&path);
        if corrupt == Some(*filename) {
            hash = "0".repeat(64);
        }
        let project = filename.split('-').next().unwrap().replace('_', "-");
        projects.entry(project).or_default().push(format!(
            "<a href=\"../../files/{filename}#sha256={hash}\" data-requires-python=\"&gt;=3.8\">{filename}</a><br/>"
        ));
    }
    let simple = root.join("simple");
    let mut top = String::from("<!DOCTYPE html><html><body>\n");
    for (project, links) in &projects {
        std::fs::create_dir_all(simple.join(project)).unwrap();
        std::fs::write(
            simple.join(project).join("index.html"),
            format!(
                "<!DOCTYPE html><html><body>\n{}\n</body></html>\n",
                links.join("\n")
            ),
        )
        .unwrap();
        top.push_str(&format!("<a href=\"{project}/\">{project}</a>\n"));
    }
    std::fs::write(simple.join("index.html"), top + "</body></html>\n").unwrap();
}

/// The small project set: alpha 1.0 and 2.0 (2.0 needs beta>=1 and, on Windows only, gamma),
/// beta 1.0 (pure) and 1.1 (a linux_x86_64 wheel, ABI cp3X of the test Python), a dev release.
fn small_index(root: &Path, python_tag: &str, corrupt: Option<&str>) {
    let wheels = [
        (
            WheelBuilder::new("alpha", "1.0", true, &[]),
            "alpha-1.0-py3-none-any.whl".to_string(),
        ),
        (
            WheelBuilder::new(
                "alpha",
                "2.0",
                true,
                &["beta>=1", "gamma; sys_platform == 'win32'"],
            ),
            "alpha-2.0-py3-none-any.whl".to_string(),
        ),
        (
            WheelBuilder::new("alpha", "3.0.dev1", true, &[]),
            "alpha-3.0.dev1-py3-none-any.whl".to_string(),
        ),
        (
            WheelBuilder::new("beta", "1.0", true, &[]),
            "beta-1.0-py3-none-any.whl".to_string(),
        ),
        (
            WheelBuilder::new("beta", "1.1", false, &[]),
            format!("beta-1.1-{python_tag}-{python_tag}-linux_x86_64.whl"),
        ),
    ];
    let names: Vec<&str> = wheels.iter().map(|(_, n)| n.as_str()).collect();
    let builders: Vec<WheelBuilder> = wheels.iter().map(|(w, _)| w.clone()).collect();
    write_index(root, &builders, &names, corrupt);
}

fn python_tag(python: &Path) -> String {
    run(command(python).args([
        "-c",
        "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')",
    ]))
    .success()
    .stdout()
    .trim()
    .to_string()
}

fn wharf() -> Command {
    let mut command = command(env!("CARGO_BIN_EXE_wharf"));
    command.env("NO_COLOR", "1").env("WHARF_NO_CACHE", "1");
    command
}

fn listing(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn download_from_a_local_pep503_tree_then_install() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let tag = python_tag(&python);
    small_index(&temp.path().join("www"), &tag, None);
    let server = Server::start(&python, &temp.path().join("www"));
    let index = server.url("simple");

    // --no-deps: only alpha, the newest non-pre-release.
    let out = temp.path().join("no-deps");
    let ran = run(wharf()
        .args(["download", "alpha", "--no-deps", "--python"])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&out))
    .success();
    assert_eq!(
        listing(&out),
        BTreeSet::from(["alpha-2.0-py3-none-any.whl".to_string()])
    );
    assert_eq!(
        ran.stdout(),
        format!("{}\n", out.join("alpha-2.0-py3-none-any.whl").display())
    );

    // With dependencies: beta 1.1 (the binary wheel for this Python), with the site's warning.
    let out = temp.path().join("deps");
    let ran = run(wharf()
        .args(["download", "alpha", "--python"])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&out))
    .success();
    let beta = format!("beta-1.1-{tag}-{tag}-linux_x86_64.whl");
    assert_eq!(
        listing(&out),
        BTreeSet::from(["alpha-2.0-py3-none-any.whl".to_string(), beta.clone()])
    );
    let stderr = ran.stderr();
    assert!(
        stderr.contains(&format!(
            "warning: `{beta}` is a binary wheel built outside the site"
        )),
        "{}",
        ran.transcript()
    );
    assert!(
        stderr.contains("hint: prefer the wheelhouse's build (`wharf avail beta`"),
        "{}",
        ran.transcript()
    );
    assert!(
        !stderr.contains("alpha-2.0-py3-none-any.whl` is a binary"),
        "{stderr}"
    );

    // Pins, --pre, and a target without the binary wheel (--platform): pure beta 1.0.
    let out = temp.path().join("pinned");
    run(wharf()
        .args(["download", "alpha==1.0", "alpha", "--pre", "--python"])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&out))
    .exit_code(0);
    assert_eq!(
        listing(&out),
        BTreeSet::from(["alpha-1.0-py3-none-any.whl".to_string()])
    );
    let out = temp.path().join("platform");
    run(wharf()
        .args([
            "download",
            "alpha",
            "--python-version",
            "3.12",
            "--platform",
            "macosx_11_0_arm64",
            "--only-binary",
            ":all:",
            "--python",
        ])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&out))
    .success();
    assert_eq!(
        listing(&out),
        BTreeSet::from([
            "alpha-2.0-py3-none-any.whl".to_string(),
            "beta-1.0-py3-none-any.whl".to_string()
        ])
    );

    // The peer: pip download fetches the same files from the same index.
    let pip_out = temp.path().join("pip");
    run(command(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--only-binary",
            ":all:",
            "alpha",
            "-i",
            &index,
            "-d",
        ])
        .arg(&pip_out))
    .success();
    assert_eq!(listing(&pip_out), listing(&temp.path().join("deps")));

    // A second run finds the files in place (same hash) and keeps them.
    let ran = run(wharf()
        .args(["download", "alpha", "--python"])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(temp.path().join("deps")))
    .success();
    assert!(
        ran.stderr().contains("(2 already in"),
        "{}",
        ran.transcript()
    );

    // Then the downloaded files install (`-f DIR`) into a venv and import.
    let venv = temp.path().join("venv");
    run(wharf().arg("venv").arg(&venv).arg("--python").arg(&python)).success();
    run(wharf()
        .args(["install", "alpha", "--python"])
        .arg(&venv)
        .arg("-f")
        .arg(temp.path().join("deps"))
        .arg("--allow-manylinux"))
    .success();
    let ran = run(wharf()
        .args(["list", "--format", "freeze", "--python"])
        .arg(&venv))
    .success();
    assert_eq!(ran.stdout(), "alpha==2.0\nbeta==1.1\n");
}

/// Issue 20 §4: `download` keeps the index's file name, as pip does: `tensorboardX-…whl` was
/// saved as `tensorboardx-…whl` (the project name normalized into the file name).
#[test]
fn regression_download_keeps_the_index_file_name() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    write_index(
        &temp.path().join("www"),
        &[WheelBuilder::new("tensorboardX", "2.6", true, &[])],
        &["tensorboardX-2.6-py3-none-any.whl"],
        None,
    );
    // PEP 503: the project's page is at its normalized name.
    std::fs::rename(
        temp.path().join("www/simple/tensorboardX"),
        temp.path().join("www/simple/tensorboardx"),
    )
    .unwrap();
    let server = Server::start(&python, &temp.path().join("www"));
    let out = temp.path().join("out");
    run(wharf()
        .args(["download", "tensorboardX", "--no-deps", "--python"])
        .arg(&python)
        .args(["-i", &server.url("simple"), "-d"])
        .arg(&out))
    .success();
    assert_eq!(
        listing(&out),
        BTreeSet::from(["tensorboardX-2.6-py3-none-any.whl".to_string()])
    );
}

#[test]
fn bad_input_is_a_clear_error_and_changes_nothing() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let tag = python_tag(&python);
    small_index(
        &temp.path().join("www"),
        &tag,
        Some("beta-1.0-py3-none-any.whl"),
    );
    let server = Server::start(&python, &temp.path().join("www"));
    let download = |index: &str, out: &Path, extra: &[&str]| {
        let mut command = wharf();
        command
            .args(["download", "--retries", "1", "--timeout", "5", "--python"])
            .arg(&python)
            .args(["-i", index, "-d"])
            .arg(out)
            .args(extra);
        run(&mut command)
    };
    let out = temp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "already here").unwrap();

    // A hash that does not match: exit 1, the file named, a hint, nothing in -d (not even alpha).
    let ran = download(&server.url("simple"), &out, &["alpha==1.0", "beta==1.0"]).exit_code(1);
    let stderr = ran.stderr();
    assert!(stderr.contains("error: the sha256 of `beta-1.0-py3-none-any.whl` does not match the index: expected 0000"), "{}", ran.transcript());
    assert!(
        stderr.contains("\nhint: the file was corrupted in transit"),
        "{}",
        ran.transcript()
    );
    assert_eq!(listing(&out), BTreeSet::from(["keep.txt".to_string()]));

    // 500, retried then reported.
    let ran = download(&server.url("status/500/simple"), &out, &["alpha"]).exit_code(1);
    assert!(
        ran.stderr()
            .contains("/status/500/simple/alpha/` answered HTTP 500 (after 2 attempt(s))"),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.stderr().contains("hint: the index is failing"),
        "{}",
        ran.transcript()
    );

    // 404: no such project (said under the resolver's report since the one resolver).
    let ran = download(&server.url("simple"), &out, &["nosuchproject"]).exit_code(1);
    assert!(
        ran.stderr().contains(&format!(
            "  no project `nosuchproject` on `{}` (HTTP 404)\n",
            server.url("simple")
        )),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.stderr().contains("hint: check the name's spelling"),
        "{}",
        ran.transcript()
    );

    // Unreachable (a closed port): retried, then the network hint.
    let ran = download("http://127.0.0.1:9/simple", &out, &["alpha"]).exit_code(1);
    assert!(
        ran.stderr().contains(
            "error: cannot reach `http://127.0.0.1:9/simple/alpha/` (after 2 attempt(s))"
        ),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.stderr().contains("  Caused by: "),
        "{}",
        ran.transcript()
    );
    assert!(
        ran.stderr()
            .contains("hint: check the network from this node"),
        "{}",
        ran.transcript()
    );

    // No wheel for the request: the resolver's report, then the versions there are (as pip's
    // "from versions: …"; was "no wheel of `beta` satisfies `beta>5`" before the one resolver).
    let ran = download(&server.url("simple"), &out, &["beta>5"]).exit_code(1);
    assert!(
        ran.stderr()
            .contains("the index has no usable wheel of beta>5")
            && ran.stderr().contains(&format!(
                "  versions of beta with a wheel for Python 3.{} on `{}`: 1.1, 1.0\n",
                &tag[3..],
                server.url("simple")
            )),
        "{}",
        ran.transcript()
    );

    assert_eq!(listing(&out), BTreeSet::from(["keep.txt".to_string()]));
}

fn with_network(mut command: Command) -> Command {
    for name in NETWORK_VARIABLES {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    command
}

/// Real PyPI, pinned versions: `wharf download` and `pip download` save the same files
/// (names and bytes), with and without dependencies.
#[test]
fn pypi_pinned_set_matches_pip_download() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    for (label, args) in [
        (
            "no-deps",
            &["six==1.16.0", "idna==3.10", "packaging==24.1", "--no-deps"][..],
        ),
        (
            "deps",
            &[
                "requests==2.32.3",
                "urllib3==2.2.3",
                "certifi==2024.8.30",
                "charset-normalizer==3.4.0",
                "idna==3.10",
            ][..],
        ),
    ] {
        let ours = temp.path().join(format!("wharf-{label}"));
        let theirs = temp.path().join(format!("pip-{label}"));
        let mut command = with_network(wharf());
        command
            .arg("download")
            .args(args)
            .arg("--python")
            .arg(&python)
            .arg("-d")
            .arg(&ours);
        let ran = run(&mut command).success();
        let mut command = with_network(command_pip(&python));
        command
            .args([
                "download",
                "--disable-pip-version-check",
                "--only-binary",
                ":all:",
            ])
            .args(args)
            .arg("-d")
            .arg(&theirs);
        run(&mut command).success();
        assert_eq!(listing(&ours), listing(&theirs), "{}", ran.transcript());
        for file in listing(&ours) {
            assert_eq!(
                sha256(&ours.join(&file)),
                sha256(&theirs.join(&file)),
                "{file}"
            );
        }
    }
}

fn command_pip(python: &Path) -> Command {
    let mut command = command(python);
    command.args(["-m", "pip"]);
    command
}

/// A PEP 691 JSON project page listing one file (`size`: its PEP 700 size, if any).
fn json_page(project: &str, filename: &str, url: &str, sha256: &str, size: Option<u64>) -> Reply {
    let mut file = serde_json::json!({
        "filename": filename,
        "url": url,
        "hashes": {},
    });
    if !sha256.is_empty() {
        file["hashes"]["sha256"] = sha256.into();
    }
    if let Some(size) = size {
        file["size"] = size.into();
    }
    let page = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": project,
        "files": [file],
    });
    Reply::ok(
        "application/vnd.pypi.simple.v1+json",
        page.to_string().into_bytes(),
    )
}

/// The misbehaving index of the "no input is unbounded" issue, served from Rust
/// ([`TestServer`]): one project per misbehaviour, and `good` (a real wheel, its true size and
/// hash) to show that the limits do not stop an honest download.
fn misbehaving_index(good_wheel: Vec<u8>) -> TestServer {
    let good_sha256 = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&good_wheel));
    TestServer::start(move |path| {
        let wheel = |project: &str| format!("{project}-1.0-py3-none-any.whl");
        let page = |project: &str, size| {
            json_page(
                project,
                &wheel(project),
                &format!("/files/{}", wheel(project)),
                "",
                size,
            )
        };
        match path {
            "/simple/good/" => json_page(
                "good",
                &wheel("good"),
                "/files/good-1.0-py3-none-any.whl",
                &good_sha256,
                Some(good_wheel.len() as u64),
            ),
            "/files/good-1.0-py3-none-any.whl" => {
                Reply::ok("application/octet-stream", good_wheel.clone())
            }
            // PEP 700 size 1000, then zeros without end (no Content-Length).
            "/simple/endless/" => page("endless", Some(1000)),
            "/files/endless-1.0-py3-none-any.whl" => Reply::Endless,
            // PEP 700 size 100, Content-Length 200 and 200 bytes.
            "/simple/longer/" => page("longer", Some(100)),
            "/files/longer-1.0-py3-none-any.whl" => Reply::Body {
                status: 200,
                content_type: "application/octet-stream".to_string(),
                content_length: Some(200),
                body: vec![b'x'; 200],
            },
            // 1000 bytes, one a second.
            "/simple/trickle/" => page("trickle", Some(1000)),
            "/files/trickle-1.0-py3-none-any.whl" => Reply::Trickle {
                length: 1000,
                interval: std::time::Duration::from_secs(1),
            },
            "/simple/redirect/" => page("redirect", None),
            "/files/redirect-1.0-py3-none-any.whl" => {
                Reply::Redirect("file:///etc/passwd".to_string())
            }
            // A file name that is a path (JSON), and one hidden in a percent-encoded href.
            "/simple/evil/" => json_page(
                "evil",
                "../evil-1.0-py3-none-any.whl",
                "/files/evil-1.0-py3-none-any.whl",
                "",
                None,
            ),
            "/simple/evilhtml/" => Reply::ok(
                "text/html",
                "<html><body><a href=\"/files/..%2Fevilhtml-1.0-py3-none-any.whl\">evilhtml</a></body></html>",
            ),
            p if p.starts_with("/files/") => Reply::ok("application/octet-stream", b"PK".to_vec()),
            _ => Reply::not_found(),
        }
    })
}

/// Regression ("no input is unbounded"): `wharf download` from an index that misbehaves.
/// A body that never ends filled the disk, one that trickles never timed out, a redirect to
/// `file://` was "too many redirects", a file name with `../` was "only source distributions".
/// Each now ends promptly with exit 1, a message naming the URL or the file name, and nothing
/// in `-d` but what was there (no partial file, no staging directory).
#[test]
fn regression_unbounded_download_from_a_misbehaving_index() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let good = WheelBuilder::new("good", "1.0", true, &[])
        .write(&temp.path().join("good-1.0-py3-none-any.whl"));
    let server = misbehaving_index(std::fs::read(&good).unwrap());
    let index = server.url("simple");
    let out = temp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "already here").unwrap();
    let before = BTreeSet::from(["keep.txt".to_string()]);
    let download = |project: &str| {
        let mut command = wharf();
        command
            .args([
                "download",
                project,
                "--no-deps",
                "--retries",
                "1",
                "--timeout",
                "2",
                "--python",
            ])
            .arg(&python)
            .args(["-i", &index, "-d"])
            .arg(&out);
        let start = std::time::Instant::now();
        let ran = sci::run_within(&mut command, std::time::Duration::from_mins(1));
        (ran, start.elapsed())
    };
    let file_url = |project: &str| server.url(&format!("files/{project}-1.0-py3-none-any.whl"));

    // An honest download is not stopped: its size and hash are the index's.
    let (ran, _) = download("good");
    let ran = ran.success();
    assert_eq!(
        listing(&out),
        BTreeSet::from([
            "keep.txt".to_string(),
            "good-1.0-py3-none-any.whl".to_string()
        ]),
        "{}",
        ran.transcript()
    );
    std::fs::remove_file(out.join("good-1.0-py3-none-any.whl")).unwrap();

    // Endless: stopped one byte past the declared size, not retried (a retry gets the same).
    let (ran, elapsed) = download("endless");
    let ran = ran.exit_code(1);
    assert!(
        ran.stderr().contains(&format!(
            "error: `{}` sent more than the 1000 bytes the index declared (PEP 700 `size`): stopped after 1001 bytes; nothing was kept\n",
            file_url("endless")
        )),
        "{}",
        ran.transcript()
    );
    assert!(ran.stderr().contains("\nhint: "), "{}", ran.transcript());
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
    assert_eq!(listing(&out), before, "{}", ran.transcript());

    // Longer than declared: Content-Length 200 against the index's 100.
    let (ran, _) = download("longer");
    let ran = ran.exit_code(1);
    assert!(
        ran.stderr().contains(&format!(
            "error: `{}` sent more than the 100 bytes the index declared (PEP 700 `size`): stopped after 101 bytes; nothing was kept\n",
            file_url("longer")
        )),
        "{}",
        ran.transcript()
    );
    assert_eq!(listing(&out), before, "{}", ran.transcript());

    // A trickle (1 byte/s): each attempt ends at its deadline, --timeout × (1 + size in
    // MiB, rounded up) = 4 s; two attempts (--retries 1).
    let (ran, elapsed) = download("trickle");
    let ran = ran.exit_code(1);
    let stderr = ran.stderr();
    assert!(
        stderr.contains(&format!("error: `{}` is too slow: ", file_url("trickle")))
            && stderr.contains(" of 1000 bytes in ")
            && stderr.contains("(after 2 attempt(s))"),
        "{}",
        ran.transcript()
    );
    assert!(
        stderr.contains("hint: ") && stderr.contains("--timeout"),
        "{}",
        ran.transcript()
    );
    assert!(elapsed < std::time::Duration::from_secs(30), "{elapsed:?}");
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|p| p.ends_with("trickle-1.0-py3-none-any.whl"))
            .count(),
        2
    );
    assert_eq!(listing(&out), before, "{}", ran.transcript());

    // A redirect to file:///etc/passwd: refused, named.
    let (ran, _) = download("redirect");
    let ran = ran.exit_code(1);
    assert!(
        ran.stderr().contains(&format!(
            "error: `{}` redirects to `file:///etc/passwd`, which is not an HTTP(S) URL: refused\n",
            file_url("redirect")
        )),
        "{}",
        ran.transcript()
    );
    assert!(
        !ran.stderr().contains("too many redirects"),
        "{}",
        ran.transcript()
    );
    assert_eq!(listing(&out), before, "{}", ran.transcript());

    // A file name with `../`, in JSON and percent-encoded in an href: skipped, named.
    for project in ["evil", "evilhtml"] {
        let (ran, _) = download(project);
        let ran = ran.exit_code(1);
        let stderr = ran.stderr();
        let name = format!("../{project}-1.0-py3-none-any.whl");
        assert!(
            stderr.contains(&format!(
                "warning: the index offered an unsafe file name for `{project}`, `{name}` (not a plain file name): skipped\n"
            )),
            "{}",
            ran.transcript()
        );
        assert!(
            stderr.contains(&format!(
                "hint: the index offered only an unsafe file name (`{name}`)"
            )),
            "{}",
            ran.transcript()
        );
        assert!(
            !stderr.contains("only source distributions"),
            "{}",
            ran.transcript()
        );
        assert_eq!(listing(&out), before, "{}", ran.transcript());
        assert!(
            !temp
                .path()
                .join(format!("{project}-1.0-py3-none-any.whl"))
                .exists()
        );
    }
}

/// Issue 18 §2 ("`download` has its own resolver … no backtracking"): `app` needs `lib<2`
/// and `tool`; the newest `tool` (2.0) needs `lib>=2`, `tool 1.0` needs `lib<2`. The old
/// per-name resolver took the newest of each name (app 2.0, tool 2.0) and stopped with "no
/// wheel of `lib` satisfies `lib<2, lib>=2`"; the one resolver backtracks to tool 1.0, the set
/// `pip download` (pip 26) saves from the same index.
#[test]
fn regression_download_backtracks_like_pip() {
    let Some(python) = test_python() else { return };
    let Some(peers) = std::env::var_os("WHARF_TEST_CURRENT_PEERS") else {
        assert!(
            std::env::var_os("WHARF_TEST_REQUIRE_PEERS").is_none(),
            "WHARF_TEST_CURRENT_PEERS is not set"
        );
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let wheels = [
        (
            WheelBuilder::new("app", "2.0", true, &["lib<2", "tool"]),
            "app-2.0-py3-none-any.whl",
        ),
        (
            WheelBuilder::new("tool", "2.0", true, &["lib>=2"]),
            "tool-2.0-py3-none-any.whl",
        ),
        (
            WheelBuilder::new("tool", "1.0", true, &["lib<2"]),
            "tool-1.0-py3-none-any.whl",
        ),
        (
            WheelBuilder::new("lib", "2.0", true, &[]),
            "lib-2.0-py3-none-any.whl",
        ),
        (
            WheelBuilder::new("lib", "1.0", true, &[]),
            "lib-1.0-py3-none-any.whl",
        ),
    ];
    let builders: Vec<WheelBuilder> = wheels.iter().map(|(w, _)| w.clone()).collect();
    let names: Vec<&str> = wheels.iter().map(|(_, n)| *n).collect();
    write_index(&temp.path().join("www"), &builders, &names, None);
    let server = Server::start(&python, &temp.path().join("www"));
    let index = server.url("simple");
    let expected = BTreeSet::from([
        "app-2.0-py3-none-any.whl".to_string(),
        "lib-1.0-py3-none-any.whl".to_string(),
        "tool-1.0-py3-none-any.whl".to_string(),
    ]);

    let ours = temp.path().join("wharf");
    let ran = run(wharf()
        .args(["download", "app", "--python"])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&ours))
    .success();
    assert_eq!(listing(&ours), expected, "{}", ran.transcript());

    // The same target given as pip describes one (`--python-version`, `--only-binary`).
    let other = temp.path().join("wharf-target");
    let ran = run(wharf()
        .args([
            "download",
            "app",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            "--python",
        ])
        .arg(&python)
        .args(["-i", &index, "-d"])
        .arg(&other))
    .success();
    assert_eq!(listing(&other), expected, "{}", ran.transcript());

    let theirs = temp.path().join("pip");
    let ran = run(command(Path::new(&peers).join("python"))
        .args([
            "-m",
            "pip",
            "download",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--only-binary",
            ":all:",
            "app",
            "-i",
            &index,
            "-d",
        ])
        .arg(&theirs))
    .success();
    assert_eq!(listing(&theirs), expected, "{}", ran.transcript());
}

/// pip's rule: a target other than the interpreter's (`--platform`, `--python-version`,
/// `--abi`, `--implementation`) needs `--only-binary :all:` or `--no-deps` (exit 2, a hint).
#[test]
fn err_other_target_without_only_binary() {
    let Some(python) = test_python() else { return };
    let temp = tempfile::tempdir().unwrap();
    let ran = run(wharf()
        .args([
            "download",
            "alpha",
            "--platform",
            "manylinux_2_17_x86_64",
            "--python",
        ])
        .arg(&python)
        .args(["-i", "http://127.0.0.1:9/simple", "-d"])
        .arg(temp.path().join("out")))
    .exit_code(2);
    assert!(
        ran.stderr()
            .contains("needs --only-binary :all: or --no-deps (pip's rule)")
            && ran.stderr().contains("hint: add `--only-binary :all:`"),
        "{}",
        ran.transcript()
    );
    let ran = run(wharf()
        .args([
            "download",
            "alpha",
            "--implementation",
            "pp",
            "--no-deps",
            "--python",
        ])
        .arg(&python)
        .args(["-i", "http://127.0.0.1:9/simple", "-d"])
        .arg(temp.path().join("out")))
    .exit_code(2);
    assert!(
        ran.stderr()
            .contains("--implementation `pp` is not supported"),
        "{}",
        ran.transcript()
    );
    assert!(!temp.path().join("out").exists());
}
