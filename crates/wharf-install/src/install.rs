//! Installing wheels (and removing installed distributions) as one transaction.
//!
//! Implements the installation half of the binary distribution format (PEP 427) and the
//! recording installed projects specification; the steps and the transaction's guarantee
//! are described in the crate documentation. One module per step, each depending only on
//! the ones before it: `plan` (what to do, options, errors) → `extract` (archive members
//! to files) → `stage` (a wheel's tree under the transaction, from the cache or the
//! archive) → `compile` (bytecode); `commit` (removals, staged trees moved into the
//! environment, through the journal of `crate::transaction`). This module runs them.

mod commit;
mod compile;
mod extract;
mod plan;
mod stage;

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::PathBuf;

use rayon::prelude::*;

use self::commit::{Removal, installed_dist_infos, merge};
use self::plan::cancelled;
pub use self::plan::{
    CacheStats, InstallError, InstallEvent, InstallOptions, InstallOutput, InstalledWheel, Plan,
    ProgressSink, RemovedDist, WheelInstall,
};
use self::stage::{CacheSession, StageRoot, StagedWheel, stage_wheel, write_record};
use crate::installed::{InstalledDist, normalized_name};
use crate::layout::{Layout, Scheme};
use crate::lock::LockEvent;
use crate::transaction::{Transaction, failpoint};

/// Installs `wheels` (removing installed versions of the same projects) as one transaction.
/// Shorthand for [`install()`] with a plan that removes nothing explicitly.
pub fn install_wheels(
    wheels: &[WheelInstall],
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstallOutput, InstallError> {
    install(
        &Plan {
            remove: Vec::new(),
            install: wheels.to_vec(),
        },
        layout,
        options,
    )
}

/// Applies `plan` to the environment described by `layout` as one transaction: removes the
/// distributions in `plan.remove` (and any installed version of a project being installed),
/// then installs the wheels of `plan.install` (PEP 427 installation, `RECORD`, `INSTALLER`,
/// `REQUESTED`, entry point launchers; see the crate docs, "Installing").
///
/// Errors: any [`InstallError`]; the environment is then as it was before the call (see the
/// crate docs, "Guarantee and its limits"), except for
/// [`InstallError::RollbackFailed`].
pub fn install(
    plan: &Plan,
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstallOutput, InstallError> {
    let layout = layout.absolute()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .build()
        .map_err(|error| io::Error::other(error.to_string()))?;
    let cancel = options.cancel.as_deref();
    let report = |event: LockEvent| {
        if let Some(progress) = &options.progress {
            progress.emit(InstallEvent::Lock(event));
        }
    };
    let (transaction, recovered) = match Transaction::begin(&layout.purelib, cancel, &report) {
        Ok(begun) => begun,
        Err(error) if error.kind() == io::ErrorKind::Interrupted => {
            return Err(InstallError::Cancelled);
        }
        Err(error) => return Err(error.into()),
    };
    let mut output = InstallOutput {
        recovered,
        ..InstallOutput::default()
    };
    let mut transaction = Some(transaction);
    let result = pool.install(|| {
        run(
            plan,
            &layout,
            options,
            transaction.as_mut().expect("transaction is open"),
            &mut output,
        )
    });
    let transaction = transaction.take().expect("transaction is open");
    match result {
        Ok(()) => {
            output.warnings.extend(transaction.commit()?);
            Ok(output)
        }
        Err(cause) => {
            let directory = transaction.directory().to_path_buf();
            match transaction.rollback() {
                Ok(()) => Err(cause),
                Err(errors) => Err(InstallError::RollbackFailed {
                    cause: Box::new(cause),
                    errors,
                    transaction: directory,
                }),
            }
        }
    }
}

fn run(
    plan: &Plan,
    layout: &Layout,
    options: &InstallOptions,
    transaction: &mut Transaction,
    output: &mut InstallOutput,
) -> Result<(), InstallError> {
    // 0. The plan was made without the lock: check, under it, that it still fits.
    if let Some(expected) = &options.expected {
        let now = crate::InstalledSnapshot::scan([&layout.purelib, &layout.platlib])?;
        if now != *expected {
            return Err(InstallError::EnvironmentChanged {
                changes: now.changes_since(expected),
            });
        }
    }
    let stage = transaction.stage();
    // 1. Stage every wheel, in parallel (the biggest first, so that none is left alone at
    // the end; each is parallel inside too).
    let session = options
        .cache
        .as_ref()
        .map(|cache| CacheSession::new(cache, &layout.purelib, options));
    let mut order: Vec<(usize, u64)> = plan
        .install
        .iter()
        .enumerate()
        .map(|(index, wheel)| {
            let size = std::fs::metadata(&wheel.path).map_or(0, |metadata| metadata.len());
            (index, size)
        })
        .collect();
    order.sort_by_key(|&(index, size)| (std::cmp::Reverse(size), index));
    let emit = |event| {
        if let Some(progress) = &options.progress {
            progress.emit(event);
        }
    };
    emit(InstallEvent::Started {
        wheels: order.len(),
        bytes: order.iter().map(|&(_, size)| size).sum(),
    });
    let staged_in_order: Vec<(usize, StagedWheel)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&(index, size)| {
            if cancelled(options) {
                return Err(InstallError::Cancelled);
            }
            let wheel = &plan.install[index];
            let root = StageRoot {
                stage: stage.clone(),
                index,
            };
            let staged = stage_wheel(wheel, root, layout, options, session.as_ref())
                .map(|staged| (index, staged));
            emit(InstallEvent::WheelStaged { bytes: size });
            staged
        })
        .collect::<Result<_, _>>()?;
    let mut staged: Vec<Option<StagedWheel>> = (0..plan.install.len()).map(|_| None).collect();
    for (index, wheel) in staged_in_order {
        staged[index] = Some(wheel);
    }
    let mut staged: Vec<StagedWheel> = staged.into_iter().flatten().collect();
    for (wheel, install) in staged.iter().zip(&plan.install) {
        if !wheel.stale.is_empty() {
            output
                .notes
                .push(crate::verify::stale_note(&install.path, &wheel.stale));
        }
    }
    if let Some(session) = &session {
        // Digests learnt while staging: kept for the next install (a cache that cannot be
        // written only costs time).
        let _ = session.digests.save();
        output.cache = session.stats();
        output.warnings.extend(
            session
                .warnings
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .drain(..),
        );
    }
    let mut projects: HashMap<String, usize> = HashMap::new();
    for (index, wheel) in staged.iter().enumerate() {
        if let Some(&first) = projects.get(&normalized_name(&wheel.name)) {
            return Err(InstallError::DuplicateProject {
                name: wheel.name.clone(),
                first: plan.install[first].path.clone(),
                second: plan.install[index].path.clone(),
            });
        }
        projects.insert(normalized_name(&wheel.name), index);
    }
    if cancelled(options) {
        return Err(InstallError::Cancelled);
    }
    if options.compile {
        emit(InstallEvent::Compiling);
        compile::compile(&mut staged, layout, options)?;
    }
    for wheel in &mut staged {
        write_record(wheel)?;
    }
    failpoint!("install::after-stage");

    // 2. Decide what to remove, reading every RECORD before anything moves.
    let mut removals: Vec<Removal> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for dist in &plan.remove {
        if seen.insert(dist.path.clone()) {
            removals.push(Removal::plan(dist, layout, &mut output.warnings)?);
        }
    }
    let installing: HashSet<String> = staged
        .iter()
        .map(|wheel| normalized_name(&wheel.name))
        .collect();
    let mut lib_dirs = vec![layout.purelib.clone()];
    if layout.platlib != layout.purelib {
        lib_dirs.push(layout.platlib.clone());
    }
    for lib_dir in &lib_dirs {
        for dist_info in installed_dist_infos(lib_dir, &installing)? {
            if seen.insert(dist_info.clone()) {
                let dist = InstalledDist::read(&dist_info)?;
                removals.push(Removal::plan(&dist, layout, &mut output.warnings)?);
            }
        }
    }

    // 3. Plan the commit (removals, then the staged trees moved into place), journal it
    // whole, then apply it.
    emit(InstallEvent::Committing);
    for removal in &removals {
        if cancelled(options) {
            return Err(InstallError::Cancelled);
        }
        let paths = removal.plan_into(transaction, layout)?;
        output.removed.push(RemovedDist {
            name: removal.name.clone(),
            version: removal.version.clone(),
            dist_info: removal.dist_info.clone(),
            paths,
        });
    }
    for wheel in &staged {
        for scheme in Scheme::ALL {
            let source = wheel.root.scheme(scheme);
            if !source.exists() {
                continue;
            }
            let target = scheme.target(layout, &wheel.name);
            transaction.make_directory_all(&target);
            merge(transaction, &source, &target, options)?;
        }
        output.installed.push(InstalledWheel {
            name: wheel.name.clone(),
            version: wheel.version.clone(),
            dist_info: wheel.lib_dir.join(&wheel.dist_info),
            files: wheel.records.len(),
        });
    }
    if cancelled(options) {
        return Err(InstallError::Cancelled);
    }
    transaction.write_journal()?;
    match transaction.apply(options.cancel.as_deref()) {
        Err(error) if error.kind() == io::ErrorKind::Interrupted => Err(InstallError::Cancelled),
        Err(error) => Err(error.into()),
        Ok(()) if cancelled(options) => Err(InstallError::Cancelled),
        Ok(()) => Ok(()),
    }
}

/// Uninstalls `dists` as one transaction: every file in their `RECORD`s (and each `.py`
/// file's `__pycache__` entries), their `.dist-info` directories, and the directories this
/// leaves empty (never a scheme directory of `layout` or one of its ancestors). Paths of a
/// `RECORD` outside the scheme directories are left alone, with a warning.
///
/// Errors: as [`crate::install()`]; on error nothing is removed.
pub fn uninstall(
    dists: &[InstalledDist],
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstallOutput, InstallError> {
    install(
        &Plan {
            remove: dists.to_vec(),
            install: Vec::new(),
        },
        layout,
        options,
    )
}
