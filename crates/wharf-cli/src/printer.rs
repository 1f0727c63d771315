//! The one channel for everything that is not data: progress lines, warnings, errors and
//! hints go to stderr, coloured only when wanted (`--color`, a terminal, no `NO_COLOR`).

use std::fmt::Display;
use std::io::Write;

use owo_colors::OwoColorize;

use crate::error::Error;
use crate::{ExitStatus, settings::ColorChoice};
use wharf_environment::Diagnostic;

/// Writes diagnostics to stderr: `warning: …`, `error: …`, `  Caused by: …`, `hint: …`, and
/// progress lines (`Installed 3 packages in 40 ms`) unless quiet.
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    color: bool,
    quiet: bool,
    verbose: u8,
}

impl Printer {
    /// A printer for stderr; `no_color` is the `NO_COLOR` setting (colour only on a terminal).
    pub fn new(no_color: bool, quiet: bool) -> Self {
        Self::with(ColorChoice::Auto, no_color, quiet, 0)
    }

    /// A printer from the global settings: `--color`, `NO_COLOR`, `-q`, `-v` (count).
    pub fn with(color: ColorChoice, no_color: bool, quiet: bool, verbose: u8) -> Self {
        use std::io::IsTerminal;
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Self {
            color,
            quiet,
            verbose,
        }
    }

    /// Whether `-q` was given (progress lines and warnings are not printed).
    pub fn is_quiet(self) -> bool {
        self.quiet
    }

    /// How many `-v` were given.
    pub fn verbosity(self) -> u8 {
        self.verbose
    }

    /// Whether colours are on.
    pub fn color(self) -> bool {
        self.color
    }

    fn line(self, label: &str, paint: fn(&str) -> String, message: &dyn Display) {
        let mut err = std::io::stderr().lock();
        let label = if self.color {
            paint(label)
        } else {
            label.to_string()
        };
        let _ = writeln!(err, "{label}: {message}");
    }

    /// A progress or summary line (suppressed by `-q`).
    pub fn info(self, message: impl Display) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{message}");
        }
    }

    /// A line shown only with `-v`.
    pub fn verbose(self, message: impl Display) {
        if self.verbose > 0 && !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{message}");
        }
    }

    /// `warning: MESSAGE` (suppressed by `-q`).
    pub fn warn(self, message: impl Display) {
        if !self.quiet {
            self.line("warning", |s| s.yellow().bold().to_string(), &message);
        }
    }

    /// `warning: MESSAGE` then one `  Caused by: …` line per source in the chain (suppressed
    /// by `-q`): a problem that does not stop the command but whose cause matters (a
    /// permission denied).
    pub fn warn_error(self, error: &(dyn std::error::Error + 'static)) {
        if self.quiet {
            return;
        }
        self.warn(error);
        let mut err = std::io::stderr().lock();
        let mut source = error.source();
        while let Some(cause) = source {
            let _ = writeln!(err, "  Caused by: {cause}");
            source = cause.source();
        }
    }

    /// `hint: MESSAGE`.
    pub fn hint(self, message: impl Display) {
        self.line("hint", |s| s.cyan().bold().to_string(), &message);
    }

    /// `error: MESSAGE` then one `  Caused by: …` line per source in the chain.
    pub fn error(self, error: &(dyn std::error::Error + 'static)) {
        self.line("error", |s| s.red().bold().to_string(), &error);
        let mut err = std::io::stderr().lock();
        let mut source = error.source();
        while let Some(cause) = source {
            let _ = writeln!(err, "  Caused by: {cause}");
            source = cause.source();
        }
    }

    /// `error: MESSAGE` for a plain message.
    pub fn error_message(self, message: impl Display) {
        self.line("error", |s| s.red().bold().to_string(), &message);
    }

    /// Reports a failed command (error, causes, diagnostics, hint) and returns its status.
    pub fn report(self, error: &Error) -> ExitStatus {
        self.error(&*error.error);
        for diagnostic in &error.diagnostics {
            match diagnostic {
                Diagnostic::Detail(line) => {
                    let _ = writeln!(std::io::stderr().lock(), "  {line}");
                }
                Diagnostic::Hint(hint) => self.hint(hint),
            }
        }
        if let Some(hint) = &error.hint {
            self.hint(hint);
        }
        error.status
    }
}

/// `count` and `noun`, plural unless `count` is 1, ex) `1 package`, `3 packages`.
pub fn plural<T: std::fmt::Display + PartialEq + From<u8> + Copy>(count: T, noun: &str) -> String {
    if count == T::from(1) {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::plural;

    /// Issue 18 §3: "1 package", not "1 packages", for every count type printed.
    #[test]
    fn plural_is_singular_for_one() {
        assert_eq!(plural(1_usize, "package"), "1 package");
        assert_eq!(plural(0_usize, "package"), "0 packages");
        assert_eq!(plural(1_u64, "unpacked wheel"), "1 unpacked wheel");
        assert_eq!(plural(3_u64, "inode"), "3 inodes");
    }
}
