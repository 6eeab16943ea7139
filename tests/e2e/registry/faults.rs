//! A faulty front for the real registry: an HTTP proxy on loopback that
//! forwards every request to a `Registry` unless a planted fault matches
//! it first: an error status (a few times or for good), a body cut after
//! some bytes, or a manifest far larger than any registry serves. It logs
//! what it saw, so a test can tell the faults were really met and that a
//! cut download resumed with `Range`.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use std::sync::{Arc, Mutex};

/// What a planted fault does to a matching request.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    /// Answer with this status and no body.
    Status(u16),
    /// Forward, but end the body after this many bytes (only bodies longer than that).
    Cut(usize),
    /// Answer 200 with a manifest body of this many bytes.
    Oversize(usize),
}

/// One fault: requests whose method is `method` and whose path contains
/// `path`, `times` times (`usize::MAX`: for good).
#[derive(Debug, Clone)]
pub struct Fault {
    /// `GET`, `HEAD`, ...
    pub method: &'static str,
    /// A piece of the request path.
    pub path: String,
    /// What to do.
    pub action: Action,
    /// How many more requests it hits.
    pub times: usize,
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Method and path (shown when a test prints what was seen).
    #[allow(dead_code)]
    pub request: String,
    /// Its `Range` header, if any.
    pub range: Option<String>,
    /// The fault it met, if any.
    pub fault: Option<String>,
}

#[derive(Default)]
struct Shared {
    faults: Mutex<Vec<Fault>>,
    seen: Mutex<Vec<Seen>>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    shared: Arc<Shared>,
}

/// A running proxy; it stops with the test process.
pub struct FaultProxy {
    host: String,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// A proxy in front of the registry at `upstream` (`HOST:PORT`).
    pub fn start(upstream: &str) -> FaultProxy {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let shared = Arc::new(Shared::default());
        let state = Arc::new(ProxyState {
            upstream: upstream.to_string(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            shared: shared.clone(),
        });
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let app = axum::Router::new().fallback(forward).with_state(state);
                let _ = axum::serve(listener, app).await;
            });
        });
        FaultProxy { host, shared }
    }

    /// `HOST:PORT` of the proxy.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Plants a fault.
    pub fn plant(&self, method: &'static str, path: &str, action: Action, times: usize) {
        self.shared.faults.lock().unwrap().push(Fault {
            method,
            path: path.to_string(),
            action,
            times,
        });
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

/// Takes one hit of the first fault matching the request, if any; a cut
/// is taken only once the body turns out longer than the cut.
fn matching(shared: &Shared, method: &str, path: &str) -> Option<(usize, Action)> {
    let faults = shared.faults.lock().unwrap();
    faults
        .iter()
        .enumerate()
        .find(|(_, f)| f.times > 0 && f.method == method && path.contains(&f.path))
        .map(|(i, f)| (i, f.action))
}

fn take(shared: &Shared, index: usize) {
    let mut faults = shared.faults.lock().unwrap();
    if let Some(fault) = faults.get_mut(index) {
        fault.times = fault.times.saturating_sub(1);
    }
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let range = request
        .headers()
        .get("range")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let fault = matching(&state.shared, &method, &path);
    let mut seen = Seen {
        request: format!("{method} {path}"),
        range,
        fault: None,
    };
    let response = match fault {
        Some((index, Action::Status(code))) => {
            take(&state.shared, index);
            seen.fault = Some(format!("status {code}"));
            Response::builder()
                .status(code)
                .body(Body::empty())
                .unwrap()
        }
        Some((index, Action::Oversize(size))) => {
            take(&state.shared, index);
            seen.fault = Some(format!("oversize {size}"));
            let filler = vec![b' '; size.saturating_sub(2)];
            let body = [b"{".as_slice(), &filler, b"}"].concat();
            Response::builder()
                .status(200)
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .body(Body::from(body))
                .unwrap()
        }
        other => {
            let cut = match other {
                Some((index, Action::Cut(after))) => Some((index, after)),
                _ => None,
            };
            relay(&state, request, &path, cut, &mut seen).await
        }
    };
    state.shared.seen.lock().unwrap().push(seen);
    response
}

/// Sends the request upstream and streams the answer back, cut short when asked.
async fn relay(
    state: &ProxyState,
    request: Request,
    path: &str,
    cut: Option<(usize, usize)>,
    seen: &mut Seen,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let url = format!("http://{}{path}", state.upstream);
    let mut upstream = state.client.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != "host" {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return Response::builder()
            .status(StatusCode::BAD_GATEWAY)
            .body(Body::empty())
            .unwrap();
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        let name = HeaderName::from_bytes(name.as_str().as_bytes()).unwrap();
        response = response.header(name, value.as_bytes());
    }
    let length = answer.content_length().unwrap_or(0) as usize;
    let stream = answer.bytes_stream();
    let body = match cut {
        Some((index, after)) if length > after => {
            take(&state.shared, index);
            seen.fault = Some(format!("cut after {after} of {length}"));
            let mut sent = 0usize;
            let cut_stream = stream
                .map(move |chunk| {
                    let chunk = chunk.map_err(std::io::Error::other)?;
                    let room = after.saturating_sub(sent);
                    sent += chunk.len();
                    if room < chunk.len() {
                        return Ok::<_, std::io::Error>((chunk.slice(..room), true));
                    }
                    Ok((chunk, false))
                })
                .scan(false, |ended, item| {
                    if *ended {
                        return std::future::ready(None);
                    }
                    let out = match item {
                        Ok((bytes, true)) => {
                            *ended = true;
                            Some(vec![
                                Ok(bytes),
                                Err(std::io::Error::other("cut by the fault proxy")),
                            ])
                        }
                        Ok((bytes, false)) => Some(vec![Ok(bytes)]),
                        Err(err) => Some(vec![Err(err)]),
                    };
                    std::future::ready(out)
                })
                .flat_map(futures_util::stream::iter)
                // Let the bytes before the cut reach the client first.
                .then(|item| async move {
                    if item.is_err() {
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    item
                });
            Body::from_stream(cut_stream)
        }
        _ => Body::from_stream(stream),
    };
    response.body(body).unwrap()
}
