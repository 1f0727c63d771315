//! The environment lock: a lock *file* that works on NFS and Lustre (no `flock`).
//!
//! `{purelib}/.wharf-lock` is created with `O_CREAT|O_EXCL` (atomic on local filesystems,
//! NFSv3 and later, Lustre) and holds `host pid start-time nonce`. Whoever created it holds
//! the environment; it is removed when the [`EnvironmentLock`] is dropped (only if it is
//! still ours). While held, a heartbeat thread touches the file's modification time every
//! [`HEARTBEAT`].
//!
//! Waiting is a loop with backoff (10 ms doubling to 1 s). The lock is broken only when
//! stale:
//!
//! - held on *this* host by a process that is gone (no `/proc/{pid}`, or a different start
//!   time: the pid was reused) — at once;
//! - empty (its creator died before writing its line): when it stays empty for
//!   [`EMPTY_STALE_AFTER`];
//! - held on *another* host (or unreadable): when neither its content nor its modification
//!   time has changed for [`FOREIGN_STALE_AFTER`] as measured by the waiter's own clock (no
//!   clock comparison across nodes), i.e. its heartbeat stopped: the node died. The caller
//!   is told who held it.
//!
//! Traps: two waiters breaking the same stale lock at once race; the breaker renames the
//! stale file aside and checks that it renamed the content it judged stale, and puts a
//! fresh lock it took by mistake back. A filesystem where `O_EXCL` is not atomic (NFSv2)
//! cannot be locked this way.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

/// File name of the lock, inside purelib.
pub(crate) const LOCK_NAME: &str = ".wharf-lock";
/// How often the holder touches the lock file.
pub(crate) const HEARTBEAT: Duration = Duration::from_secs(10);
/// How long a lock of another host must stay unchanged to be judged stale.
pub(crate) const FOREIGN_STALE_AFTER: Duration = Duration::from_mins(10);
/// How long an *empty* lock file must stay empty to be judged stale: its creator writes its
/// line right after creating it, so it died in between.
pub(crate) const EMPTY_STALE_AFTER: Duration = Duration::from_secs(5);

/// Who holds (or held) a lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Host name of the holder, ex) `node0123`.
    pub host: String,
    /// Process id of the holder on that host.
    pub pid: u32,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} on host {}", self.pid, self.host)
    }
}

/// What happened while acquiring the lock, for the caller to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockEvent {
    /// The lock is held by a live process: waiting for it.
    Waiting(LockHolder),
    /// A stale lock was removed: its holder died (same host) or stopped its heartbeat
    /// (another host).
    Broken(LockHolder),
}

/// A held environment lock; released (the file removed) on drop.
#[derive(Debug)]
pub(crate) struct EnvironmentLock {
    path: PathBuf,
    content: String,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn parse(content: &str) -> Option<(LockHolder, u64)> {
    let mut fields = content.split_whitespace();
    let host = fields.next()?.to_string();
    let pid = fields.next()?.parse().ok()?;
    let start = fields.next()?.parse().ok()?;
    Some((LockHolder { host, pid }, start))
}

/// Whether the holder of `content` is known to be gone (only decidable on this host).
fn dead_here(content: &str, host: &str) -> bool {
    match parse(content) {
        Some((holder, start)) if holder.host == host => {
            match wharf_fs::process_start_time(holder.pid) {
                None => true,
                Some(now) => now != 0 && start != 0 && now != start,
            }
        }
        _ => false,
    }
}

/// Name prefix of the temporary file a lock is written to before it is linked into place.
const TEMPORARY_PREFIX: &str = ".wharf-lock.tmp-";

/// Puts `content` at `path` unless a lock is there (`Ok(false)`). The line is written and
/// fsync'd into `temporary` first, then hard-linked to `path` (atomic and exclusive, also on
/// NFS), so a lock file is never seen empty, whenever its creator dies; where the filesystem
/// has no hard links, `O_CREAT|O_EXCL` then the write.
fn create_lock(path: &Path, content: &str, temporary: &Path) -> io::Result<bool> {
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temporary)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())?;
            file.sync_all()
        });
    if let Err(error) = written {
        let _ = std::fs::remove_file(temporary);
        return Err(error);
    }
    let linked = std::fs::hard_link(temporary, path);
    let _ = std::fs::remove_file(temporary);
    match linked {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::Unsupported | io::ErrorKind::PermissionDenied
            ) =>
        {
            create_exclusive(path, content)
        }
        // NFS may make the link and lose the reply: the lock is ours if it holds our line.
        Err(error) => match read(path)? {
            Some((current, _)) if current == content => Ok(true),
            _ => Err(error),
        },
    }
}

/// `O_CREAT|O_EXCL`, then the line (the fallback of [`create_lock`]).
fn create_exclusive(path: &Path, content: &str) -> io::Result<bool> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut file) => {
            let written = file
                .write_all(content.as_bytes())
                .and_then(|()| file.sync_all());
            if let Err(error) = written {
                let _ = std::fs::remove_file(path);
                return Err(error);
            }
            Ok(true)
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(error) => Err(error),
    }
}

/// Removes the lock temporaries in `directory` left by processes of this host that died
/// between writing and linking them (`.wharf-lock.tmp-{host}-{pid}-{start}-{nonce}`).
///
/// Errors: `directory` cannot be listed (a missing one has none).
pub(crate) fn remove_dead_temporaries(directory: &Path) -> io::Result<()> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    let host = host_name();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMPORARY_PREFIX)) else {
            continue;
        };
        let mut fields = rest.rsplitn(4, '-');
        let (Some(_nonce), Some(start), Some(pid), Some(owner)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if owner == host && dead_here(&format!("{owner} {pid} {start}"), &host) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

fn read(path: &Path) -> io::Result<Option<(String, Option<SystemTime>)>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut content = String::new();
    // A lock file is one short line; more is not ours.
    Read::by_ref(&mut file)
        .take(4096)
        .read_to_string(&mut content)?;
    let modified = file.metadata().and_then(|m| m.modified()).ok();
    Ok(Some((content, modified)))
}

impl EnvironmentLock {
    /// Takes the lock of `directory`. With `wait`, waits (backoff) while a live process
    /// holds it; without, returns `Ok(None)` then. Stale locks are broken (see the module
    /// docs); `report` hears about waiting and breaking. A raised `cancel` stops the wait
    /// with an `Interrupted` error.
    pub(crate) fn acquire(
        directory: &Path,
        wait: bool,
        cancel: Option<&AtomicBool>,
        report: &dyn Fn(LockEvent),
    ) -> io::Result<Option<Self>> {
        let path = directory.join(LOCK_NAME);
        let host = host_name();
        let pid = std::process::id();
        let nonce = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        let content = format!(
            "{host} {pid} {} {nonce}\n",
            wharf_fs::process_start_time(pid).unwrap_or(0)
        );
        let mut delay = Duration::from_millis(10);
        let mut reported = false;
        // The content and mtime last seen, and since when (our clock) they have not changed.
        let mut seen: Option<(String, Option<SystemTime>, Instant)> = None;
        loop {
            let temporary = directory.join(format!(
                "{TEMPORARY_PREFIX}{host}-{pid}-{}-{nonce}",
                wharf_fs::process_start_time(pid).unwrap_or(0)
            ));
            match create_lock(&path, &content, &temporary) {
                Ok(true) => return Ok(Some(Self::held(path, content))),
                Ok(false) => {}
                Err(error) => {
                    return Err(io::Error::new(
                        error.kind(),
                        format!(
                            "failed to create the lock file `{}`: {error}",
                            path.display()
                        ),
                    ));
                }
            }
            let Some((current, modified)) = read(&path)? else {
                continue;
            };
            let holder = parse(&current).map_or_else(
                || LockHolder {
                    host: "?".to_string(),
                    pid: 0,
                },
                |(holder, _)| holder,
            );
            let unchanged_since = match &seen {
                Some((content, time, since)) if *content == current && *time == modified => *since,
                _ => {
                    let now = Instant::now();
                    seen = Some((current.clone(), modified, now));
                    now
                }
            };
            let stale = dead_here(&current, &host)
                || (holder.host != host && unchanged_since.elapsed() >= FOREIGN_STALE_AFTER)
                || (current.is_empty() && unchanged_since.elapsed() >= EMPTY_STALE_AFTER)
                || (parse(&current).is_none() && unchanged_since.elapsed() >= FOREIGN_STALE_AFTER);
            if stale {
                if break_stale(&path, &current)? {
                    report(LockEvent::Broken(holder));
                }
                seen = None;
                continue;
            }
            if !wait {
                return Ok(None);
            }
            if cancel.is_some_and(|flag| flag.load(Ordering::Relaxed)) {
                return Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "cancelled while waiting for the environment lock",
                ));
            }
            if !reported {
                report(LockEvent::Waiting(holder));
                reported = true;
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }

    fn held(path: PathBuf, content: String) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let touched = path.clone();
        let heartbeat = std::thread::Builder::new()
            .name("wharf-lock-heartbeat".to_string())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(HEARTBEAT) {
                    if let Ok(file) = std::fs::File::options().write(true).open(&touched) {
                        let _ = file.set_modified(SystemTime::now());
                    }
                }
            })
            .ok();
        Self {
            path,
            content,
            stop: Some(stop),
            heartbeat,
        }
    }
}

/// Removes the stale lock `path` if it still holds `stale`; `true` when it did.
fn break_stale(path: &Path, stale: &str) -> io::Result<bool> {
    let aside = path.with_file_name(format!(
        "{LOCK_NAME}.stale-{}-{}",
        host_name(),
        std::process::id()
    ));
    match std::fs::rename(path, &aside) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(error),
    }
    let moved = read(&aside)?.map(|(content, _)| content);
    if moved.as_deref() == Some(stale) {
        std::fs::remove_file(&aside)?;
        Ok(true)
    } else {
        // Another waiter broke it first and took a fresh lock: give it back.
        let _ = std::fs::hard_link(&aside, path);
        let _ = std::fs::remove_file(&aside);
        Ok(false)
    }
}

impl Drop for EnvironmentLock {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(heartbeat) = self.heartbeat.take() {
            let _ = heartbeat.join();
        }
        if let Ok(Some((content, _))) = read(&self.path)
            && content == self.content
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_waits_until_the_first_is_dropped() {
        let root = tempfile::tempdir().unwrap();
        let first = EnvironmentLock::acquire(root.path(), true, None, &|_| {})
            .unwrap()
            .unwrap();
        let content = std::fs::read_to_string(root.path().join(LOCK_NAME)).unwrap();
        assert!(content.starts_with(&format!("{} {} ", host_name(), std::process::id())));
        assert!(
            EnvironmentLock::acquire(root.path(), false, None, &|_| {})
                .unwrap()
                .is_none()
        );
        let directory = root.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let events = std::sync::Mutex::new(Vec::new());
            let lock = EnvironmentLock::acquire(&directory, true, None, &|event| {
                events.lock().unwrap().push(event);
            })
            .unwrap();
            (lock.is_some(), events.into_inner().unwrap())
        });
        std::thread::sleep(Duration::from_millis(100));
        drop(first);
        let (acquired, events) = waiter.join().unwrap();
        assert!(acquired);
        assert!(
            matches!(events.as_slice(), [LockEvent::Waiting(holder)] if holder.pid == std::process::id())
        );
        assert!(!root.path().join(LOCK_NAME).exists());
    }

    #[test]
    fn a_lock_of_a_dead_process_on_this_host_is_broken() {
        let root = tempfile::tempdir().unwrap();
        // A pid that cannot be alive (above the kernel's pid_max).
        let dead = format!("{} 4194305 12345 1\n", host_name());
        std::fs::write(root.path().join(LOCK_NAME), &dead).unwrap();
        let events = std::sync::Mutex::new(Vec::new());
        let lock = EnvironmentLock::acquire(root.path(), false, None, &|event| {
            events.lock().unwrap().push(event);
        })
        .unwrap();
        assert!(lock.is_some());
        assert_eq!(
            events.into_inner().unwrap(),
            [LockEvent::Broken(LockHolder {
                host: host_name(),
                pid: 4_194_305
            })]
        );
    }

    #[test]
    fn a_live_lock_of_another_host_is_waited_for() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(LOCK_NAME), "some-other-node 1 1 1\n").unwrap();
        let cancel = AtomicBool::new(false);
        assert!(
            EnvironmentLock::acquire(root.path(), false, Some(&cancel), &|_| {})
                .unwrap()
                .is_none()
        );
        cancel.store(true, Ordering::Relaxed);
        let error =
            EnvironmentLock::acquire(root.path(), true, Some(&cancel), &|_| {}).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::Interrupted);
        assert!(root.path().join(LOCK_NAME).exists());
    }
}
