//! A scripted HTTP server on 127.0.0.1:0 for the engine's tests: each path
//! answers from a queue of replies (the last one repeats) and every request
//! is recorded. The full GitHub simulator lives in `sandbox`; this one only
//! fakes the wire conditions the engine must survive.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scripted answer.
#[derive(Clone)]
pub(crate) enum Reply {
    /// A fixed status, headers and body.
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// A file: honours `Range: bytes=N-` when `ranges`; sends `cut_after`
    /// bytes of the body and then drops the connection; waits `delay` first.
    File {
        data: Arc<Vec<u8>>,
        ranges: bool,
        cut_after: Option<usize>,
        delay: Duration,
    },
}

impl Reply {
    /// A JSON body with 200 and extra headers.
    pub(crate) fn json(body: &str, headers: Vec<(&'static str, String)>) -> Reply {
        Reply::Status {
            status: 200,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    /// A status with a GitHub-style `{"message": ..}` body and extra headers.
    pub(crate) fn error(status: u16, message: &str, headers: Vec<(&'static str, String)>) -> Reply {
        Reply::Status {
            status,
            headers,
            body: serde_json::json!({ "message": message })
                .to_string()
                .into_bytes(),
        }
    }

    /// A file served whole or by range, never cut.
    pub(crate) fn file(data: &Arc<Vec<u8>>, ranges: bool) -> Reply {
        Reply::File {
            data: data.clone(),
            ranges,
            cut_after: None,
            delay: Duration::ZERO,
        }
    }
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
}

impl Seen {
    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, VecDeque<Reply>>>,
    seen: Mutex<Vec<Seen>>,
}

/// The running server; it stops with the test's runtime.
pub(crate) struct TestServer {
    base: String,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and serves in the background.
    pub(crate) async fn start() -> TestServer {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        TestServer { base, shared }
    }

    /// The absolute URL of `path_and_query`.
    pub(crate) fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }

    /// Scripts the answers for `path_and_query`; the last one repeats.
    pub(crate) fn script(&self, path_and_query: &str, replies: Vec<Reply>) {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(path_and_query.to_string(), replies.into());
    }

    /// The requests seen for `path_and_query`, in order.
    pub(crate) fn seen(&self, path_and_query: &str) -> Vec<Seen> {
        let seen = self.shared.seen.lock().unwrap();
        seen.iter()
            .filter(|s| s.path == path_and_query)
            .cloned()
            .collect()
    }

    /// All requests seen.
    pub(crate) fn seen_count(&self) -> usize {
        self.shared.seen.lock().unwrap().len()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let reply = {
        let mut routes = shared.routes.lock().unwrap();
        routes.get_mut(&path).and_then(|queue| {
            if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            }
        })
    };
    shared.seen.lock().unwrap().push(Seen {
        path,
        headers: headers.clone(),
    });
    match reply {
        None => respond(Reply::error(404, "Not Found", vec![]), &headers).await,
        Some(reply) => respond(reply, &headers).await,
    }
}

async fn respond(reply: Reply, request: &HeaderMap) -> Response {
    match reply {
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut response = Response::builder().status(status);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response.body(Body::from(body)).unwrap()
        }
        Reply::File {
            data,
            ranges,
            cut_after,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            serve_file(&data, ranges, cut_after, request)
        }
    }
}

fn serve_file(
    data: &[u8],
    ranges: bool,
    cut_after: Option<usize>,
    request: &HeaderMap,
) -> Response {
    let len = data.len();
    let start = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|_| ranges);
    let mut response = Response::builder().header(header::ACCEPT_RANGES, "bytes");
    let body = match start {
        Some(start) if start >= len => {
            return response
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(Body::empty())
                .unwrap();
        }
        Some(start) => {
            response = response.status(StatusCode::PARTIAL_CONTENT).header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{len}", len - 1),
            );
            &data[start..]
        }
        None => {
            response = response.status(StatusCode::OK);
            data
        }
    };
    response = response.header(header::CONTENT_LENGTH, body.len());
    let body = match cut_after {
        None => Body::from(body.to_vec()),
        Some(cut) => {
            // Send the head, give it time to reach the client, then break the connection.
            let head = Bytes::copy_from_slice(&body[..cut.min(body.len())]);
            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                Ok(head),
                Err(std::io::Error::other(
                    "connection dropped by the test server",
                )),
            ];
            Body::from_stream(stream::iter(chunks).then(|chunk| async move {
                if chunk.is_err() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                chunk
            }))
        }
    };
    response.body(body).unwrap()
}
