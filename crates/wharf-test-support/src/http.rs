//! A tiny HTTP/1.1 server on 127.0.0.1 for tests of misbehaving indexes: a body that never
//! ends, one that trickles, one longer than it says, a redirect anywhere. Each connection is
//! served by its own thread, one request per connection (`Connection: close`); the server
//! lives until the test process ends. Every request's path is recorded ([`TestServer::requests`])
//! so a test can count attempts.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers for one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status with a body. `content_length`: the `Content-Length` header (which may lie);
    /// `None`: no header, the body ends when the connection closes.
    Body {
        /// The status code. Ex) `200`
        status: u16,
        /// The `Content-Type`. Ex) `application/vnd.pypi.simple.v1+json`
        content_type: String,
        /// The `Content-Length` header, if any.
        content_length: Option<u64>,
        /// The bytes sent.
        body: Vec<u8>,
    },
    /// 200 without `Content-Length`: zeros until the client hangs up.
    Endless,
    /// 200 with `Content-Length: length`, one byte every `interval`.
    Trickle {
        /// The declared length.
        length: u64,
        /// The pause between two bytes.
        interval: Duration,
    },
    /// `302 Found` to `location`.
    Redirect(String),
}

impl Reply {
    /// 200 with `body` of `content_type` and its true `Content-Length`.
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Self::Body {
            status: 200,
            content_type: content_type.to_string(),
            content_length: Some(body.len() as u64),
            body,
        }
    }

    /// `404 Not Found`.
    pub fn not_found() -> Self {
        Self::Body {
            status: 404,
            content_type: "text/plain".to_string(),
            content_length: Some(9),
            body: b"not found".to_vec(),
        }
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync;

/// A server on 127.0.0.1 at an ephemeral port, answering each request path with its handler.
#[derive(Debug, Clone)]
pub struct TestServer {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl TestServer {
    /// Starts the server; `handler` maps a request path (`/simple/six/`) to the reply.
    ///
    /// # Panics
    /// When no port can be bound on 127.0.0.1.
    pub fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = Arc::clone(&handler);
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        Self { port, requests }
    }

    /// `http://127.0.0.1:PORT/{path}` (`path` without its leading `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// The paths requested so far, in order.
    ///
    /// # Panics
    /// When a serving thread panicked while holding the log.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").clone()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

/// Serves one request on `stream`; write errors (the client hung up) end it quietly.
fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    if let Ok(mut log) = log.lock() {
        log.push(path.clone());
    }
    let mut stream = stream;
    let _ = answer(&mut stream, handler(&path));
}

fn answer(stream: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Body {
            status,
            content_type,
            content_length,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nConnection: close\r\n",
                reason(status)
            );
            if let Some(length) = content_length {
                head.push_str(&format!("Content-Length: {length}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes())?;
            stream.write_all(&body)?;
        }
        Reply::Endless => {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
            )?;
            let zeros = vec![0u8; 64 * 1024];
            loop {
                stream.write_all(&zeros)?;
            }
        }
        Reply::Trickle { length, interval } => {
            stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )?;
            for _ in 0..length {
                stream.write_all(b"x")?;
                stream.flush()?;
                std::thread::sleep(interval);
            }
        }
        Reply::Redirect(location) => {
            stream.write_all(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )?;
        }
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn get(server: &TestServer, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    #[test]
    fn serves_replies_and_records_paths() {
        let server = TestServer::start(|path| match path {
            "/a" => Reply::ok("text/plain", "hello"),
            "/r" => Reply::Redirect("file:///etc/passwd".to_string()),
            _ => Reply::not_found(),
        });
        let a = get(&server, "/a");
        assert!(a.starts_with("HTTP/1.1 200 OK\r\n"), "{a}");
        assert!(a.contains("Content-Length: 5\r\n") && a.ends_with("\r\n\r\nhello"));
        let r = get(&server, "/r");
        assert!(r.contains("Location: file:///etc/passwd\r\n"), "{r}");
        assert!(get(&server, "/x").starts_with("HTTP/1.1 404 Not Found"));
        assert_eq!(server.requests(), ["/a", "/r", "/x"]);
    }
}
