//! `wharf pip COMMAND …`: pip's command line over wharf's pipeline, for the site's recipes and
//! job scripts that say `pip install --no-index …` inside an activated environment. The `pip`,
//! `pip3` and `pip3.X` of a wharf environment (`wharf venv` without `--seed`) run it on that
//! environment, so `pip install` there installs there (and not, silently, into the module's
//! Python through its pip).
//!
//! pip's arguments are translated to wharf's commands, option by option ([`translate`]); an
//! option wharf cannot honour is refused (exit 2) with one line naming it and the way out
//! (`wharf venv --seed` installs the real pip), never silently ignored. Options that change
//! nothing in wharf (pip's progress bar, its version check) are accepted.
//!
//! pip's commands and where they go:
//! - `install`, `uninstall`, `freeze`, `list`, `show`, `check`, `download`: wharf's command of
//!   the same name, on this environment (`--python ENV`); `freeze`, `list` (every format,
//!   `--not-required`, `-e`, `--exclude-editable`, `-v`, `--local`, `--path`, `-o`/`-u` against
//!   the wheelhouse and `-f`), `show` and `check` print byte for byte what pip 26 prints
//!   (`tests/pip_front_end_e2e.rs`); `list --user` is refused (the user site is no environment).
//! - `hash`, `index versions`, `inspect`, `config list|get`: run here
//!   ([`crate::commands::pip_only`]) with pip 26's output.
//! - `cache dir|info|purge|remove`: `wharf cache dir|size|clean`, with a note that this is
//!   wharf's cache, not pip's.
//! - `--version`: names wharf; `install pip` (the site recipe's first line): a no-op that says why.
//!
//! Traps: pip's `list --format=freeze` is not `freeze` (no direct URLs, no editables); pip's
//! `check` prints every missing requirement before any conflict, project by project in its
//! order of iteration (directory order from Python 3.11 on); pip 26's `show` prints
//! `License-Expression` *instead of* `License` only when `Metadata-Version` is 2.4 or more.

use std::ffi::{OsStr, OsString};

use crate::commands::pip_only::PipCommand;

/// A pip option or command that wharf's pip does not honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// The option or command as given, ex) `--index-url`.
    pub what: String,
    /// The command it was given to, ex) `install`.
    pub command: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.command.is_empty() {
            write!(
                f,
                "`pip {}` is not supported by wharf's pip front end",
                self.what
            )
        } else {
            write!(
                f,
                "`pip {} {}` is not supported by wharf's pip front end",
                self.command, self.what
            )
        }
    }
}

/// What [`translate`] makes of pip's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Translated {
    /// Run wharf with these arguments (without the program name).
    Wharf(Vec<OsString>),
    /// Print this line on stdout and exit 0 (`pip --version`, `pip install -U pip`).
    Say(String),
    /// A pip command wharf's pip runs itself, with pip's output (`hash`, `index versions`,
    /// `inspect`, `config list|get`).
    Pip(PipCommand),
}

/// pip's options that take a value and change nothing in wharf (accepted, value dropped).
const IGNORED_WITH_VALUE: &[&str] = &[
    "--progress-bar",
    "--exists-action",
    "--log",
    "--cache-dir",
    "--src",
    "--root-user-action",
];
/// pip's flags that change nothing in wharf (accepted).
const IGNORED_FLAGS: &[&str] = &[
    "--disable-pip-version-check",
    "--no-input",
    "--isolated",
    "--no-color",
    "--no-python-version-warning",
    "--no-compile",
    "--no-warn-script-location",
    "--no-warn-conflicts",
    "--require-virtualenv",
    "--use-pep517",
];

/// Translates pip's arguments (`args`, after `pip`) for the environment `environment` into a
/// wharf command line, or a line to print.
///
/// pip's commands: `install`, `uninstall`, `freeze`, `list`, `show`, `check`, `download`,
/// `hash`, `index versions`, `inspect`, `config list|get`, `cache`, `--version`.
/// `install --upgrade pip` (the first line of the site's job recipe) is a no-op that says so:
/// this environment's pip is wharf.
///
/// Errors: [`Unsupported`] naming the first option or command wharf does not honour.
pub fn translate(args: &[OsString], environment: &OsStr) -> Result<Translated, Unsupported> {
    let mut global = Vec::new();
    let mut rest = args.iter().peekable();
    // Global options before the command.
    let command = loop {
        let Some(arg) = rest.next() else {
            return Ok(Translated::Say(
                "usage: pip COMMAND [OPTIONS] (wharf's pip front end: install, uninstall, download, freeze, list, show, check, hash, index, inspect, config, cache)"
                    .to_string(),
            ));
        };
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "-V" | "--version" => {
                return Ok(Translated::Say(format!(
                    "pip (wharf {}) from {} (wharf's pip front end; `wharf venv --seed` installs the real pip)",
                    env!("CARGO_PKG_VERSION"),
                    environment.to_string_lossy()
                )));
            }
            "-q" | "--quiet" | "-v" | "--verbose" => global.push(arg.clone()),
            flag if IGNORED_FLAGS.contains(&flag) => {}
            option if IGNORED_WITH_VALUE.contains(&option) => {
                rest.next();
            }
            option if option.starts_with('-') => {
                return Err(Unsupported {
                    what: option.to_string(),
                    command: String::new(),
                });
            }
            command => break command.to_string(),
        }
    };
    let unsupported = |what: &str| Unsupported {
        what: what.to_string(),
        command: command.clone(),
    };
    let mut out: Vec<OsString> = Vec::new();
    let mut positional: Vec<OsString> = Vec::new();
    let wharf_command = match command.as_str() {
        "install" | "uninstall" | "freeze" | "list" | "show" | "check" | "download" => {
            command.clone()
        }
        "hash" | "index" | "inspect" | "config" => {
            let rest: Vec<OsString> = rest.cloned().collect();
            return pip_only(&command, &rest).map(Translated::Pip);
        }
        "cache" => {
            let rest: Vec<OsString> = rest.cloned().collect();
            return cache(&rest, &global);
        }
        other => return Err(unsupported_command(other)),
    };
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy().into_owned();
        // `--option=value` is `--option value`.
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value)),
            _ => (text.clone(), None),
        };
        let mut value = || -> Result<OsString, Unsupported> {
            match inline {
                Some(value) => Ok(OsString::from(value)),
                None => rest.next().cloned().ok_or_else(|| unsupported(&name)),
            }
        };
        match (wharf_command.as_str(), name.as_str()) {
            (_, "-q" | "--quiet" | "-v" | "--verbose") => global.push(arg.clone()),
            (_, flag) if IGNORED_FLAGS.contains(&flag) => {}
            (_, option) if IGNORED_WITH_VALUE.contains(&option) => {
                value()?;
            }
            ("install", "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable") => {
                let value = value()?;
                out.push(short_of(&name).into());
                out.push(value);
            }
            ("install", "--prefer-binary") => out.push("--prefer-binary".into()),
            // Options of `wharf install` under pip's own name (`--target`, `--prefix` and
            // `--root` are wharf's to refuse, with its message).
            (
                "install",
                "--upgrade-strategy" | "--group" | "--extra-index-url" | "--target" | "--prefix"
                | "--root" | "--only-binary" | "--no-binary" | "--report",
            ) => {
                let value = value()?;
                out.push(name.clone().into());
                out.push(value);
            }
            ("install", "-i" | "--index-url") => {
                let value = value()?;
                out.push("-i".into());
                out.push(value);
            }
            ("install" | "list", "-f" | "--find-links") => {
                let value = value()?;
                out.push("-f".into());
                out.push(value);
            }
            ("install", "-U" | "--upgrade") => out.push("--upgrade".into()),
            ("install", "--force-reinstall" | "-I" | "--ignore-installed") => {
                out.push("--reinstall".into());
            }
            ("install", "--no-cache-dir") => out.push("--no-cache".into()),
            (
                "install",
                "--no-deps"
                | "--pre"
                | "--no-index"
                | "--dry-run"
                | "--compile"
                | "--require-hashes"
                | "--no-build-isolation"
                | "--user",
            )
            | ("freeze", "--all" | "--exclude-editable")
            | ("download", "--no-deps" | "--pre")
            | (
                "list",
                "--not-required" | "--exclude-editable" | "--include-editable" | "--user" | "--pre"
                | "--no-index",
            ) => out.push(name.clone().into()),
            ("uninstall", "-y" | "--yes") => {}
            ("uninstall", "-r" | "--requirement") => {
                let value = value()?;
                out.push("-r".into());
                out.push(value);
            }
            ("freeze" | "list", "-l" | "--local") => out.push("--local".into()),
            ("freeze" | "list", "--exclude") => {
                let value = value()?;
                out.push("--exclude".into());
                out.push(value);
            }
            ("list", "--format") => {
                let value = value()?;
                out.push("--format".into());
                out.push(value);
            }
            ("list", "-o" | "--outdated") => out.push("--outdated".into()),
            ("list", "-u" | "--uptodate") => out.push("--uptodate".into()),
            ("list", "-e" | "--editable") => out.push("--editable".into()),
            ("list", "--path") => {
                let value = value()?;
                out.push("--path".into());
                out.push(value);
            }
            ("show", "-f" | "--files") => out.push("--files".into()),
            (
                "download",
                "-r" | "--requirement" | "-d" | "--dest" | "--destination-dir" | "-i"
                | "--index-url" | "--extra-index-url" | "--python-version" | "--platform"
                | "--only-binary" | "--abi" | "--implementation" | "-f" | "--find-links" | "--cert"
                | "--proxy" | "--retries" | "--timeout",
            ) => {
                let value = value()?;
                out.push(download_option(&name).into());
                out.push(value);
            }
            (_, option) if option.starts_with('-') && option != "-" => {
                return Err(unsupported(option));
            }
            _ => positional.push(arg.clone()),
        }
    }
    // The site's recipe upgrades pip first: here pip is wharf, there is nothing to upgrade.
    if wharf_command == "install"
        && !positional.is_empty()
        && positional
            .iter()
            .all(|p| p.to_string_lossy().eq_ignore_ascii_case("pip"))
    {
        return Ok(Translated::Say(format!(
            "pip in {} is wharf's pip front end: nothing to install for `pip` (`wharf venv --seed` installs the real pip)",
            environment.to_string_lossy()
        )));
    }
    let mut wharf: Vec<OsString> = vec![wharf_command.into()];
    wharf.extend(global);
    wharf.push("--python".into());
    wharf.push(environment.to_os_string());
    wharf.extend(out);
    wharf.extend(positional);
    Ok(Translated::Wharf(wharf))
}

/// The spelling `wharf download` takes for pip's option `name`.
fn download_option(name: &str) -> &str {
    match name {
        "--requirement" => "-r",
        "--dest" | "--destination-dir" => "-d",
        "--index-url" => "-i",
        "--find-links" => "-f",
        other => other,
    }
}

/// pip's `hash`, `index versions`, `inspect` and `config list|get`, which wharf's pip runs
/// itself (`args`: after the command name).
fn pip_only(command: &str, args: &[OsString]) -> Result<PipCommand, Unsupported> {
    let unsupported = |what: &str| Unsupported {
        what: what.to_string(),
        command: command.to_string(),
    };
    let mut words: Vec<String> = Vec::new();
    let mut files: Vec<OsString> = Vec::new();
    let mut algorithm = "sha256".to_string();
    let mut index_url = None;
    let mut extra_index_url = Vec::new();
    let (mut pre, mut json, mut local) = (false, false, false);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let text = arg.to_string_lossy().into_owned();
        let (name, inline) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_string(), Some(value)),
            _ => (text.clone(), None),
        };
        let mut value = || -> Result<String, Unsupported> {
            match inline {
                Some(value) => Ok(value.to_string()),
                None => rest
                    .next()
                    .map(|v| v.to_string_lossy().into_owned())
                    .ok_or_else(|| unsupported(&name)),
            }
        };
        match (command, name.as_str()) {
            (_, "-q" | "--quiet" | "-v" | "--verbose") => {}
            (_, flag) if IGNORED_FLAGS.contains(&flag) => {}
            (_, option) if IGNORED_WITH_VALUE.contains(&option) => {
                value()?;
            }
            ("hash", "-a" | "--algorithm") => {
                algorithm = value()?;
                if !["sha256", "sha384", "sha512"].contains(&algorithm.as_str()) {
                    return Err(unsupported(&format!("{name} {algorithm}")));
                }
            }
            ("index", "-i" | "--index-url") => index_url = Some(value()?),
            ("index", "--extra-index-url") => extra_index_url.push(value()?),
            ("index", "--pre") => pre = true,
            ("index", "--json") => json = true,
            ("inspect", "-l" | "--local") => local = true,
            (_, option) if option.starts_with('-') && option != "-" => {
                return Err(unsupported(option));
            }
            ("hash", _) => files.push(arg.clone()),
            _ => words.push(text),
        }
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    match (command, words.as_slice()) {
        ("hash", []) if !files.is_empty() => Ok(PipCommand::Hash { files, algorithm }),
        ("hash", _) => Err(unsupported("without a FILE")),
        ("index", ["versions", package]) => Ok(PipCommand::IndexVersions {
            package: (*package).to_string(),
            index_url,
            extra_index_url,
            pre,
            json,
        }),
        ("inspect", []) => Ok(PipCommand::Inspect { local }),
        ("config", ["list"]) => Ok(PipCommand::ConfigList),
        ("config", ["get", key]) => Ok(PipCommand::ConfigGet {
            key: (*key).to_string(),
        }),
        (_, words) => Err(unsupported(&words.join(" "))),
    }
}

/// `pip cache dir|info|purge|remove PATTERN`, mapped onto wharf's cache (`wharf cache`);
/// `pip cache list` (pip's built wheels) has no counterpart.
fn cache(args: &[OsString], global: &[OsString]) -> Result<Translated, Unsupported> {
    let unsupported = |what: &str| Unsupported {
        what: what.to_string(),
        command: "cache".to_string(),
    };
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| !matches!(a.as_str(), "-q" | "--quiet" | "-v" | "--verbose"))
        .collect();
    if let Some(option) = words.iter().find(|w| w.starts_with('-')) {
        return Err(unsupported(option));
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut wharf: Vec<OsString> = vec!["cache".into()];
    match words.as_slice() {
        ["dir"] => wharf.push("dir".into()),
        ["info"] => wharf.push("size".into()),
        ["purge"] => wharf.push("clean".into()),
        ["remove", pattern] => {
            if pattern.contains(['*', '?', '[']) {
                return Err(unsupported(&format!("remove {pattern}")));
            }
            wharf.push("clean".into());
            wharf.push((*pattern).into());
        }
        other => return Err(unsupported(&other.join(" "))),
    }
    wharf.extend(global.iter().cloned());
    Ok(Translated::Wharf(wharf))
}

/// The short spelling wharf takes for pip's requirement options.
fn short_of(name: &str) -> &'static str {
    match name {
        "-r" | "--requirement" => "-r",
        "-c" | "--constraint" => "-c",
        _ => "-e",
    }
}

/// A pip command wharf's pip front end does not have.
fn unsupported_command(command: &str) -> Unsupported {
    Unsupported {
        what: command.to_string(),
        command: String::new(),
    }
}

/// The script written as `bin/pip`, `bin/pip3` and `bin/pip3.X` of a wharf environment: runs
/// `wharf pip` on that environment with the wharf binary at `wharf`. When that binary is gone
/// (wharf moved or upgraded elsewhere) it says so instead of running another pip.
pub fn pip_script(wharf: &std::path::Path) -> String {
    let wharf = shell_quote(&wharf.display().to_string());
    format!(
        "#!/bin/sh\n\
         # pip in an environment made by wharf: wharf's pip front end, acting on this environment\n\
         # (`wharf venv --seed` installs the real pip instead).\n\
         env=$(CDPATH= cd -- \"$(dirname -- \"$0\")/..\" && pwd)\n\
         if [ ! -x {wharf} ]; then\n  \
           echo \"error: this environment's pip is wharf's front end, and {wharf} is gone\" >&2\n  \
           echo \"hint: run \\`wharf pip --python $env ...\\` with the wharf you have, or recreate the environment with \\`wharf venv --seed\\` for the real pip\" >&2\n  \
           exit 2\n\
         fi\n\
         exec {wharf} pip --python \"$env\" \"$@\"\n"
    )
}

/// `text` in single quotes for sh.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Runs `wharf pip ARGS` (`args` after `pip`): `--python ENV` first (as `bin/pip` passes it),
/// else the active `$VIRTUAL_ENV`; then pip's arguments, translated and run as wharf.
pub fn run(args: &[OsString], env: &wharf_env::Env) -> crate::ExitStatus {
    let (environment, args) = match args {
        [flag, environment, rest @ ..] if flag == "--python" => (Some(environment.clone()), rest),
        _ => (
            env.get(wharf_env::EnvVars::VIRTUAL_ENV).map(OsString::from),
            args,
        ),
    };
    // `--isolated` (anywhere before `--`): pip's isolated mode, no `PIP_*` variables and no
    // user configuration, for whatever runs below.
    let isolated_env;
    let env = if args
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--isolated")
    {
        isolated_env = env.pip_isolated();
        &isolated_env
    } else {
        env
    };
    let printer = crate::Printer::new(true, false);
    let Some(environment) = environment else {
        printer.error_message(
            "`wharf pip` needs an environment: none is active and no `--python ENV` was given",
        );
        printer
            .hint("activate one (`source ENV/bin/activate`) or pass `wharf pip --python ENV ...`");
        return crate::ExitStatus::Error;
    };
    match translate(args, &environment) {
        Ok(Translated::Say(line)) => crate::commands::write_stdout(format!("{line}\n").as_bytes()),
        Ok(Translated::Pip(command)) => {
            let site = wharf_site::SiteEnv::from_env(env);
            let python_env = wharf_python::PythonEnv::from_env(env);
            crate::commands::pip_only::run(
                &command,
                std::path::Path::new(&environment),
                &site,
                &python_env,
                printer,
            )
            .unwrap_or_else(|error| printer.report(&error))
        }
        Ok(Translated::Wharf(wharf)) => {
            if wharf.first().is_some_and(|c| c == "cache") {
                printer.info(
                    "note: this is wharf's cache (unpacked wheels, index pages, interpreter probes), not pip's: `wharf cache --help`",
                );
            }
            let mut argv = vec![OsString::from("wharf")];
            argv.extend(wharf);
            crate::run(argv, env)
        }
        Err(unsupported) => {
            printer.error_message(&unsupported);
            printer.hint(
                "run wharf's own command (`wharf install --help`), or create the environment with `wharf venv --seed` to get the real pip",
            );
            crate::ExitStatus::Error
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pip(args: &[&str]) -> Result<Translated, Unsupported> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        translate(&args, OsStr::new("/env"))
    }

    fn wharf(args: &[&str]) -> Vec<String> {
        match pip(args).unwrap() {
            Translated::Wharf(args) => args
                .into_iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
            Translated::Say(line) => panic!("said {line}"),
            Translated::Pip(command) => panic!("ran {command:?}"),
        }
    }

    #[test]
    fn the_site_recipe_translates() {
        assert_eq!(
            wharf(&["install", "--no-index", "-r", "requirements.txt"]),
            [
                "install",
                "--python",
                "/env",
                "--no-index",
                "-r",
                "requirements.txt"
            ]
        );
        assert_eq!(
            wharf(&[
                "-q",
                "install",
                "--upgrade",
                "--no-cache-dir",
                "--find-links=/w",
                "--progress-bar",
                "off",
                "numpy==1.26.4"
            ]),
            [
                "install",
                "-q",
                "--python",
                "/env",
                "--upgrade",
                "--no-cache",
                "-f",
                "/w",
                "numpy==1.26.4"
            ]
        );
        assert!(matches!(
            pip(&["install", "--no-index", "--upgrade", "pip"]).unwrap(),
            Translated::Say(line) if line.contains("nothing to install")
        ));
        assert_eq!(
            wharf(&["uninstall", "-y", "six"]),
            ["uninstall", "--python", "/env", "six"]
        );
        assert_eq!(
            wharf(&["list", "--format=json", "-o"]),
            ["list", "--python", "/env", "--format", "json", "--outdated"]
        );
        assert_eq!(
            wharf(&["freeze", "--all"]),
            ["freeze", "--python", "/env", "--all"]
        );
        assert_eq!(
            wharf(&[
                "list",
                "-e",
                "--not-required",
                "--exclude-editable",
                "--path=/p",
                "-v",
                "--user"
            ]),
            [
                "list",
                "-v",
                "--python",
                "/env",
                "--editable",
                "--not-required",
                "--exclude-editable",
                "--path",
                "/p",
                "--user"
            ]
        );
        assert_eq!(
            wharf(&["list", "-o", "--no-index", "-f", "/w", "--pre"]),
            [
                "list",
                "--python",
                "/env",
                "--outdated",
                "--no-index",
                "-f",
                "/w",
                "--pre"
            ]
        );
    }

    #[test]
    fn pip_commands_of_their_own() {
        assert_eq!(
            pip(&["hash", "-a", "sha512", "a.whl"]).unwrap(),
            Translated::Pip(PipCommand::Hash {
                files: vec!["a.whl".into()],
                algorithm: "sha512".into()
            })
        );
        assert_eq!(
            pip(&[
                "index",
                "versions",
                "numpy",
                "--pre",
                "-i",
                "http://x/simple"
            ])
            .unwrap(),
            Translated::Pip(PipCommand::IndexVersions {
                package: "numpy".into(),
                index_url: Some("http://x/simple".into()),
                extra_index_url: Vec::new(),
                pre: true,
                json: false
            })
        );
        assert_eq!(
            pip(&["config", "get", "global.index-url"]).unwrap(),
            Translated::Pip(PipCommand::ConfigGet {
                key: "global.index-url".into()
            })
        );
        assert_eq!(wharf(&["cache", "purge"]), ["cache", "clean"]);
        assert_eq!(wharf(&["cache", "info"]), ["cache", "size"]);
        assert_eq!(
            wharf(&[
                "download",
                "--no-deps",
                "--dest=/d",
                "--index-url",
                "http://x/simple",
                "six"
            ]),
            [
                "download",
                "--python",
                "/env",
                "--no-deps",
                "-d",
                "/d",
                "-i",
                "http://x/simple",
                "six"
            ]
        );
    }

    #[test]
    fn err_options_wharf_cannot_honour_are_named() {
        for (args, message) in [
            (
                &["install", "--use-feature", "fast-deps", "x"][..],
                "`pip install --use-feature` is not supported",
            ),
            (&["wheel", "."][..], "`pip wheel` is not supported"),
            (
                &["hash", "-a", "md5", "x"][..],
                "`pip hash -a md5` is not supported",
            ),
            (&["cache", "list"][..], "`pip cache list` is not supported"),
            (
                &["config", "set", "global.x", "1"][..],
                "`pip config set global.x 1` is not supported",
            ),
            (
                &["download", "--no-binary", ":all:", "x"][..],
                "`pip download --no-binary` is not supported",
            ),
            (
                &["inspect", "--user"][..],
                "`pip inspect --user` is not supported",
            ),
            (
                &["--proxy", "x", "install"][..],
                "`pip --proxy` is not supported",
            ),
        ] {
            let error = pip(args).unwrap_err();
            assert!(error.to_string().contains(message), "{error}");
        }
    }
}
