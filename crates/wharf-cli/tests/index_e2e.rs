//! End to end (issue 18 §2): `wharf install -i` and `wharf lock -i` from a package index
//! instead of the wheelhouse, through the same resolver: from a `wharf serve` (PEP 691 JSON,
//! PEP 658 metadata) and from a plain `python -m http.server` over a PEP 503 tree (HTML,
//! `#sha256=` fragments, no metadata files). The site's policy applies to an index's wheels as
//! to the wheelhouse's (the fixture's manylinux numpy 2.0.2 is refused). A lock made from an
//! index records `url` and `sha256`, and `wharf venv --from` syncs it on a machine whose cache
//! is empty; a real CPython imports what was installed. Offline: a lock made again with
//! `--offline`, and with the index gone, from the page cache.
//!
//! Needs `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`); without it each test says so
//! and returns (and fails under `WHARF_TEST_REQUIRE_PEERS`). Every process gets an explicit
//! environment: no `PIP_CONFIG_FILE`, `PIP_FIND_LINKS` or `PIP_INDEX_URL` of the machine.

#[path = "support/sci.rs"]
mod sci;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use sci::{LAYERS, Peers, command, peers, run};
use sha2::Digest as _;

const IMPORT: &str = "import numpy, pandas; import importlib.metadata as m; print(m.version('numpy'), m.version('pandas')); assert pandas.DataFrame({'a': numpy.arange(3)}).a.sum() == 3";

fn peers_or_skip(test: &str) -> Option<&'static Peers> {
    let found = peers();
    if found.is_none() {
        assert!(
            std::env::var_os("WHARF_TEST_REQUIRE_PEERS").is_none(),
            "{test}: WHARF_TEST_PYTHON is not set (eval \"$(scripts/test-env.sh)\")"
        );
        eprintln!("SKIPPED {test}: WHARF_TEST_PYTHON is not set (eval \"$(scripts/test-env.sh)\")");
    }
    found
}

/// A server process (killed on drop) and its base URL.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and reads its port from the first line of `stream` that contains `marker`
/// followed by the port.
fn start(mut command: std::process::Command, marker: &str, stderr: bool) -> (Child, u16) {
    let mut child = if stderr {
        command.stdout(Stdio::null()).stderr(Stdio::piped())
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::null())
    }
    .spawn()
    .expect("the server runs");
    let stream: Box<dyn std::io::Read + Send> = if stderr {
        Box::new(child.stderr.take().unwrap())
    } else {
        Box::new(child.stdout.take().unwrap())
    };
    let (sender, receiver) = std::sync::mpsc::channel();
    let marker = marker.to_string();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.split(&marker).nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(port) = digits.parse::<u16>() {
                    let _ = sender.send(port);
                }
            }
        }
    });
    let port = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("the server announced its port");
    (child, port)
}

/// `wharf serve` over the fixture's wheelhouse (the site's policy applied).
fn wharf_serve(peers: &Peers, cache: &Path) -> Server {
    let mut wharf = peers.wharf_with_cache(cache);
    wharf.args(["serve", "--bind", "127.0.0.1:0"]);
    let (child, port) = start(wharf, "listening on http://127.0.0.1:", true);
    Server {
        child,
        url: format!("http://127.0.0.1:{port}/simple/"),
    }
}

/// A PEP 503 tree of every wheel of the fixture's layers (`simple/{name}/index.html`, anchors
/// with `#sha256=`, the files under `files/`), served by `python -m http.server`.
fn http_server(peers: &Peers, root: &Path) -> Server {
    let files = root.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let mut projects = std::collections::BTreeMap::<String, Vec<String>>::new();
    for layer in LAYERS {
        for entry in std::fs::read_dir(peers.layer(layer)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".whl") || files.join(&name).exists() {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(files.join(&name), &bytes).unwrap();
            let sha256 = data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(&bytes));
            let project = name
                .split('-')
                .next()
                .unwrap()
                .to_ascii_lowercase()
                .replace(['_', '.'], "-");
            projects.entry(project).or_default().push(format!(
                "<a href=\"../../files/{}#sha256={sha256}\">{name}</a><br/>",
                name.replace('+', "%2B")
            ));
        }
    }
    for (project, anchors) in &projects {
        let dir = root.join("simple").join(project);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            format!(
                "<!DOCTYPE html>\n<html><body>\n{}\n</body></html>\n",
                anchors.join("\n")
            ),
        )
        .unwrap();
    }
    let mut python = command(&peers.base_python);
    python
        .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0", "-d"])
        .arg(root);
    let (child, port) = start(python, " port ", false);
    Server {
        child,
        url: format!("http://127.0.0.1:{port}/simple/"),
    }
}

/// wharf as a user off the cluster runs it: no pip config, no find-links, the site's policy
/// module on `PYTHONPATH` (the manylinux refusal is the site's, and must still apply), its
/// cache in `cache`, one retry.
fn wharf(peers: &Peers, cache: &Path) -> std::process::Command {
    let mut wharf = command(env!("CARGO_BIN_EXE_wharf"));
    wharf
        .env("PYTHONPATH", peers.pythonpath(&[]))
        .env("WHARF_CACHE_DIR", cache)
        .env("PIP_RETRIES", "0")
        .env("NO_COLOR", "1");
    wharf
}

fn import(venv: &Path) -> String {
    run(command(venv.join("bin/python")).args(["-c", IMPORT]))
        .success()
        .stdout()
        .trim()
        .to_string()
}

/// install, lock, sync the lock with an empty cache, and lock offline, from `server`.
fn install_lock_and_sync(peers: &Peers, server: &Server, work: &Path) -> PathBuf {
    let cache = work.join("cache");
    let venv = peers.new_venv(work);
    let installed = run(wharf(peers, &cache)
        .args(["install", "--python"])
        .arg(&venv)
        .args(["-i", &server.url, "pandas"]))
    .success();
    assert_eq!(
        import(&venv),
        "1.26.4+computecanada 2.2.2+computecanada",
        "{}",
        installed.transcript()
    );

    let lock = work.join("pylock.toml");
    let locked = run(wharf(peers, &cache)
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-i", &server.url, "pandas", "-o"])
        .arg(&lock))
    .success();
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains(&format!(
            "url = \"{}",
            server.url.trim_end_matches("simple/")
        )) && text.contains("sha256 = ")
            && text.contains("size = ")
            && !text.contains("path = "),
        "{}\n{text}",
        locked.transcript()
    );
    assert!(
        text.contains("numpy-1.26.4+computecanada")
            || text.contains("numpy-1.26.4%2Bcomputecanada"),
        "the policy's numpy:\n{text}"
    );
    assert!(!text.contains("numpy-2.0.2"), "manylinux refused:\n{text}");

    // Another machine: nothing cached; the wheels come from the lock's URLs.
    let other = work.join("other");
    let synced = run(wharf(peers, &work.join("other-cache"))
        .args(["venv"])
        .arg(&other)
        .arg("--python")
        .arg(&peers.base_python)
        .arg("--from")
        .arg(&lock))
    .success();
    assert_eq!(
        import(&other),
        "1.26.4+computecanada 2.2.2+computecanada",
        "{}",
        synced.transcript()
    );

    // Offline, from the pages (and metadata) the lock above cached: the same lock.
    let offline_lock = work.join("offline/pylock.toml");
    std::fs::create_dir_all(offline_lock.parent().unwrap()).unwrap();
    let offline = run(wharf(peers, &cache)
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-i", &server.url, "--offline", "pandas", "-o"])
        .arg(&offline_lock))
    .success();
    assert!(
        offline.stderr().contains("offline"),
        "{}",
        offline.transcript()
    );
    assert_eq!(std::fs::read_to_string(&offline_lock).unwrap(), text);
    cache
}

#[test]
fn install_and_lock_from_wharf_serve() {
    let Some(peers) = peers_or_skip("install_and_lock_from_wharf_serve") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let server = wharf_serve(peers, &work.path().join("serve-cache"));
    let cache = install_lock_and_sync(peers, &server, work.path());

    // The index gone: the cached pages are used, and said to be.
    let url = server.url.clone();
    drop(server);
    let lock = work.path().join("stale/pylock.toml");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let stale = run(wharf(peers, &cache)
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-i", &url, "pandas", "-o"])
        .arg(&lock))
    .success();
    assert!(
        stale.stderr().contains("may be out of date"),
        "{}",
        stale.transcript()
    );

    // Offline with nothing cached: exit 1, the page named, the fix.
    let missing = run(wharf(peers, &work.path().join("empty-cache"))
        .args(["lock", "--python"])
        .arg(&peers.base_python)
        .args(["-i", &url, "--offline", "six", "-o", "-"]))
    .exit_code(1);
    assert!(
        missing.stderr().contains("is not in the cache") && missing.stderr().contains("hint:"),
        "{}",
        missing.transcript()
    );
}

#[test]
fn install_and_lock_from_a_pep_503_tree_served_by_http_server() {
    let Some(peers) = peers_or_skip("install_and_lock_from_a_pep_503_tree_served_by_http_server")
    else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let server = http_server(peers, &work.path().join("tree"));
    install_lock_and_sync(peers, &server, work.path());
}
