//! Regression (issue 7, defect 6): a free-threaded `3.13t` environment installs into
//! `lib/python3.13t/site-packages` with the `cp313t` ABI in `install` and `list` alike, as
//! `wharf venv` lays it out. The interpreter is a fake (a script answering the probe with a
//! recorded free-threaded CPython 3.13.1), the wheels are synthetic.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use wharf_environment::PythonEnvironment;
use wharf_environment::operations::{
    self, ExecuteOptions, InstallPlan, PlanOptions, RequirementSources, ResolvePolicy, Sources,
};
use wharf_python::PythonEnv;
use wharf_site::FindLinks;
use wharf_test_support::WheelBuilder;

const SAMPLE: &str =
    include_str!("../../wharf-python/src/fixtures/probe-cpython-3.11-venv-manylinux-refused.json");

/// A venv at `root` whose `bin/python` answers the probe as free-threaded CPython 3.13.1.
fn fake_free_threaded_venv(root: &Path) {
    let root_text = root.display().to_string();
    let json = SAMPLE
        .replace("3.11.7", "3.13.1")
        .replace("python3.11", "python3.13t")
        .replace("python311", "python313t")
        .replace("cpython-311", "cpython-313t")
        .replace("\"3.11\"", "\"3.13\"")
        .replace("\"abiflags\": \"\"", "\"abiflags\": \"t\"")
        .replace(
            "\"py_debug\": false",
            "\"py_debug\": false, \"py_gil_disabled\": true",
        )
        .replacen("3,\n    11,\n    7", "3,\n    13,\n    1", 1)
        .replace("\"/env", &format!("\"{root_text}"));
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("lib/python3.13t/site-packages")).unwrap();
    std::fs::write(root.join("answer.json"), json).unwrap();
    std::fs::write(
        root.join("pyvenv.cfg"),
        "home = /opt/py/bin\nversion = 3.13.1\ninclude-system-site-packages = false\n",
    )
    .unwrap();
    let python = root.join("bin/python");
    std::fs::write(
        &python,
        format!(
            "#!/bin/sh\n/bin/cat '{}'\n",
            root.join("answer.json").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn free_threaded_environment_gets_its_own_site_packages_and_abi() {
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("env");
    fake_free_threaded_venv(&root);
    let python_env = PythonEnv {
        no_cache: true,
        ..PythonEnv::default()
    };
    let environment = PythonEnvironment::from_root(&root, &python_env).unwrap();
    assert_eq!(
        environment.layout.purelib,
        root.join("lib/python3.13t/site-packages")
    );
    assert_eq!(
        environment.layout.headers,
        root.join("include/site/python3.13t")
    );
    let (tags, _) = environment.tags(false);
    let first = tags.iter().next().unwrap().to_string();
    assert_eq!(first, "cp313-cp313t-linux_x86_64");

    // A wheelhouse with both builds: the free-threaded one must be chosen.
    let wheels = temp.path().join("wheels");
    std::fs::create_dir_all(&wheels).unwrap();
    for abi in ["cp313", "cp313t"] {
        WheelBuilder::new("fastpkg", "1.0+computecanada", false, &[])
            .file("fastpkg/__init__.py", format!("ABI = '{abi}'\n").as_bytes())
            .write(&wheels.join(format!(
                "fastpkg-1.0+computecanada-cp313-{abi}-linux_x86_64.whl"
            )));
    }
    let requirements = operations::read_requirements(
        RequirementSources {
            packages: &["fastpkg".to_string()],
            requirement_files: &[],
            constraint_files: &[],
            editables: &[],
        },
        &|_| None,
    )
    .unwrap();
    let catalogue = Sources {
        find_links: FindLinks::from_paths([wheels]),
        threads: 1,
        index_dir: None,
    }
    .catalogue();
    let resolution = operations::resolve(
        &requirements,
        &environment,
        &catalogue,
        &ResolvePolicy::default(),
    )
    .unwrap();
    let plan = InstallPlan::from_resolution(&resolution, PlanOptions::default());
    let wheel = plan.plan.install[0].path.file_name().unwrap().to_owned();
    assert_eq!(
        wheel.to_string_lossy(),
        "fastpkg-1.0+computecanada-cp313-cp313t-linux_x86_64.whl"
    );
    operations::execute(
        &plan,
        &environment,
        &ExecuteOptions {
            threads: 1,
            ..ExecuteOptions::default()
        },
    )
    .unwrap();
    let installed = root.join("lib/python3.13t/site-packages/fastpkg/__init__.py");
    assert_eq!(
        std::fs::read_to_string(installed).unwrap(),
        "ABI = 'cp313t'\n"
    );
    assert!(!root.join("lib/python3.13").exists());
    // `list` reads the same directory.
    let listed: Vec<String> = environment
        .installed()
        .unwrap()
        .iter()
        .map(|d| format!("{}=={}", d.name, d.version))
        .collect();
    assert_eq!(listed, ["fastpkg==1.0+computecanada"]);
}
