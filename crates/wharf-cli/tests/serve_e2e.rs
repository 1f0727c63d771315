//! End to end: `wharf serve` over the real-wheel site fixture (`support/sci.rs`), used by the
//! real clients: pip 24.2 and uv 0.9.5 install, download and compile from it; the HTTP
//! contract (PEP 503/691/658/700, redirects, ETag, Range, the policy filter, traversal and
//! slow-client refusals, the request log, SIGTERM) is checked with a raw HTTP/1.1 client.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`). Every process gets an explicit
//! environment (the machine's `PIP_*`, `UV_*` and `VIRTUAL_ENV` never leak in).

#[path = "support/sci.rs"]
mod sci;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sci::{Peers, command, peers, run};
use sha2::Digest as _;

/// A running `wharf serve`, killed on drop; its stderr collected.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(mut wharf: std::process::Command, args: &[&str]) -> Self {
        let mut child = wharf
            .arg("serve")
            .args(["--bind", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wharf runs");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                    let port: u16 = rest.split('/').next().unwrap().parse().unwrap();
                    let _ = sender.send(port);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let port = receiver
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("server did not start:\n{}", log.lock().unwrap()));
        Server { child, port, log }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The log once it contains `needle` (lines are written after the response is sent).
    fn log_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        http(self.port, "GET", path, headers)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read to the end.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head: {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes))
}

const PIP_JSON_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

fn temp_cache(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// uv 0.9.5 from the test venv, with a private cache and no user config.
fn uv(peers: &Peers, cache: &Path) -> std::process::Command {
    let mut uv = command(peers.test_python.parent().unwrap().join("uv"));
    uv.env("UV_CACHE_DIR", cache)
        .env("UV_NO_CONFIG", "1")
        .env("UV_PYTHON_DOWNLOADS", "never");
    uv
}

const IMPORT: &str = "import numpy, pandas; import importlib.metadata as m; print(m.version('numpy'), m.version('pandas')); assert pandas.DataFrame({'a': numpy.arange(3)}).a.sum() == 3";

#[test]
fn pip_and_uv_install_download_and_compile_from_the_served_wheelhouse() {
    let Some(peers) = peers() else { return };
    let server = Server::start(
        peers.wharf_with_cache(&temp_cache("serve-clients-cache")),
        &[],
    );
    let index = format!("{}/simple/", server.url());
    let work = tempfile::tempdir().unwrap();

    // pip: install into a fresh venv, then import.
    let pip_venv = work.path().join("pip-env");
    run(command(&peers.base_python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&pip_venv))
    .success();
    run(peers
        .pip(&pip_venv)
        .args(["install", "--index-url", &index, "numpy", "pandas"]))
    .success();
    let imported = run(command(pip_venv.join("bin/python")).args(["-c", IMPORT])).success();
    assert_eq!(
        imported.stdout().trim(),
        "1.26.4+computecanada 2.2.2+computecanada"
    );

    // uv: the same, and it must not get the manylinux numpy 2.0.2 the site's policy refuses
    // (uv ignores `_manylinux`; the server does not list it).
    let uv_cache = work.path().join("uv-cache");
    let uv_venv = work.path().join("uv-env");
    run(command(&peers.base_python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&uv_venv))
    .success();
    run(uv(peers, &uv_cache)
        .args(["pip", "install", "--python"])
        .arg(uv_venv.join("bin/python"))
        .args(["--index-url", &index, "numpy", "pandas"]))
    .success();
    let imported = run(command(uv_venv.join("bin/python")).args(["-c", IMPORT])).success();
    assert_eq!(
        imported.stdout().trim(),
        "1.26.4+computecanada 2.2.2+computecanada"
    );

    // pip download.
    let downloads = work.path().join("downloads");
    run(peers
        .pip(&pip_venv)
        .args(["download", "--no-deps", "--index-url", &index, "-d"])
        .arg(&downloads)
        .arg("numpy"))
    .success();
    let names: Vec<String> = std::fs::read_dir(&downloads)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"]
    );

    // uv pip compile.
    let input = work.path().join("requirements.in");
    std::fs::write(&input, "pandas\n").unwrap();
    let compiled = run(uv(peers, &uv_cache)
        .args([
            "pip",
            "compile",
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-unknown-linux-gnu",
            "--no-header",
            "--index-url",
            &index,
        ])
        .arg(&input))
    .success();
    let lock = compiled.stdout();
    assert!(
        lock.contains("numpy==1.26.4+computecanada"),
        "{}",
        compiled.transcript()
    );
    assert!(
        lock.contains("pandas==2.2.2+computecanada"),
        "{}",
        compiled.transcript()
    );

    let log = server.log();
    assert!(
        !log.contains("numpy-2.0.2"),
        "the refused wheel was requested:\n{log}"
    );
    let log = server.log_with("GET /simple/numpy/ 200");
    assert!(log.contains("GET /simple/numpy/ 200"), "{log}");
}

#[test]
fn simple_api_contract_hashes_metadata_ranges_and_policy() {
    let Some(peers) = peers() else { return };
    let cache = temp_cache("serve-contract-cache");
    let server = Server::start(peers.wharf_with_cache(&cache), &[]);

    // Index: HTML by default, JSON on request, 406 for nothing acceptable.
    let index = server.get("/simple/", &[]);
    assert_eq!(index.status, 200);
    assert!(
        index
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(index.text().contains("<a href=\"numpy/\">numpy</a>"));
    let json = server.get("/simple/", &[("Accept", PIP_JSON_ACCEPT)]);
    assert_eq!(
        json.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    assert_eq!(json.json()["meta"]["api-version"], "1.1");
    assert_eq!(
        server
            .get("/simple/", &[("Accept", "application/json")])
            .status,
        406
    );

    // Normalization: other spellings redirect.
    for (path, location) in [
        ("/simple/NumPy/", "/simple/numpy/"),
        ("/simple/numpy", "/simple/numpy/"),
        ("/simple/Python_DateUtil/", "/simple/python-dateutil/"),
        ("/simple", "/simple/"),
    ] {
        let response = server.get(path, &[]);
        assert_eq!(
            (response.status, response.header("location")),
            (301, Some(location)),
            "{path}"
        );
    }
    assert_eq!(server.get("/simple/no-such-project/", &[]).status, 404);

    // Project page: the policy hides manylinux numpy 2.0.2; hashes, metadata, PEP 700 fields.
    let numpy = server
        .get("/simple/numpy/", &[("Accept", PIP_JSON_ACCEPT)])
        .json();
    let files = numpy["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{numpy}");
    assert_eq!(
        numpy["versions"],
        serde_json::json!(["1.26.4+computecanada"])
    );
    let file = &files[0];
    assert_eq!(
        file["filename"],
        "numpy-1.26.4+computecanada-cp311-cp311-linux_x86_64.whl"
    );
    assert_eq!(file["requires-python"], ">=3.9");
    let on_disk = std::fs::read(peers.wheel("numpy-1.26.4+")).unwrap();
    assert_eq!(file["hashes"]["sha256"], sha256_hex(&on_disk));
    assert_eq!(file["size"], on_disk.len());
    assert!(file["upload-time"].as_str().unwrap().ends_with('Z'));
    let url = file["url"].as_str().unwrap();
    let metadata = server.get(&format!("{url}.metadata"), &[]);
    assert_eq!(metadata.status, 200);
    assert!(metadata.text().starts_with("Metadata-Version:"));
    assert_eq!(file["core-metadata"]["sha256"], sha256_hex(&metadata.body));
    let html = server.get("/simple/numpy/", &[]).text();
    assert!(html.contains("data-requires-python=\"&gt;=3.9\""), "{html}");
    assert!(html.contains(&format!(
        "data-core-metadata=\"sha256={}\"",
        sha256_hex(&metadata.body)
    )));
    assert!(html.contains(&format!("#sha256={}", sha256_hex(&on_disk))));
    // The hashes are kept next to the catalogue index, for wheels that had settled (last
    // changed 2 s or more before they were hashed; a fresh copy is hashed again next time).
    let wheel_metadata = std::fs::metadata(peers.wheel("numpy-1.26.4+")).unwrap();
    let settled = wheel_metadata.modified().unwrap().elapsed().unwrap() > Duration::from_secs(3)
        && std::os::unix::fs::MetadataExt::ctime(&wheel_metadata)
            < i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap()
                - 3;
    if settled {
        let hashes = std::fs::read_to_string(cache.join("catalogue-v1/hashes-v2")).unwrap();
        assert!(hashes.contains(&sha256_hex(&on_disk)));
    }

    // Downloads: whole, ETag revalidation, ranges.
    let whole = server.get(url, &[]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, on_disk);
    assert_eq!(
        whole.header("content-length"),
        Some(on_disk.len().to_string().as_str())
    );
    assert!(whole.header("last-modified").is_some());
    let etag = whole.header("etag").unwrap().to_string();
    assert_eq!(server.get(url, &[("If-None-Match", &etag)]).status, 304);
    let tail = server.get(url, &[("Range", "bytes=-22")]);
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, on_disk[on_disk.len() - 22..]);
    assert_eq!(
        tail.header("content-range"),
        Some(
            format!(
                "bytes {}-{}/{}",
                on_disk.len() - 22,
                on_disk.len() - 1,
                on_disk.len()
            )
            .as_str()
        )
    );
    let part = server.get(url, &[("Range", "bytes=0-3")]);
    assert_eq!(
        (part.status, part.body.as_slice()),
        (206, b"PK\x03\x04".as_slice())
    );
    assert_eq!(
        server.get(url, &[("Range", "bytes=999999999-")]).status,
        416
    );
    let head = http(server.port, "HEAD", url, &[]);
    assert_eq!((head.status, head.body.len()), (200, 0));
    assert_eq!(
        head.header("content-length"),
        Some(on_disk.len().to_string().as_str())
    );

    // The refused wheel is not served either; with --allow-manylinux it is listed.
    assert_eq!(
        server
            .get(
                "/files/2/numpy-2.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                &[]
            )
            .status,
        404
    );
    let allowing = Server::start(peers.wharf_with_cache(&cache), &["--allow-manylinux"]);
    let numpy = allowing
        .get("/simple/numpy/", &[("Accept", PIP_JSON_ACCEPT)])
        .json();
    assert_eq!(numpy["files"].as_array().unwrap().len(), 2, "{numpy}");
}

/// A private site: one find-links directory with a copy of one wheel, for the tests that
/// change the wheelhouse or plant symlinks.
fn private_site(peers: &Peers, root: &Path) -> std::process::Command {
    let wheels = root.join("wh/generic");
    std::fs::create_dir_all(&wheels).unwrap();
    let six = peers.wheel("six-1.16.0+");
    std::fs::copy(&six, wheels.join(six.file_name().unwrap())).unwrap();
    let config = root.join("pip.conf");
    std::fs::write(
        &config,
        format!("[wheel]\nfind-links = {}\n", wheels.display()),
    )
    .unwrap();
    let mut wharf = command(env!("CARGO_BIN_EXE_wharf"));
    wharf
        .env("PIP_CONFIG_FILE", &config)
        .env("WHARF_CACHE_DIR", root.join("cache"))
        .env("NO_COLOR", "1");
    wharf
}

#[test]
fn new_wheels_appear_without_a_restart() {
    let Some(peers) = peers() else { return };
    let root = tempfile::tempdir().unwrap();
    let server = Server::start(private_site(peers, root.path()), &[]);
    assert!(!server.get("/simple/", &[]).text().contains("joblib"));
    let joblib = peers.wheel("joblib-");
    std::fs::copy(
        &joblib,
        root.path()
            .join("wh/generic")
            .join(joblib.file_name().unwrap()),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.get("/simple/", &[]).text().contains("joblib/") {
        assert!(
            Instant::now() < deadline,
            "joblib never appeared:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.get("/simple/joblib/", &[]).status, 200);
    assert!(
        server
            .log_with("the wheelhouse changed")
            .contains("the wheelhouse changed")
    );
}

#[test]
fn traversal_symlinks_oversized_and_slow_requests_are_refused() {
    let Some(peers) = peers() else { return };
    let root = tempfile::tempdir().unwrap();
    let wharf = private_site(peers, root.path());
    // A wheel-named symlink to a file outside the wheelhouse.
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.whl"), "secret").unwrap();
    std::os::unix::fs::symlink(
        outside.join("secret.whl"),
        root.path().join("wh/generic/evil-1.0-py3-none-any.whl"),
    )
    .unwrap();
    // And one beside a real wheel of its project.
    std::os::unix::fs::symlink(
        outside.join("secret.whl"),
        root.path().join("wh/generic/six-0.9-py2.py3-none-any.whl"),
    )
    .unwrap();
    let server = Server::start(wharf, &["--header-timeout", "1"]);

    for path in [
        "/files/../../../../etc/passwd",
        "/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/files/0/..%2f..%2fpip.conf",
        "/files/0/%2e%2e/%2e%2e/pip.conf",
        "/files//etc/passwd",
        "/files/0//etc/passwd",
        "/files/0/%2Fetc%2Fpasswd",
        "//etc/passwd",
        "/simple/../../etc/passwd",
        "/files/0/evil-1.0-py3-none-any.whl",
        "/files/0/evil-1.0-py3-none-any.whl.metadata",
    ] {
        let response = server.get(path, &[]);
        assert!(matches!(response.status, 400 | 404), "{path}: {response:?}");
        assert!(
            !response.text().contains("root:") && !response.text().contains("secret"),
            "{path}"
        );
    }
    // A project whose only file is refused is not listed; a refused file is not on its
    // project's page (HTML or JSON); the server said why when it started.
    for accept in ["text/html", PIP_JSON_ACCEPT] {
        let index = server.get("/simple/", &[("Accept", accept)]).text();
        assert!(!index.contains("evil"), "{accept}: {index}");
        assert!(index.contains("six"), "{accept}: {index}");
        let six = server.get("/simple/six/", &[("Accept", accept)]);
        assert_eq!(six.status, 200);
        assert!(
            !six.text().contains("six-0.9") && six.text().contains("six-1.16.0"),
            "{accept}: {}",
            six.text()
        );
    }
    assert_eq!(server.get("/simple/evil/", &[]).status, 404);
    let six = server
        .get("/simple/six/", &[("Accept", PIP_JSON_ACCEPT)])
        .json();
    assert_eq!(six["files"].as_array().unwrap().len(), 1, "{six}");
    assert_eq!(
        six["versions"],
        serde_json::json!(["1.16.0+computecanada"]),
        "{six}"
    );
    assert!(
        server
            .log_with("evil-1.0-py3-none-any.whl")
            .contains("is a symbolic link that leaves the find-links directories: not served"),
        "{}",
        server.log()
    );

    // Oversized request line and headers.
    let long = format!("/simple/{}/", "a".repeat(20_000));
    let status = http(server.port, "GET", &long, &[]).status;
    assert!(matches!(status, 414 | 431), "{status}");
    let status = http(
        server.port,
        "GET",
        &format!("/simple/{}/", "a".repeat(5000)),
        &[],
    )
    .status;
    assert_eq!(status, 414);
    let big = "x".repeat(40_000);
    assert_eq!(server.get("/simple/", &[("X-Big", &big)]).status, 431);

    // A slow client (headers never finished) is disconnected; others are served meanwhile.
    let mut slow = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    slow.write_all(b"GET /simple/ HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let started = Instant::now();
    assert_eq!(server.get("/simple/six/", &[]).status, 200);
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "slow client kept for {waited:?}"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
    assert_eq!(server.get("/simple/", &[]).status, 200);
}

#[test]
fn request_log_json_and_graceful_shutdown() {
    let Some(peers) = peers() else { return };
    let root = tempfile::tempdir().unwrap();
    let mut server = Server::start(private_site(peers, root.path()), &["--json-log"]);
    assert_eq!(server.get("/simple/six/", &[]).status, 200);
    let log = server.log_with("\"/simple/six/\"");
    let line = log
        .lines()
        .find(|l| l.starts_with('{') && l.contains("/simple/six/"))
        .unwrap_or_else(|| panic!("no JSON log line:\n{log}"));
    let entry: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["status"], 200);
    assert!(entry["bytes"].as_u64().unwrap() > 100, "{entry}");
    assert!(entry["ms"].is_number());

    run(command("kill").args(["-TERM", &server.child.id().to_string()])).success();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
    let log = server.log_with("stopped");
    assert!(log.contains("SIGTERM: shutting down"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

/// Headless Chromium, if installed (`apt-get install -y chromium`).
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        });
    if found.is_none() {
        wharf_test_support::skip(
            "no chromium on PATH (apt-get install -y chromium; scripts/test.sh installs it as root)",
        );
    }
    found
}

fn chromium_command(binary: &Path, profile: &Path) -> std::process::Command {
    let mut chromium = command(binary);
    chromium
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
    chromium
}

/// A minimal Chrome DevTools Protocol client over one WebSocket (RFC 6455, text frames).
struct DevTools {
    stream: TcpStream,
    next_id: u64,
}

impl DevTools {
    fn connect(ws_url: &str) -> Self {
        let rest = ws_url.strip_prefix("ws://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut stream = TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            stream.read_exact(&mut byte).unwrap();
            head.push(byte[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        DevTools { stream, next_id: 0 }
    }

    fn send(&mut self, text: &str) {
        let payload = text.as_bytes();
        let mut frame = vec![0x81u8];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | u8::try_from(n).unwrap()),
            n if n < 65536 => {
                frame.push(0x80 | 0x7e);
                frame.extend_from_slice(&u16::try_from(n).unwrap().to_be_bytes());
            }
            n => {
                frame.push(0x80 | 0x7f);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    fn receive(&mut self) -> String {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head).unwrap();
            let mut length = u64::from(head[1] & 0x7f);
            if length == 126 {
                let mut extended = [0u8; 2];
                self.stream.read_exact(&mut extended).unwrap();
                length = u64::from(u16::from_be_bytes(extended));
            } else if length == 127 {
                let mut extended = [0u8; 8];
                self.stream.read_exact(&mut extended).unwrap();
                length = u64::from_be_bytes(extended);
            }
            let mut payload = vec![0u8; usize::try_from(length).unwrap()];
            self.stream.read_exact(&mut payload).unwrap();
            message.extend_from_slice(&payload);
            if head[0] & 0x80 != 0 {
                return String::from_utf8(message).unwrap();
            }
        }
    }

    #[allow(clippy::needless_pass_by_value)] // call sites read better with `json!(…)`
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let message = self.call_raw(method, &params);
        assert!(message.get("error").is_none(), "{method}: {message}");
        message["result"].clone()
    }

    /// The whole answer, error included.
    fn call_raw(&mut self, method: &str, params: &serde_json::Value) -> serde_json::Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&serde_json::json!({"id": id, "method": method, "params": params}).to_string());
        loop {
            let message: serde_json::Value = serde_json::from_str(&self.receive()).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    }

    fn evaluate(&mut self, expression: &str) -> serde_json::Value {
        let result = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it equals `expected` (10 s at most).
    fn wait_for(&mut self, expression: &str, expected: &serde_json::Value) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let value = self.evaluate(expression);
            if &value == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{expression}` is {value}, expected {expected}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A child process killed on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const ROW_NAMES: &str =
    "JSON.stringify([...document.querySelectorAll('#wheels tbody tr')].map(r => r.dataset.name))";

#[test]
fn page_in_headless_chromium_with_and_without_javascript() {
    let Some(peers) = peers() else { return };
    let Some(binary) = chromium() else { return };
    let server = Server::start(peers.wharf_with_cache(&temp_cache("serve-page-cache")), &[]);
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));

    // On a phone-sized screen.
    let profile = tempfile::tempdir().unwrap();
    let mut browser = chromium_command(&binary, profile.path())
        .arg("--remote-debugging-port=0")
        .arg("about:blank")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = browser.stderr.take().unwrap();
    let browser = Kill(browser);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("DevTools listening on ") {
                let _ = sender.send(url.to_string());
            }
        }
    });
    let browser_ws = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("DevTools started");
    let devtools_port: u16 = browser_ws
        .trim_start_matches("ws://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let target = http(devtools_port, "PUT", "/json/new?about:blank", &[]).json();
    let mut page = DevTools::connect(target["webSocketDebuggerUrl"].as_str().unwrap());
    page.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
    );

    // Without JavaScript (`Emulation.setScriptExecutionDisabled`; `--dump-dom` itself needs
    // scripts): the form is a plain GET and the server filters.
    page.call(
        "Emulation.setScriptExecutionDisabled",
        serde_json::json!({"value": true}),
    );
    page.call(
        "Page.navigate",
        serde_json::json!({"url": format!("{}/?q=%2Acdf%2A&versions=all", server.url())}),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let dom = loop {
        let document = page.call("DOM.getDocument", serde_json::json!({"depth": -1}));
        // The document may be replaced between the two calls (navigation): then try again.
        let html = page.call_raw(
            "DOM.getOuterHTML",
            &serde_json::json!({"nodeId": document["root"]["nodeId"]}),
        )["result"]["outerHTML"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if html.contains("</footer>") {
            break html;
        }
        assert!(
            Instant::now() < deadline,
            "no page without JavaScript: {html}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(dom.contains("Available Python wheels"), "{dom}");
    assert!(
        dom.contains("data-name=\"netcdf4\"") && dom.contains("1 wheel<"),
        "{dom}"
    );
    assert!(!dom.contains("data-name=\"numpy\""), "{dom}");
    assert!(!dom.contains("class=\" js\""), "scripts ran: {dom}");
    let shot = page.call(
        "Page.captureScreenshot",
        serde_json::json!({"format": "png"}),
    );
    let png = data_encoding::BASE64
        .decode(shot["data"].as_str().unwrap().as_bytes())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots.join("serve-page-nojs.png"), png).unwrap();
    page.call(
        "Emulation.setScriptExecutionDisabled",
        serde_json::json!({"value": false}),
    );

    // With JavaScript: typing filters in place.
    page.call(
        "Page.navigate",
        serde_json::json!({"url": format!("{}/", server.url())}),
    );
    page.wait_for(
        "document.readyState === 'complete' && !!document.getElementById('q') && document.documentElement.className.includes('js')",
        &serde_json::json!(true),
    );
    let initial: Vec<String> =
        serde_json::from_str(page.evaluate(ROW_NAMES).as_str().unwrap()).unwrap();
    assert!(
        initial.contains(&"numpy".to_string()) && initial.contains(&"pandas".to_string()),
        "{initial:?}"
    );

    page.evaluate("document.getElementById('q').focus()");
    page.call("Input.insertText", serde_json::json!({"text": "pan"}));
    page.wait_for(ROW_NAMES, &serde_json::json!("[\"pandas\"]"));
    assert_eq!(
        page.evaluate("location.search"),
        "?q=pan&python=&arch=&versions=latest"
    );
    let note = page.evaluate("document.querySelector('.note').textContent");
    assert!(note.as_str().unwrap().contains("starting with"), "{note}");

    page.evaluate("document.getElementById('q').select()");
    page.call("Input.insertText", serde_json::json!({"text": "*cdf*"}));
    page.wait_for(ROW_NAMES, &serde_json::json!("[\"netcdf4\"]"));
    // The row links to its project page and its file.
    let links = page.evaluate(
        "[...document.querySelectorAll('#wheels tbody tr:last-child a')].map(a => a.getAttribute('href')).join(' ')",
    );
    assert!(
        links
            .as_str()
            .unwrap()
            .starts_with("/simple/netcdf4/ /files/"),
        "{links}"
    );
    // Usable on a phone: the page does not scroll sideways (the table scrolls in its box).
    page.wait_for(
        "document.documentElement.scrollWidth <= window.innerWidth",
        &serde_json::json!(true),
    );
    let shot = page.call(
        "Page.captureScreenshot",
        serde_json::json!({"format": "png"}),
    );
    let png = data_encoding::BASE64
        .decode(shot["data"].as_str().unwrap().as_bytes())
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    std::fs::write(shots.join("serve-page.png"), png).unwrap();
    drop(browser);
    let log = server.log_with("fragment=1");
    assert!(log.contains("GET /?q=pan"), "{log}");
}
