//! Bytecode compilation (pip `--compile`): the staged `.py` files compiled by the
//! environment's interpreter, the `.pyc` files added to the records.

use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;

use super::plan::{InstallError, InstallOptions, cancelled};
use super::stage::StagedWheel;
use crate::layout::Layout;
use crate::record::{self, RecordEntry};

/// The program each compiler process runs: for each JSON line `[source, display directory]`
/// on stdin it compiles the file with `compileall.compile_file` as pip does and answers one
/// JSON line, the `.pyc` file name or `null` when compilation failed.
pub(super) const COMPILE_PROGRAM: &str = r#"
import compileall, importlib.util, json, os, sys, warnings
warnings.filterwarnings("ignore")
for line in sys.stdin:
    source, directory = json.loads(line)
    try:
        ok = compileall.compile_file(source, ddir=directory, force=True, quiet=2)
    except Exception:
        ok = False
    pyc = importlib.util.cache_from_source(source) if ok else None
    if pyc is not None and not os.path.exists(pyc):
        pyc = None
    sys.stdout.write(json.dumps(None if pyc is None else os.path.basename(pyc)) + "\n")
    sys.stdout.flush()
"#;

/// Compiled files: (wheel, file, `.pyc` name).
pub(super) type Compiled = Vec<(usize, usize, String)>;

/// Byte-compiles the staged `.py` files with `threads` interpreter processes fed one file at
/// a time (so the load balances), and adds the `.pyc` files to the records (pip `--compile`:
/// files that fail, such as Python 2 syntax, are skipped). The interpreter gets an empty
/// environment and `-I`.
pub(super) fn compile(
    staged: &mut [StagedWheel],
    layout: &Layout,
    options: &InstallOptions,
) -> Result<(), InstallError> {
    let files: Vec<(usize, usize)> = staged
        .iter()
        .enumerate()
        .flat_map(|(wheel, staged)| (0..staged.python_files.len()).map(move |file| (wheel, file)))
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let workers = options.threads.max(1).min(files.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let staged_ref: &[StagedWheel] = staged;
    let worker = || -> Result<Compiled, InstallError> {
        let compile_error = |source| InstallError::Compile {
            python: layout.python.clone(),
            source,
        };
        let mut child = Command::new(&layout.python)
            .args(["-I", "-c", COMPILE_PROGRAM])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(compile_error)?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let mut stdout = io::BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut compiled = Vec::new();
        let mut answer = String::new();
        let result = (|| -> Result<(), InstallError> {
            loop {
                if cancelled(options) {
                    return Err(InstallError::Cancelled);
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(wheel, file)) = files.get(index) else {
                    return Ok(());
                };
                let python_file = &staged_ref[wheel].python_files[file];
                let mut request = serde_json::to_string(&[
                    python_file.staged.to_string_lossy(),
                    python_file.target_dir.to_string_lossy(),
                ])
                .expect("strings serialize");
                request.push('\n');
                stdin
                    .write_all(request.as_bytes())
                    .and_then(|()| stdin.flush())
                    .map_err(compile_error)?;
                answer.clear();
                if io::BufRead::read_line(&mut stdout, &mut answer).map_err(compile_error)? == 0 {
                    return Err(compile_error(io::Error::other(
                        "the interpreter exited before compiling every file",
                    )));
                }
                if let Ok(Some(pyc)) = serde_json::from_str::<Option<String>>(&answer) {
                    compiled.push((wheel, file, pyc));
                }
            }
        })();
        drop(stdin);
        let status = child.wait().map_err(compile_error)?;
        result?;
        if !status.success() {
            return Err(compile_error(io::Error::other(format!(
                "the interpreter exited with {status}"
            ))));
        }
        Ok(compiled)
    };
    let results: Vec<Result<Compiled, InstallError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("compile worker panicked"))
            .collect()
    });
    for result in results {
        for (wheel, file, pyc) in result? {
            let python_file = &staged[wheel].python_files[file];
            let staged_pyc = python_file
                .staged
                .parent()
                .unwrap_or(Path::new(""))
                .join("__pycache__")
                .join(&pyc);
            let bytes = fs_err::read(&staged_pyc)?;
            let directory = python_file
                .record_path
                .rsplit_once('/')
                .map_or("", |(directory, _)| directory);
            let path = if directory.is_empty() {
                format!("__pycache__/{pyc}")
            } else {
                format!("{directory}/__pycache__/{pyc}")
            };
            let entry = RecordEntry {
                path,
                hash: Some(record::hash_bytes(&bytes)),
                size: Some(bytes.len() as u64),
            };
            staged[wheel].records.push(entry);
        }
    }
    Ok(())
}
