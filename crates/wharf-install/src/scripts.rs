//! Entry points (`entry_points.txt`, packaging.python.org "Entry points specification") and
//! script launchers, and the `#!python` shebang rewrite of `{dist}.data/scripts/` (PEP 427).

use std::path::Path;

/// One `console_scripts` or `gui_scripts` entry point: `name = module:attr [extras]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    /// The script name, ex) `pyflakes`.
    pub(crate) name: String,
    /// The module, ex) `pyflakes.api`.
    pub(crate) module: String,
    /// The attribute path, ex) `main` or `Cli.run`.
    pub(crate) attr: String,
}

/// An entry point that names no callable (`name = module`), which pip refuses too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPointError {
    /// The whole `name = value` line.
    pub(crate) line: String,
    /// What is wrong.
    pub(crate) reason: &'static str,
}

/// Parses the `console_scripts` and `gui_scripts` groups of `entry_points.txt`.
///
/// The syntax is the one `importlib.metadata` (what pip 24 uses) accepts: `[group]` headers,
/// `name = value` split at the first `=`, names case-sensitive, lines starting with `#` and
/// blank lines skipped. (An INI parser would also split at `:` and treat `;` as a comment,
/// which `importlib.metadata` does not.) Returns (console, gui).
pub(crate) fn parse_entry_points(
    text: &str,
) -> Result<(Vec<EntryPoint>, Vec<EntryPoint>), EntryPointError> {
    let mut console = Vec::new();
    let mut gui = Vec::new();
    let mut group = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            group = name.trim().to_string();
            continue;
        }
        let target = match group.as_str() {
            "console_scripts" => &mut console,
            "gui_scripts" => &mut gui,
            _ => continue,
        };
        let error = |reason| EntryPointError {
            line: line.to_string(),
            reason,
        };
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| error("expected `name = module:attr`"))?;
        let value = match value.find('[') {
            Some(start) => &value[..start],
            None => value,
        };
        let (module, attr) = value
            .split_once(':')
            .ok_or_else(|| error("a callable suffix (`:attr`) is required"))?;
        let (name, module, attr) = (name.trim(), module.trim(), attr.trim());
        if name.is_empty() || module.is_empty() || attr.is_empty() {
            return Err(error("empty name, module or attribute"));
        }
        if name.contains('/') || name == "." || name == ".." {
            return Err(error("a script name cannot be a path"));
        }
        let entry = EntryPoint {
            name: name.to_string(),
            module: module.to_string(),
            attr: attr.to_string(),
        };
        // A later definition of the same name wins, as in a dict.
        target.retain(|known: &EntryPoint| known.name != entry.name);
        target.push(entry);
    }
    Ok((console, gui))
}

/// pip's special case for `pip` and `easy_install` console scripts: the unversioned entry
/// point becomes `pip`, `pip3` and `pip3.11` for the target Python, and the wheel's other
/// versioned names (`pip3.10`, …) are dropped (pip `get_console_script_specs`).
pub(crate) fn versioned_console_scripts(
    mut console: Vec<EntryPoint>,
    python_version: (u8, u8),
) -> Vec<EntryPoint> {
    let (major, minor) = python_version;
    let mut extra = Vec::new();
    if let Some(position) = console.iter().position(|entry| entry.name == "pip") {
        let pip = console.remove(position);
        console.retain(|entry| !is_versioned(&entry.name, "pip", ""));
        for name in [
            "pip".to_string(),
            format!("pip{major}"),
            format!("pip{major}.{minor}"),
        ] {
            extra.push(EntryPoint {
                name,
                ..pip.clone()
            });
        }
    }
    if let Some(position) = console
        .iter()
        .position(|entry| entry.name == "easy_install")
    {
        let easy_install = console.remove(position);
        console.retain(|entry| !is_versioned(&entry.name, "easy_install", "-"));
        for name in [
            "easy_install".to_string(),
            format!("easy_install-{major}.{minor}"),
        ] {
            extra.push(EntryPoint {
                name,
                ..easy_install.clone()
            });
        }
    }
    console.extend(extra);
    console
}

/// `pip(\d+(\.\d+)?)?$` and `easy_install(-\d+\.\d+)?$`.
fn is_versioned(name: &str, base: &str, separator: &str) -> bool {
    let Some(rest) = name.strip_prefix(base) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(separator) else {
        return false;
    };
    let mut parts = rest.split('.');
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(major), None, None) => separator.is_empty() && digits(major),
        (Some(major), Some(minor), None) => digits(major) && digits(minor),
        _ => false,
    }
}

/// The shebang line(s) for `python`, as distlib (pip's script maker) builds them on POSIX:
/// `#!/path/python\n`, or, when the path holds a space or the line would pass 127 bytes
/// (the kernel limit), the `/bin/sh` trampoline `'''exec' "/path/python" "$0" "$@"`.
pub(crate) fn shebang(python: &Path) -> String {
    let executable = python.to_string_lossy();
    let quoted = if executable.contains(' ') {
        format!("\"{executable}\"")
    } else {
        executable.to_string()
    };
    if !executable.contains(' ') && quoted.len() + 3 <= 127 {
        format!("#!{quoted}\n")
    } else {
        format!("#!/bin/sh\n'''exec' {quoted} \"$0\" \"$@\"\n' '''\n")
    }
}

/// The launcher for an entry point: the target interpreter in the shebang, then the import
/// and call of `module:attr`, with `sys.argv[0]` cleaned of Windows launcher suffixes.
pub(crate) fn launcher(entry: &EntryPoint, python: &Path) -> String {
    let import_name = entry.attr.split('.').next().unwrap_or(&entry.attr);
    format!(
        "{shebang}# -*- coding: utf-8 -*-\n\
         import re\n\
         import sys\n\
         from {module} import {import_name}\n\
         if __name__ == \"__main__\":\n\
         \x20   sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n\
         \x20   sys.exit({attr}())\n",
        shebang = shebang(python),
        module = entry.module,
        attr = entry.attr,
    )
}

/// Rewrites a `#!python` (or `#!pythonw`) first line to the target interpreter, as pip's
/// `fix_script` does; returns `None` when the script does not start with `#!python`.
pub(crate) fn fix_script_shebang(content: &[u8], python: &Path) -> Option<Vec<u8>> {
    if !content.starts_with(b"#!python") {
        return None;
    }
    let rest = match content.iter().position(|&byte| byte == b'\n') {
        Some(end) => &content[end + 1..],
        None => &[],
    };
    let mut fixed = shebang(python).into_bytes();
    fixed.extend_from_slice(rest);
    Some(fixed)
}

/// Whether a `.data/scripts/` file is a setuptools wrapper for an entry point (`EP`,
/// `EP.exe`, `EP-script.py`, `EP.pya`), which pip skips because it writes its own launcher.
pub(crate) fn is_entry_point_wrapper(
    file_name: &str,
    console: &[EntryPoint],
    gui: &[EntryPoint],
) -> bool {
    let lower = file_name.to_lowercase();
    let stem = if lower.ends_with(".exe") || lower.ends_with(".pya") {
        &file_name[..file_name.len() - 4]
    } else if lower.ends_with("-script.py") {
        &file_name[..file_name.len() - 10]
    } else {
        file_name
    };
    console.iter().chain(gui).any(|entry| entry.name == stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_are_case_sensitive_and_split_at_equals() {
        let text = "[console_scripts]\nPyFlakes = pyflakes.api:main\npyflakes = pyflakes.api:main [color]\n\
                    # comment\n\n[gui_scripts]\nviewer=pkg.gui:App.run\n[other]\nx = y\n";
        let (console, gui) = parse_entry_points(text).unwrap();
        assert_eq!(console.len(), 2);
        assert_eq!(console[0].name, "PyFlakes");
        assert_eq!(console[1].attr, "main");
        assert_eq!(gui[0].module, "pkg.gui");
        assert_eq!(gui[0].attr, "App.run");
    }

    #[test]
    fn err_entry_point_without_callable() {
        let error = parse_entry_points("[console_scripts]\ntool = pkg.cli\n").unwrap_err();
        assert_eq!(error.line, "tool = pkg.cli");
        assert_eq!(error.reason, "a callable suffix (`:attr`) is required");
    }

    #[test]
    fn err_entry_point_name_is_a_path() {
        let error = parse_entry_points("[console_scripts]\n../evil = m:f\n").unwrap_err();
        assert_eq!(error.reason, "a script name cannot be a path");
    }

    #[test]
    fn launcher_content() {
        let entry = EntryPoint {
            name: "tool".into(),
            module: "pkg.cli".into(),
            attr: "Main.run".into(),
        };
        assert_eq!(
            launcher(&entry, Path::new("/env/bin/python")),
            "#!/env/bin/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pkg.cli import Main\n\
             if __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n\
             \x20   sys.exit(Main.run())\n"
        );
    }

    #[test]
    fn long_or_spaced_interpreter_uses_sh_trampoline() {
        let long = format!("/{}/bin/python", "d".repeat(130));
        assert!(shebang(Path::new(&long)).starts_with("#!/bin/sh\n'''exec' /ddd"));
        assert_eq!(
            shebang(Path::new("/my env/bin/python")),
            "#!/bin/sh\n'''exec' \"/my env/bin/python\" \"$0\" \"$@\"\n' '''\n"
        );
    }

    #[test]
    fn fix_script_only_touches_hash_bang_python() {
        let python = Path::new("/env/bin/python");
        assert_eq!(
            fix_script_shebang(b"#!pythonw\nprint(1)\n", python).unwrap(),
            b"#!/env/bin/python\nprint(1)\n"
        );
        assert_eq!(fix_script_shebang(b"#!/bin/sh\necho\n", python), None);
    }

    #[test]
    fn pip_console_scripts_are_versioned_for_the_target() {
        let entry = |name: &str| EntryPoint {
            name: name.into(),
            module: "pip._internal.cli.main".into(),
            attr: "main".into(),
        };
        let scripts = versioned_console_scripts(
            vec![
                entry("pip"),
                entry("pip3"),
                entry("pip3.12"),
                entry("other"),
            ],
            (3, 11),
        );
        let names: Vec<&str> = scripts.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["other", "pip", "pip3", "pip3.11"]);
    }

    #[test]
    fn setuptools_wrappers_are_recognised() {
        let console = vec![EntryPoint {
            name: "tool".into(),
            module: "m".into(),
            attr: "f".into(),
        }];
        assert!(is_entry_point_wrapper("tool-script.py", &console, &[]));
        assert!(is_entry_point_wrapper("tool.exe", &console, &[]));
        assert!(!is_entry_point_wrapper("other", &console, &[]));
    }
}
