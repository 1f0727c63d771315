//! `wharf serve`: the site's wheelhouse as a package index (Simple API) and a browsable page.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use wharf_site::{PythonVersion, SiteEnv, available_pythons};

use crate::error::Error;
use crate::settings::GlobalArgs;
use crate::{ExitStatus, Printer};

/// `wharf serve` arguments.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; the default is loopback only (0.0.0.0:PORT exposes the index to the network)
    #[arg(long, default_value = "127.0.0.1:8000", value_name = "ADDRESS:PORT")]
    pub bind: SocketAddr,
    /// Serve only wheels for these Python versions [default: every wheel]
    #[arg(short = 'p', long, num_args = 1.., value_name = "X.Y")]
    pub python: Vec<String>,
    /// Serve only the find-links directories of these archs (x86-64-v3, generic, …) [default: all]
    #[arg(short = 'a', long, num_args = 1.., value_name = "ARCH")]
    pub arch: Vec<String>,
    /// Also list manylinux wheels, which the site's `_manylinux` policy refuses (uv ignores that policy, so they are hidden by default)
    #[arg(long)]
    pub allow_manylinux: bool,
    /// Log each request as a JSON line on stderr instead of text
    #[arg(long)]
    pub json_log: bool,
    /// Seconds a client has to send a request's headers, else it is disconnected
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub header_timeout: f64,
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Runs `wharf serve` until SIGINT or SIGTERM.
pub fn serve(args: &ServeArgs, site: &SiteEnv, printer: Printer) -> Result<ExitStatus, Error> {
    let mut pythons = Vec::new();
    for text in &args.python {
        let python = text.parse::<PythonVersion>().map_err(|_| {
            Error::usage(
                format!("invalid value `{text}` for '--python'"),
                Some("give a Python version as MAJOR.MINOR, e.g. `--python 3.11`".to_string()),
            )
        })?;
        pythons.push(python);
    }
    let all_links = crate::commands::avail::search_paths(site, printer);
    let find_links = if args.arch.is_empty() {
        all_links
    } else {
        let known: Vec<&str> = all_links.iter().map(|l| l.arch.as_str()).collect();
        if let Some(bad) = args.arch.iter().find(|a| !known.contains(&a.as_str())) {
            return Err(Error::usage(
                format!("invalid value `{bad}` for '--arch'"),
                Some(format!(
                    "the archs are the find-links directories' names: {}",
                    known.join(", ")
                )),
            ));
        }
        all_links.filter_archs(&args.arch)
    };
    if !(args.header_timeout.is_finite() && args.header_timeout > 0.0) {
        return Err(Error::usage(
            format!(
                "invalid value `{}` for '--header-timeout'",
                args.header_timeout
            ),
            Some("give a positive number of seconds".to_string()),
        ));
    }
    let page_pythons = if pythons.is_empty() {
        available_pythons(site.python_dirs())
    } else {
        pythons.clone()
    };
    let options = wharf_serve::ServeOptions {
        bind: args.bind,
        find_links,
        pythons,
        page_pythons,
        allow_manylinux: args.allow_manylinux,
        index_dir: site.catalogue_index_dir(),
        threads: site.threads(),
        json_log: args.json_log,
        header_timeout: Duration::from_secs_f64(args.header_timeout),
    };
    let bind = args.bind;
    wharf_serve::serve(options).map_err(|error| {
        let hint = match &error {
            wharf_serve::ServeError::Bind { .. } => Some(format!(
                "is another server on {bind}? choose another port with `--bind {}:PORT`",
                bind.ip()
            )),
            wharf_serve::ServeError::Runtime(_) => None,
        };
        Error::new(error, hint, ExitStatus::Error)
    })?;
    Ok(ExitStatus::Success)
}
