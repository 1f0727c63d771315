//! `wharf venv --per-node` and the README's job scripts on a real two-node Slurm cluster
//! (`scripts/slurm-cluster.sh start`: Debian's slurm-wlm, nodes n1 and n2 as two `slurmd -N`
//! on this host, a TaskProlog exporting `SLURM_TMPDIR=.cache/slurm/tmp/<node>/<jobid>`), with
//! real wheels (the sci fixture) and a real CPython.
//!
//! Needs `WHARF_TEST_PYTHON` and `WHARF_TEST_SLURM_CONF` (`eval "$(scripts/test-env.sh)"` after
//! the cluster is started; `scripts/test.sh` does both). Without the cluster the job tests say
//! why and skip, and fail instead under `WHARF_TEST_REQUIRE_PEERS` (`scripts/test.sh`, CI).

#[path = "support/sci.rs"]
mod sci;

use std::path::{Path, PathBuf};
use std::process::Command;

use sci::{Peers, command, peers, run};

/// The test cluster's configuration file, or `None` (with the reason printed) when there is none.
fn cluster() -> Option<PathBuf> {
    if let Some(conf) = std::env::var_os("WHARF_TEST_SLURM_CONF") {
        return Some(PathBuf::from(conf));
    }
    wharf_test_support::skip(
        "no test Slurm cluster (WHARF_TEST_SLURM_CONF unset): scripts/slurm-cluster.sh start \
         installs and starts one (root with apt-get), then eval \"$(scripts/test-env.sh)\"",
    );
    None
}

/// A job's world: a directory with `pylock.toml` (numpy + pandas), `bin/` with `wharf` and a
/// no-op `module` (the site's `module load python/3.11`), and the site's environment.
struct Jobs {
    conf: PathBuf,
    dir: tempfile::TempDir,
}

impl Jobs {
    fn new(peers: &Peers, conf: PathBuf) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_wharf"), bin.join("wharf")).unwrap();
        write_executable(&bin.join("module"), "#!/bin/sh\nexit 0\n");
        let jobs = Self { conf, dir };
        run(jobs
            .command(peers, "wharf")
            .args(["lock", "numpy", "pandas", "-o", "pylock.toml", "--python"])
            .arg(&peers.base_python))
        .success();
        std::fs::write(
            jobs.path().join("train.py"),
            "import os, numpy, pandas\n\
             print('imported', os.environ['SLURMD_NODENAME'], os.environ['SLURM_TMPDIR'], numpy.__file__, pandas.__file__)\n",
        )
        .unwrap();
        jobs
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `program` in the job directory with the site's environment: PATH is `bin/`, the base
    /// CPython's directory (the `python/3.11` module) and the system's; caches in the job
    /// directory (no `WHARF_CACHE_DIR`: a job's default).
    fn command(&self, peers: &Peers, program: &str) -> Command {
        let python_bin = peers.base_python.parent().unwrap();
        let path = std::env::join_paths(
            [self.path().join("bin"), python_bin.to_path_buf()]
                .into_iter()
                .chain(["/usr/local/bin", "/usr/bin", "/bin"].map(PathBuf::from)),
        )
        .unwrap();
        let mut command = peers.on_site(program);
        command
            .current_dir(self.path())
            .env("PATH", path)
            .env("SLURM_CONF", &self.conf)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.path().join("cache"));
        command
    }

    /// `sbatch --wait ARGS script` (the job's stdout and stderr in one file), returning the
    /// exit code and what the job printed.
    fn sbatch(&self, peers: &Peers, name: &str, script: &str, args: &[&str]) -> (i32, String) {
        let file = self.path().join(format!("{name}.sh"));
        std::fs::write(&file, script).unwrap();
        let out = self.path().join(format!("{name}.out"));
        let submitted = run(self
            .command(peers, "sbatch")
            .args(["--wait", "--job-name", name, "-o"])
            .arg(&out)
            .args(args)
            .arg(&file));
        let printed = std::fs::read_to_string(&out).unwrap_or_default();
        (
            submitted.code().unwrap_or(-1),
            format!(
                "{}\n--- job output ({name})\n{printed}---",
                submitted.transcript()
            ),
        )
    }
}

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The `imported NODE TMPDIR NUMPY PANDAS` lines of `train.py`, by node.
fn imports(output: &str) -> Vec<(String, String, String, String)> {
    let mut lines: Vec<_> = output
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("imported ")?.split(' ');
            Some((
                words.next()?.to_string(),
                words.next()?.to_string(),
                words.next()?.to_string(),
                words.next()?.to_string(),
            ))
        })
        .collect();
    lines.sort();
    lines
}

/// Every node imported numpy and pandas from `$SLURM_TMPDIR/env` of its own node, and the
/// nodes' directories differ.
#[track_caller]
fn assert_imported_from_own_tmpdir(output: &str, nodes: &[&str]) {
    let imports = imports(output);
    let names: Vec<&str> = imports.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(names, nodes, "{output}");
    for (node, tmpdir, numpy, pandas) in &imports {
        assert!(
            tmpdir.contains(&format!("/tmp/{node}/")),
            "{node}'s SLURM_TMPDIR is not its own: {output}"
        );
        let env = format!("{tmpdir}/env/");
        assert!(
            numpy.starts_with(&env) && pandas.starts_with(&env),
            "{node} did not import from {env}: {output}"
        );
    }
    let mut dirs: Vec<&str> = imports.iter().map(|i| i.1.as_str()).collect();
    dirs.dedup();
    assert_eq!(dirs.len(), nodes.len(), "{output}");
}

/// The `n1  /…/env  1.9 s  6 packages` line of each node, in node order.
#[track_caller]
fn assert_report_lines(output: &str, nodes: &[&str], packages: usize) {
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| nodes.iter().any(|n| l.starts_with(&format!("{n}  "))))
        .collect();
    assert_eq!(lines.len(), nodes.len(), "{output}");
    for (line, node) in lines.iter().zip(nodes) {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words[0], *node, "{output}");
        assert!(
            words[1].contains(&format!("/tmp/{node}/")) && words[1].ends_with("/env"),
            "{output}"
        );
        assert!(
            words[2].parse::<f64>().is_ok() && words[3] == "s",
            "{output}"
        );
        assert_eq!(words[4..], [&packages.to_string(), "packages"], "{output}");
    }
}

#[test]
fn per_node_creates_one_env_per_node_and_each_node_imports_its_own() {
    let (Some(peers), Some(conf)) = (peers(), cluster()) else {
        return;
    };
    let jobs = Jobs::new(peers, conf);
    let script = "#!/bin/bash\n\
        wharf venv --per-node --from pylock.toml || exit 1\n\
        srun bash -c 'source $SLURM_TMPDIR/env/bin/activate && python train.py'\n";
    let (code, output) = jobs.sbatch(peers, "per-node", script, &["-N2"]);
    assert_eq!(code, 0, "{output}");
    assert_report_lines(&output, &["n1", "n2"], 6);
    assert!(
        output.contains("Creating $SLURM_TMPDIR/env on 2 nodes of job "),
        "{output}"
    );
    assert_imported_from_own_tmpdir(&output, &["n1", "n2"]);
}

#[test]
fn readme_job_scripts_run_on_two_nodes_and_one() {
    let (Some(peers), Some(conf)) = (peers(), cluster()) else {
        return;
    };
    let readme = std::fs::read_to_string(sci::repo_root().join("README.md")).unwrap();
    let scripts: Vec<&str> = readme
        .split("```bash\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter(|block| block.contains("#SBATCH") && block.contains("wharf venv"))
        .collect();
    let single = scripts
        .iter()
        .find(|s| s.contains("wharf venv $SLURM_TMPDIR/env --from pylock.toml"))
        .expect("README: the single-node job script");
    let multi = scripts
        .iter()
        .find(|s| s.contains("wharf venv --per-node --from pylock.toml"))
        .expect("README: the multi-node job script");
    let jobs = Jobs::new(peers, conf);
    // This cluster's nodes have fewer CPUs than the scripts ask: the command line wins.
    let cpus = ["--cpus-per-task=1"];

    let (code, output) = jobs.sbatch(peers, "readme-multi", multi, &cpus);
    assert_eq!(code, 0, "{output}");
    assert_report_lines(&output, &["n1", "n2"], 6);
    assert_imported_from_own_tmpdir(&output, &["n1", "n2"]);

    let (code, output) = jobs.sbatch(peers, "readme-single", single, &cpus);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("Synced "), "{output}");
    assert_eq!(imports(&output).len(), 1, "{output}");
    let (node, tmpdir, numpy, _) = &imports(&output)[0];
    assert!(
        tmpdir.contains(&format!("/tmp/{node}/")) && numpy.starts_with(&format!("{tmpdir}/env/")),
        "{output}"
    );
}

/// Outside an allocation: exit 2, and the hint names salloc and sbatch. No cluster needed.
#[test]
fn per_node_outside_an_allocation_exits_2_with_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(command(env!("CARGO_BIN_EXE_wharf"))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["venv", "--per-node", "--from", "pylock.toml"]))
    .exit_code(2);
    assert_eq!(out.stdout(), "");
    insta::assert_snapshot!(out.stderr(), @r"
    error: `--per-node` creates one environment on each node of a Slurm allocation, and this is not one (SLURM_JOB_ID is not set)
    hint: run it inside a job: `salloc -N2 …`, or in an sbatch script (`#SBATCH --nodes=2`); on one machine, `wharf venv DIR --from LOCK`
    ");
    // --per-node needs a lock.
    run(command(env!("CARGO_BIN_EXE_wharf"))
        .current_dir(dir.path())
        .args(["venv", "--per-node"]))
    .exit_code(2);
}

/// A node whose local disk fills up: exit 1 naming that node and the cause; its environment
/// is gone, the other node's is complete. n2's directory is a 20 MB tmpfs (numpy and pandas
/// need ~150 MB); where mounting is not allowed, a file stands where n2's directory should be.
#[test]
fn a_node_whose_disk_is_full_fails_by_name_and_keeps_no_half_env() {
    let (Some(peers), Some(conf)) = (peers(), cluster()) else {
        return;
    };
    let jobs = Jobs::new(peers, conf);
    let local = jobs.path().join("local");
    std::fs::create_dir_all(local.join("n1")).unwrap();
    std::fs::create_dir_all(local.join("n2")).unwrap();
    let mounted = run(Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=20m", "tmpfs"])
        .arg(local.join("n2")))
    .code()
        == Some(0);
    if !mounted {
        std::fs::remove_dir(local.join("n2")).unwrap();
        std::fs::write(local.join("n2"), "not a directory").unwrap();
    }
    let script = format!(
        "#!/bin/bash\n\
         wharf venv --per-node --from pylock.toml '{}/$SLURMD_NODENAME/env'\n\
         echo \"exit=$?\"\n",
        local.display()
    );
    let (code, output) = jobs.sbatch(peers, "full-disk", &script, &["-N2"]);
    let n2_env_left = local.join("n2/env").exists();
    let n2_leftovers: Vec<_> = std::fs::read_dir(local.join("n2"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    if mounted {
        run(Command::new("umount").arg(local.join("n2"))).success();
    }
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("exit=1"), "{output}");
    assert!(
        output.contains("error: the environment was not created on 1 of 2 nodes: n2"),
        "{output}"
    );
    let cause = if mounted {
        "No space left on device"
    } else {
        "not a directory"
    };
    assert!(
        output
            .lines()
            .any(|l| l.starts_with("  n2: ") && l.to_lowercase().contains(&cause.to_lowercase())),
        "{output}"
    );
    assert!(output.lines().any(|l| l.starts_with("n1  ")), "{output}");
    if mounted {
        // The failed node's environment was removed: its line says so, not the install's
        // "nothing was changed".
        let n2 = output.lines().find(|l| l.starts_with("  n2: ")).unwrap();
        assert!(
            n2.contains("was removed again") && !n2.contains("nothing was changed"),
            "{output}"
        );
    }
    assert!(
        !n2_env_left && n2_leftovers.is_empty(),
        "half-made environment on n2: {n2_leftovers:?}\n{output}"
    );
    assert!(local.join("n1/env/pyvenv.cfg").is_file(), "{output}");
}

/// A lock naming a wheel that is not there: every node fails, each named, nothing left.
#[test]
fn a_lock_with_a_missing_wheel_fails_on_every_node_and_leaves_nothing() {
    let (Some(peers), Some(conf)) = (peers(), cluster()) else {
        return;
    };
    let jobs = Jobs::new(peers, conf);
    let lock = std::fs::read_to_string(jobs.path().join("pylock.toml")).unwrap();
    // The wheel's path moved away (its name still that of the locked version: a wheel of
    // another version is refused when the lock is read, before any node starts).
    let broken = lock.replace(
        "/numpy-1.26.4+computecanada-cp311",
        "/gone/numpy-1.26.4+computecanada-cp311",
    );
    assert_ne!(lock, broken);
    std::fs::write(jobs.path().join("broken.toml"), broken).unwrap();
    let local = jobs.path().join("local");
    let script = format!(
        "#!/bin/bash\n\
         wharf venv --per-node --from broken.toml '{}/$SLURMD_NODENAME/env'\n\
         echo \"exit=$?\"\n",
        local.display()
    );
    let (code, output) = jobs.sbatch(peers, "missing-wheel", &script, &["-N2"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("exit=1"), "{output}");
    assert!(
        output.contains("error: the environment was not created on 2 of 2 nodes: n1, n2"),
        "{output}"
    );
    for node in ["n1", "n2"] {
        assert!(
            output.lines().any(|l| l.starts_with(&format!("  {node}: "))
                && l.contains("/gone/numpy-1.26.4+computecanada")),
            "{output}"
        );
        assert!(!local.join(node).join("env").exists(), "{output}");
    }
    // A lock cut short (a copy that hit a quota): refused once, before any task starts.
    std::fs::write(jobs.path().join("cut.toml"), &lock[..lock.len() / 2]).unwrap();
    let fresh = jobs.path().join("local-cut");
    let script = script
        .replace("broken.toml", "cut.toml")
        .replace(&*local.to_string_lossy(), &fresh.to_string_lossy());
    let (code, output) = jobs.sbatch(peers, "cut-lock", &script, &["-N2"]);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("exit=2"), "{output}");
    assert_eq!(
        output.matches("is not a valid PEP 751 lock").count(),
        1,
        "{output}"
    );
    assert!(
        !output.contains("  n1: ") && !output.contains("  n2: "),
        "{output}"
    );
    assert!(!fresh.exists(), "{output}");
}

/// The site documentation's job scripts (`scripts/site-jobs/`, one node and two), with
/// `virtualenv --no-download` replaced by `wharf venv` and every `pip` line as it is: each
/// node's `pip` is then wharf's pip front end acting on that node's environment, and the
/// job's Python imports what it installed.
#[test]
fn the_site_documentation_job_scripts_run_with_wharf_venv_and_their_pip_lines() {
    let (Some(peers), Some(conf)) = (peers(), cluster()) else {
        return;
    };
    let jobs = Jobs::new(peers, conf);
    run(jobs
        .command(peers, "wharf")
        .args([
            "lock",
            "numpy",
            "pandas",
            "-o",
            "requirements.txt",
            "--python",
        ])
        .arg(&peers.base_python))
    .success();
    for script in ["myscript.py", "myscript-mpi.py"] {
        std::fs::copy(jobs.path().join("train.py"), jobs.path().join(script)).unwrap();
    }
    let site_job = |name: &str| {
        let text =
            std::fs::read_to_string(sci::repo_root().join("scripts/site-jobs").join(name)).unwrap();
        assert!(text.contains("virtualenv --no-download $SLURM_TMPDIR/env\n"));
        text.replace("virtualenv --no-download ", "wharf venv ")
    };
    let cpus = ["--cpus-per-task=1"];

    let (code, output) = jobs.sbatch(peers, "site-one-node", &site_job("one-node.sh"), &cpus);
    assert_eq!(code, 0, "{output}");
    // `pip install --no-index --upgrade pip`: the environment's pip is wharf's, nothing to do.
    assert!(
        output.contains("is wharf's pip front end: nothing to install"),
        "{output}"
    );
    assert_imported_from_own_tmpdir(&output, &["n1"]);

    let (code, output) = jobs.sbatch(peers, "site-two-nodes", &site_job("two-nodes.sh"), &cpus);
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        output
            .matches("is wharf's pip front end: nothing to install")
            .count(),
        2,
        "one `pip install --upgrade pip` per node: {output}"
    );
    // Each node installed into its own `$SLURM_TMPDIR/env` (the here-document runs on both).
    for node in ["n1", "n2"] {
        assert!(
            output.lines().any(|line| line
                .strip_prefix("Created virtual environment at: ")
                .is_some_and(|env| env.contains(&format!("/tmp/{node}/")))),
            "no environment made on {node}: {output}"
        );
    }
    // `srun python myscript-mpi.py` with the first node's activation exported: both nodes run
    // the environment's Python (on the site the path is each node's own; here the nodes share
    // a host, so both reach the first node's).
    let imports = imports(&output);
    let nodes: Vec<&str> = imports.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(nodes, ["n1", "n2"], "{output}");
    for (_, _, numpy, pandas) in &imports {
        assert!(
            numpy.contains("/env/lib/python3") && pandas.contains("/env/lib/python3"),
            "{output}"
        );
    }
}
