//! `wharf venv --per-node --from LOCK [DIR]`: the same environment on every node of a Slurm
//! allocation, each on its node-local disk (the site's `$SLURM_TMPDIR` + `srun` recipe as one
//! command).
//!
//! The parent (run once, in the batch script or an `salloc` shell) starts one task per node,
//! `srun --ntasks=$SLURM_NNODES --ntasks-per-node=1 <this wharf> venv DIR --from LOCK
//! --per-node-report`; each task expands `$VAR`s in DIR with its own node's environment
//! (`$SLURM_TMPDIR/env` by default), creates and syncs the environment as `wharf venv --from`
//! does (removed again if that fails), and prints one JSON line. The parent prints one line
//! per node, sorted by node, and fails naming every node that failed or never reported.
//!
//! Traps: `SLURM_TMPDIR` is one path string on every node of a real cluster, but the batch
//! shell has already expanded `$SLURM_TMPDIR/env` to the batch node's value; so a DIR under
//! the parent's `$SLURM_TMPDIR` is passed on as `$SLURM_TMPDIR/…` and expanded again on each
//! node (on a one-host test cluster the nodes' values differ). A DIR with no variable and not
//! under `$SLURM_TMPDIR` is the same path everywhere: on a shared filesystem the nodes would
//! write one directory, so that is refused.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use wharf_env::{Env, EnvVars};
use wharf_environment::Diagnostic;
use wharf_python::PythonEnv;
use wharf_site::SiteEnv;

use crate::commands::venv::{VenvArgs, create};
use crate::commands::write_stdout;
use crate::error::Error;
use crate::{ExitStatus, Printer};

/// DIR when none is given: on each node, its own node-local scratch.
pub const DEFAULT_DIR: &str = "$SLURM_TMPDIR/env";

/// The allocation this process runs in (from `SLURM_*` variables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmJob {
    /// `SLURM_JOB_ID`.
    pub job_id: String,
    /// `SLURM_NNODES` (1 when unset or unreadable).
    pub nnodes: usize,
    /// `SLURM_JOB_NODELIST`, expanded (`n[1-2]` ▸ `n1`, `n2`); empty when unset.
    pub nodes: Vec<String>,
    /// `SLURM_TMPDIR` of this node.
    pub tmpdir: Option<PathBuf>,
}

impl SlurmJob {
    /// The allocation, `None` outside one (`SLURM_JOB_ID` unset).
    pub fn from_env(env: &Env) -> Option<Self> {
        let job_id = env.get(EnvVars::SLURM_JOB_ID)?;
        let nodes = env
            .get(EnvVars::SLURM_JOB_NODELIST)
            .map(|list| expand_hostlist(&list))
            .unwrap_or_default();
        let nnodes = env
            .get(EnvVars::SLURM_NNODES)
            .and_then(|n| n.trim().parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(nodes.len().max(1));
        Some(Self {
            job_id,
            nnodes,
            nodes,
            tmpdir: env.path(EnvVars::SLURM_TMPDIR),
        })
    }
}

/// One node's result: the JSON line a task prints, and what the parent reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeReport {
    /// `SLURMD_NODENAME` of the task.
    pub node: String,
    /// The environment's path there (DIR expanded on that node).
    pub path: String,
    /// Wall time of the creation on that node.
    pub seconds: f64,
    /// Packages the lock installed.
    pub packages: usize,
    /// Why it failed (with its causes), `None` when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure's fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `wharf venv --per-node`: start one task per node and report them.
pub fn per_node(args: &VenvArgs, site: &SiteEnv, printer: Printer) -> Result<ExitStatus, Error> {
    let Some(job) = SlurmJob::from_env(&site.vars) else {
        return Err(Error::usage(
            "`--per-node` creates one environment on each node of a Slurm allocation, and this is not one (SLURM_JOB_ID is not set)",
            Some(
                "run it inside a job: `salloc -N2 …`, or in an sbatch script (`#SBATCH --nodes=2`); on one machine, `wharf venv DIR --from LOCK`"
                    .to_string(),
            ),
        ));
    };
    let Some(lock) = &args.from else {
        return Err(Error::usage("`--per-node` needs `--from LOCK`", None));
    };
    // Once here rather than once per node: a lock that cannot be read starts no task.
    crate::commands::sync::read_toml_lock(lock)?;
    let dir = node_dir(args.path.as_deref(), job.tmpdir.as_deref())?;
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let exe = std::env::current_exe()
        .map_err(|e| Error::new(e, Some("run wharf by its path".into()), ExitStatus::Error))?;

    let mut srun = Command::new("srun");
    srun.arg(format!("--ntasks={}", job.nnodes))
        .arg("--ntasks-per-node=1")
        .arg(format!("--nodes={}", job.nnodes))
        .arg("--kill-on-bad-exit=0")
        .arg("--export=ALL")
        .arg(&exe)
        .arg("venv")
        .arg(&dir)
        .arg("--from")
        .arg(absolute(lock))
        .arg("--per-node-report");
    if let Some(python) = &args.python {
        srun.arg("--python").arg(python);
    }
    for find_links in &args.find_links {
        srun.arg("--find-links").arg(absolute(find_links));
    }
    for (flag, on) in [
        ("--no-cache", args.no_cache),
        ("--seed", args.seed),
        ("--system-site-packages", args.system_site_packages),
        ("--clear", args.clear),
    ] {
        if on {
            srun.arg(flag);
        }
    }
    if let Some(prompt) = &args.prompt {
        srun.arg("--prompt").arg(prompt);
    }
    for extra in &args.extras {
        srun.arg("--extra").arg(extra);
    }
    for group in &args.groups {
        srun.arg("--group").arg(group);
    }
    printer.info(format_args!(
        "Creating {} on {} node{} of job {} (srun, one task per node)",
        dir.to_string_lossy(),
        job.nnodes,
        if job.nnodes == 1 { "" } else { "s" },
        job.job_id
    ));
    printer.verbose(format_args!("{srun:?}"));
    let output = srun
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Error::new(
                SrunError(e),
                Some("`srun` must be on PATH (`module load slurm` on some sites)".into()),
                ExitStatus::Error,
            )
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut reports: Vec<NodeReport> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    reports.sort_by_key(|r| natural_key(&r.node));
    let srun_stderr = String::from_utf8_lossy(&output.stderr);
    for line in srun_stderr.lines() {
        printer.verbose(line);
    }

    write_stdout(table(&reports).as_bytes());
    let failed: Vec<&NodeReport> = reports.iter().filter(|r| r.error.is_some()).collect();
    let missing: Vec<&String> = job
        .nodes
        .iter()
        .filter(|node| !reports.iter().any(|r| &r.node == *node))
        .collect();
    let unreported = job.nnodes.saturating_sub(reports.len());
    if failed.is_empty() && unreported == 0 {
        printer.info(format_args!(
            "Activate on each node with: source {}/bin/activate",
            dir.to_string_lossy()
        ));
        return Ok(ExitStatus::Success);
    }
    let mut names: Vec<String> = failed.iter().map(|r| r.node.clone()).collect();
    names.extend(missing.iter().map(|n| (*n).clone()));
    if names.is_empty() {
        names.push(format!("{unreported} unnamed"));
    }
    let mut error = Error::failure(
        format!(
            "the environment was not created on {} of {} nodes: {}",
            failed.len() + unreported,
            job.nnodes,
            names.join(", ")
        ),
        None,
    );
    for report in &failed {
        let mut line = format!(
            "{}: {}: {}",
            report.node,
            report.path,
            report.error.as_deref().unwrap_or_default()
        );
        if let Some(hint) = &report.hint {
            let _ = write!(line, " (hint: {hint})");
        }
        error.diagnostics.push(Diagnostic::Detail(line));
    }
    if unreported > 0 {
        let said: Vec<&str> = srun_stderr.lines().filter(|l| !l.is_empty()).collect();
        let mut line = format!(
            "{} reported nothing (srun exited with {})",
            if missing.is_empty() {
                format!("{unreported} node(s)")
            } else {
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            output.status
        );
        if !said.is_empty() {
            let _ = write!(line, ": {}", said.join(" | "));
        }
        error.diagnostics.push(Diagnostic::Detail(line));
    }
    error.hint = Some(
        "the other nodes' environments are complete; fix the cause and run the command again (finished nodes are synced in place)"
            .into(),
    );
    Err(error)
}

/// `srun` could not be started.
#[derive(Debug)]
struct SrunError(std::io::Error);

impl std::fmt::Display for SrunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("cannot run `srun`")
    }
}

impl std::error::Error for SrunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// The DIR each node gets: the default `$SLURM_TMPDIR/env`, a path under this node's
/// `$SLURM_TMPDIR` rewritten to `$SLURM_TMPDIR/…`, a DIR with `$VAR`s as given. A plain path
/// outside `$SLURM_TMPDIR` would be one directory written by every node: refused.
fn node_dir(path: Option<&Path>, tmpdir: Option<&Path>) -> Result<OsString, Error> {
    let Some(path) = path else {
        return Ok(DEFAULT_DIR.into());
    };
    let text = path.to_string_lossy();
    if text.contains('$') {
        return Ok(path.as_os_str().to_owned());
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(tmpdir) = tmpdir
        && let Ok(rest) = absolute.strip_prefix(std::path::absolute(tmpdir).unwrap_or_default())
    {
        let mut dir = OsString::from("$SLURM_TMPDIR");
        if !rest.as_os_str().is_empty() {
            dir.push("/");
            dir.push(rest.as_os_str());
        }
        return Ok(dir);
    }
    Err(Error::usage(
        format!(
            "`{}` is one path on every node: with `--per-node` each node needs its own directory",
            path.display()
        ),
        Some(
            "give a node-local DIR: `$SLURM_TMPDIR/env` (the default), or one with a variable each node expands, in single quotes: '/local/$SLURMD_NODENAME/env'"
                .into(),
        ),
    ))
}

/// One node's task (`--per-node-report`): create the environment, print one JSON line.
pub fn node_task(
    args: &VenvArgs,
    site: &SiteEnv,
    python_env: &PythonEnv,
    printer: Printer,
) -> ExitStatus {
    let start = Instant::now();
    let node = site
        .vars
        .get(EnvVars::SLURMD_NODENAME)
        .unwrap_or_else(|| "unknown-node".into());
    let template = args.path.as_ref().map_or_else(
        || DEFAULT_DIR.to_string(),
        |p| p.to_string_lossy().into_owned(),
    );
    let result = expand_vars(&template, &site.vars, &node)
        .and_then(|path| create(args, &path, site, python_env, printer));
    let (report, status) = match result {
        Ok(created) => (
            NodeReport {
                node,
                path: created.root.display().to_string(),
                seconds: start.elapsed().as_secs_f64(),
                packages: created.synced.map_or(0, |s| s.locked),
                error: None,
                hint: None,
            },
            created.status,
        ),
        Err(error) => {
            let path = expand_vars(&template, &site.vars, &node)
                .map(|p| std::path::absolute(&p).unwrap_or(p).display().to_string())
                .unwrap_or(template);
            (
                NodeReport {
                    node,
                    path,
                    seconds: start.elapsed().as_secs_f64(),
                    packages: 0,
                    error: Some(wharf_fs::error_chain(&*error.error)),
                    hint: error.hint.clone(),
                },
                error.status,
            )
        }
    };
    let mut line = serde_json::to_string(&report).unwrap_or_default();
    line.push('\n');
    write_stdout(line.as_bytes());
    status
}

/// `$NAME` and `${NAME}` replaced by this node's values; an unset one is an error naming it.
fn expand_vars(template: &str, env: &Env, node: &str) -> Result<PathBuf, Error> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], &braced[end + 1..]),
                None => (braced, ""),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        let Some(value) = env.get(name) else {
            let hint = if name == EnvVars::SLURM_TMPDIR {
                "the site's job prolog sets SLURM_TMPDIR (plain Slurm does not): give DIR as a node-local path instead"
            } else {
                "give DIR with variables every node sets"
            };
            return Err(Error::usage(
                format!("DIR `{template}` uses ${name}, which is not set on node {node}"),
                Some(hint.into()),
            ));
        };
        out.push_str(&value);
        rest = tail;
    }
    out.push_str(rest);
    Ok(PathBuf::from(out))
}

/// `n[1-3,7],login1` ▸ `n1 n2 n3 n7 login1` (Slurm's host list syntax, one bracket per name;
/// leading zeros kept: `n[01-02]` ▸ `n01 n02`).
pub fn expand_hostlist(list: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in list.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[start..]);
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        let (Some(open), Some(close)) = (part.find('['), part.find(']')) else {
            names.push(part.to_string());
            continue;
        };
        let (prefix, suffix) = (&part[..open], &part[close + 1..]);
        for range in part[open + 1..close].split(',') {
            let (low, high) = range.split_once('-').unwrap_or((range, range));
            let width = low.len();
            match (low.parse::<u64>(), high.parse::<u64>()) {
                (Ok(low), Ok(high)) => {
                    for n in low..=high {
                        names.push(format!("{prefix}{n:0width$}{suffix}"));
                    }
                }
                _ => names.push(format!("{prefix}{range}{suffix}")),
            }
        }
    }
    names
}

/// Sort key that puts `n2` before `n10`.
fn natural_key(name: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut digits = String::new();
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                key.push((
                    std::mem::take(&mut text),
                    digits.parse().unwrap_or(u64::MAX),
                ));
                digits.clear();
            }
            text.push(c);
        }
    }
    key.push((text, digits.parse().unwrap_or(0)));
    key
}

/// One line per node: `n1  /…/env  1.9 s  22 packages` (`failed` for a failed node).
fn table(reports: &[NodeReport]) -> String {
    let node_width = reports.iter().map(|r| r.node.len()).max().unwrap_or(0);
    let path_width = reports.iter().map(|r| r.path.len()).max().unwrap_or(0);
    let mut out = String::new();
    for report in reports {
        let what = if report.error.is_some() {
            "failed".to_string()
        } else {
            crate::printer::plural(report.packages, "package")
        };
        let _ = writeln!(
            out,
            "{:node_width$}  {:path_width$}  {:.1} s  {what}",
            report.node, report.path, report.seconds
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostlists_expand() {
        assert_eq!(expand_hostlist("n[1-2]"), ["n1", "n2"]);
        assert_eq!(
            expand_hostlist("cdr[01-02,7],login1"),
            ["cdr01", "cdr02", "cdr7", "login1"]
        );
        assert_eq!(expand_hostlist("a,b"), ["a", "b"]);
        assert!(expand_hostlist("").is_empty());
    }

    #[test]
    fn nodes_sort_naturally() {
        let mut names = vec!["n10", "n2", "m1", "n1"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["m1", "n1", "n2", "n10"]);
    }

    #[test]
    fn job_from_env() {
        assert_eq!(
            SlurmJob::from_env(&Env::from_pairs([("SLURM_NNODES", "2")])),
            None
        );
        let job = SlurmJob::from_env(&Env::from_pairs([
            ("SLURM_JOB_ID", "7"),
            ("SLURM_JOB_NODELIST", "n[1-2]"),
        ]))
        .unwrap();
        assert_eq!((job.nnodes, job.nodes.len()), (2, 2));
    }

    #[test]
    fn dir_is_rewritten_under_tmpdir_and_refused_when_shared() {
        let tmp = Path::new("/local/job7");
        assert_eq!(node_dir(None, Some(tmp)).unwrap(), "$SLURM_TMPDIR/env");
        assert_eq!(
            node_dir(Some(Path::new("/local/job7/env")), Some(tmp)).unwrap(),
            "$SLURM_TMPDIR/env"
        );
        assert_eq!(
            node_dir(Some(Path::new("/l/$SLURMD_NODENAME/env")), Some(tmp)).unwrap(),
            "/l/$SLURMD_NODENAME/env"
        );
        let err = node_dir(Some(Path::new("/project/env")), Some(tmp)).unwrap_err();
        assert_eq!(err.status, ExitStatus::Error);
        assert!(err.error.to_string().contains("`/project/env`"));
    }

    #[test]
    fn vars_expand_per_node() {
        let env = Env::from_pairs([("SLURM_TMPDIR", "/t/n2/7"), ("SLURMD_NODENAME", "n2")]);
        assert_eq!(
            expand_vars("$SLURM_TMPDIR/env", &env, "n2").unwrap(),
            PathBuf::from("/t/n2/7/env")
        );
        assert_eq!(
            expand_vars("/l/${SLURMD_NODENAME}/e", &env, "n2").unwrap(),
            PathBuf::from("/l/n2/e")
        );
        let err = expand_vars("$NOPE/env", &env, "n2").unwrap_err();
        assert!(
            err.error
                .to_string()
                .contains("uses $NOPE, which is not set on node n2"),
            "{}",
            err.error
        );
    }

    #[test]
    fn report_lines_round_trip_and_table() {
        let report = NodeReport {
            node: "n1".into(),
            path: "/t/env".into(),
            seconds: 1.94,
            packages: 22,
            error: None,
            hint: None,
        };
        let line = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<NodeReport>(&line).unwrap(), report);
        assert_eq!(table(&[report]), "n1  /t/env  1.9 s  22 packages\n");
    }
}
