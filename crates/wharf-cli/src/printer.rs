//! The one channel for everything that is not data: warnings, errors and hints go to
//! stderr, coloured only on a terminal and never under `NO_COLOR`.

use std::fmt::Display;
use std::io::Write;

use owo_colors::OwoColorize;

/// Writes diagnostics to stderr: `warning: …`, `error: …`, `  Caused by: …`, `hint: …`.
#[derive(Clone, Copy, Debug)]
pub struct Printer {
    color: bool,
    quiet: bool,
}

impl Printer {
    /// A printer for stderr; `no_color` is the `NO_COLOR` setting.
    pub fn new(no_color: bool, quiet: bool) -> Self {
        use std::io::IsTerminal;
        Self {
            color: !no_color && std::io::stderr().is_terminal(),
            quiet,
        }
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

    /// `warning: MESSAGE` (suppressed by `-q`).
    pub fn warn(self, message: impl Display) {
        if !self.quiet {
            self.line("warning", |s| s.yellow().bold().to_string(), &message);
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
}
