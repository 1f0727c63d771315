//! `wharf cache dir | size | clean [PKG] | prune`, like `uv cache`: where the cache is, what
//! it costs in bytes and inodes (users' `$HOME` and `/project` have inode quotas), and how to
//! shrink it safely while another wharf runs.

use std::str::FromStr;

use clap::{Args, Subcommand};
use pep508_rs::PackageName;
use wharf_install::{CacheError, WheelCache};
use wharf_site::SiteEnv;

use crate::commands::write_stdout;
use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// The caches below the root besides the wheels: the catalogue index and interpreter probes.
const OTHER_CACHES: [&str; 2] = ["catalogue-v1", "interpreters"];

/// `wharf cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory [$WHARF_CACHE_DIR, else $XDG_CACHE_HOME/wharf, else ~/.cache/wharf]
    Dir(CacheArgs),
    /// Print the cache's size on disk in bytes and its inode count
    Size {
        /// Print a JSON object {"path", "bytes", "inodes", "entries"}
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        args: CacheArgs,
    },
    /// Remove every cache entry, or only the unpacked wheels of the named packages
    Clean {
        /// Packages whose unpacked wheels to remove [default: the whole cache]
        #[arg(value_name = "PACKAGE")]
        packages: Vec<String>,
        #[command(flatten)]
        args: CacheArgs,
    },
    /// Remove unpacked wheels that no environment links to, and leftovers of interrupted runs
    Prune(CacheArgs),
}

/// Options of every `wharf cache` subcommand.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Wait for other wharf processes using the cache instead of refusing
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl CacheCommand {
    /// The command's global options.
    pub fn global(&self) -> &GlobalArgs {
        match self {
            Self::Dir(args)
            | Self::Prune(args)
            | Self::Size { args, .. }
            | Self::Clean { args, .. } => &args.global,
        }
    }
}

impl From<CacheError> for Error {
    fn from(error: CacheError) -> Self {
        let busy = matches!(error, CacheError::Busy { .. });
        Self::new(
            error,
            busy.then(|| "pass `--wait` to wait for it".to_string()),
            if busy {
                ExitStatus::Failure
            } else {
                ExitStatus::Error
            },
        )
    }
}

/// Runs `wharf cache …`.
pub fn cache(
    command: &CacheCommand,
    site: &SiteEnv,
    printer: Printer,
) -> Result<ExitStatus, Error> {
    // `cache dir` names the directory even under WHARF_NO_CACHE.
    let Some(root) = site.vars.cache_root() else {
        return Err(Error::usage(
            "no cache directory: none of WHARF_CACHE_DIR, XDG_CACHE_HOME, HOME is set",
            Some("set WHARF_CACHE_DIR".to_string()),
        ));
    };
    let wheels = WheelCache::new(&root);
    match command {
        CacheCommand::Dir(_) => Ok(write_stdout(format!("{}\n", root.display()).as_bytes())),
        CacheCommand::Size { json, .. } => {
            let size = wheels.size()?;
            let out = if *json {
                format!(
                    "{}\n",
                    serde_json::json!({
                        "path": root.display().to_string(),
                        "bytes": size.bytes,
                        "inodes": size.inodes,
                        "entries": size.entries,
                    })
                )
            } else {
                format!(
                    "{} bytes ({}), {} inodes, {} unpacked wheels\n",
                    size.bytes,
                    human_bytes(size.bytes),
                    size.inodes,
                    size.entries
                )
            };
            Ok(write_stdout(out.as_bytes()))
        }
        CacheCommand::Clean { packages, args } => {
            if packages.is_empty() {
                let before = wheels.size()?;
                let removed = wheels.clean(None, args.wait)?;
                for name in OTHER_CACHES {
                    let path = root.join(name);
                    match fs_err::remove_dir_all(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(Error::new(e, None, ExitStatus::Error)),
                    }
                }
                let after = wheels.size()?;
                printer.info(format_args!(
                    "Removed {}, the catalogue index and interpreter probes: {} freed, {}",
                    crate::printer::plural(removed.entries, "unpacked wheel"),
                    human_bytes(before.bytes.saturating_sub(after.bytes)),
                    crate::printer::plural(before.inodes.saturating_sub(after.inodes), "inode")
                ));
                return Ok(ExitStatus::Success);
            }
            for text in packages {
                let name = PackageName::from_str(text).map_err(|e| {
                    Error::usage(format!("invalid package name `{text}`: {e}"), None)
                })?;
                let removed = wheels.clean(Some(&name), args.wait)?;
                printer.info(format_args!(
                    "Removed {} of {name} ({} freed, {})",
                    crate::printer::plural(removed.entries, "unpacked wheel"),
                    human_bytes(removed.bytes),
                    crate::printer::plural(removed.inodes, "inode")
                ));
            }
            Ok(ExitStatus::Success)
        }
        CacheCommand::Prune(args) => {
            let removed = wheels.prune(args.wait)?;
            printer.info(format_args!(
                "Removed {} no environment links to and {} ({} freed, {})",
                crate::printer::plural(removed.entries, "unpacked wheel"),
                crate::printer::plural(removed.temporary, "leftover"),
                human_bytes(removed.bytes),
                crate::printer::plural(removed.inodes, "inode")
            ));
            Ok(ExitStatus::Success)
        }
    }
}

/// `1.5 GiB`, `320.0 KiB`, `12 B`.
#[allow(clippy::cast_precision_loss)]
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
