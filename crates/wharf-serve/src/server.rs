//! The HTTP side: routes, the request log, limits on slow and oversized requests, and the
//! accept loop with graceful shutdown on SIGINT/SIGTERM.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt as _;

use crate::files;
use crate::simple::{self, Format};
use crate::state::{Rendered, Site};
use crate::{ServeError, ServeOptions};

/// Longest request target accepted (longer: 414).
const MAX_URI_BYTES: usize = 4096;
/// hyper's read buffer: a request head (line and headers) larger than this is refused (431).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A message of the server (not a request log line) on stderr.
pub(crate) fn note(message: &str) {
    let line = format!("wharf serve: {message}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// The peer of a connection, put in each request's extensions.
#[derive(Clone, Copy, Debug)]
struct Peer(SocketAddr);

type Shared = Arc<Site>;

fn router(site: Shared) -> Router {
    Router::new()
        .route("/", get(crate::page::page))
        .route("/simple", get(|| async { moved("/simple/") }))
        .route("/simple/", get(index))
        .route("/simple/{name}", get(project_without_slash))
        .route("/simple/{name}/", get(project))
        .route("/files/{*path}", get(file))
        .fallback(|| async { files::error(StatusCode::NOT_FOUND) })
        .layer(middleware::from_fn_with_state(site.clone(), log))
        .with_state(site)
}

/// A 301 to `location` (PEP 503: other spellings of a name redirect to the normalized one).
fn moved(location: &str) -> Response {
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, location)],
    )
        .into_response()
}

fn negotiated(headers: &HeaderMap) -> Option<Format> {
    simple::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()))
}

fn rendered_response(rendered: &Rendered, format: Format) -> Response {
    let body = match format {
        Format::Json => rendered.json.clone(),
        Format::Html | Format::TextHtml => rendered.html.clone(),
    };
    (
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::VARY, "Accept"),
            (header::CACHE_CONTROL, "max-age=0, must-revalidate"),
        ],
        body,
    )
        .into_response()
}

async fn index(State(site): State<Shared>, headers: HeaderMap) -> Response {
    let Some(format) = negotiated(&headers) else {
        return files::error(StatusCode::NOT_ACCEPTABLE);
    };
    rendered_response(&site.snapshot().index, format)
}

async fn project_without_slash(Path(name): Path<String>) -> Response {
    moved(&format!("/simple/{}/", simple::normalize(&name)))
}

async fn project(
    State(site): State<Shared>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let normalized = simple::normalize(&name);
    if normalized != name {
        if normalized.is_empty() {
            return files::error(StatusCode::NOT_FOUND);
        }
        return moved(&format!("/simple/{normalized}/"));
    }
    let Some(format) = negotiated(&headers) else {
        return files::error(StatusCode::NOT_ACCEPTABLE);
    };
    let snapshot = site.snapshot();
    if let Some(rendered) = snapshot.pages.lock().expect("not poisoned").get(&name) {
        return rendered_response(rendered, format);
    }
    if !snapshot.projects.contains_key(&name) {
        return files::error(StatusCode::NOT_FOUND);
    }
    // First request of the project in this snapshot: its files' facts (hashing what is not
    // cached yet) off the async workers.
    let site_for_work = site.clone();
    let snapshot_for_work = snapshot.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let project = &snapshot_for_work.projects[&name];
        let infos: Vec<_> = project
            .files
            .iter()
            .map(|&i| {
                // A file whose real path leaves the find-links directories is never read.
                let path = &snapshot_for_work.catalogue.entries[i].path;
                let real = std::fs::canonicalize(path).ok()?;
                if !files::inside(&real, &snapshot_for_work.roots) {
                    return None;
                }
                site_for_work.hashes.info(path).ok()
            })
            .collect();
        let rendered = simple::render_project(&snapshot_for_work, &name, &project.files, &infos);
        snapshot_for_work
            .pages
            .lock()
            .expect("not poisoned")
            .insert(name, rendered.clone());
        rendered
    })
    .await;
    match rendered {
        Ok(rendered) => rendered_response(&rendered, format),
        Err(_) => files::error(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

async fn file(
    State(site): State<Shared>,
    Path(path): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let snapshot = site.snapshot();
    if let Some(&index) = snapshot.urls.get(&path) {
        let entry = &snapshot.catalogue.entries[index];
        return files::send(&entry.path, &snapshot.roots, &method, &headers).await;
    }
    // PEP 658: `<file URL>.metadata` is the wheel's METADATA.
    let Some(&index) = path
        .strip_suffix(".metadata")
        .and_then(|wheel| snapshot.urls.get(wheel))
    else {
        return files::error(StatusCode::NOT_FOUND);
    };
    let wheel = snapshot.catalogue.entries[index].path.clone();
    let roots = snapshot.roots.clone();
    let metadata = tokio::task::spawn_blocking(move || {
        let real = std::fs::canonicalize(&wheel).ok()?;
        if !files::inside(&real, &roots) {
            return None;
        }
        wharf_metadata::read_metadata_bytes(&real).ok()
    })
    .await
    .ok()
    .flatten();
    match metadata {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(bytes)
            },
        )
            .into_response(),
        None => files::error(StatusCode::NOT_FOUND),
    }
}

/// Refuses overlong targets, then logs the request: peer, method, path, status, bytes, ms.
async fn log(State(site): State<Shared>, request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_string(), ToString::to_string);
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    let response = if target.len() > MAX_URI_BYTES {
        files::error(StatusCode::URI_TOO_LONG)
    } else {
        next.run(request).await
    };
    let bytes: u64 = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .or_else(|| HttpBody::size_hint(response.body()).exact())
        .unwrap_or(0);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let mut shown: String = target.chars().take(200).collect();
    if shown.len() < target.len() {
        shown.push('…');
    }
    let status = response.status().as_u16();
    let peer = peer.map_or_else(|| "-".to_string(), |p| p.to_string());
    let line = if site.options.json_log {
        let mut line = serde_json::json!({
            "time": crate::time::iso8601(std::time::SystemTime::now()),
            "remote": peer,
            "method": method.as_str(),
            "path": shown,
            "status": status,
            "bytes": bytes,
            "ms": (ms * 1000.0).round() / 1000.0,
        })
        .to_string();
        line.push('\n');
        line
    } else {
        format!(
            "{peer} {method} {} {status} {bytes} {ms:.3}ms\n",
            shown.escape_debug()
        )
    };
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    response
}

/// Waits for SIGINT or SIGTERM; returns the signal's name.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        let _ = tokio::signal::ctrl_c().await;
        return "SIGINT";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}

/// Runs the server until SIGINT or SIGTERM, then lets in-flight requests finish (up to 10 s).
/// Blocks the calling thread; starts its own runtime with `options.threads` workers.
pub fn serve(options: ServeOptions) -> Result<(), ServeError> {
    let address = options.bind;
    let bind_error = |source| ServeError::Bind { address, source };
    let listener = std::net::TcpListener::bind(address).map_err(bind_error)?;
    listener.set_nonblocking(true).map_err(bind_error)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.threads.max(1))
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let site = Arc::new(Site::new(options));
    runtime.block_on(run(listener, site))
}

async fn run(listener: std::net::TcpListener, site: Shared) -> Result<(), ServeError> {
    let address = listener.local_addr().map_err(ServeError::Runtime)?;
    let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Runtime)?;
    let local = address;
    let header_timeout = site.options.header_timeout;
    {
        let snapshot = site.snapshot();
        note(&format!(
            "{} wheels of {} projects from {} directories{}",
            snapshot.url_of.len(),
            snapshot.projects.len(),
            snapshot.catalogue.find_links.0.len(),
            if site.options.allow_manylinux {
                ""
            } else {
                " (manylinux wheels hidden: the site's policy refuses them)"
            }
        ));
    }
    note(&format!(
        "listening on http://{local}/ (Simple API: http://{local}/simple/)"
    ));
    let app = router(site);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let name = loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    app.clone().oneshot(request.map(Body::new))
                });
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            name = &mut signal => break name,
        }
    };
    drop(listener);
    note(&format!(
        "{name}: shutting down, finishing requests in flight"
    ));
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        note("requests still in flight after 10 s; closing them");
    }
    note("stopped");
    Ok(())
}
