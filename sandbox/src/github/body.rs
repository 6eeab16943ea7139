//! Response bodies that misbehave on purpose: throttled to a byte rate, or
//! cut after about half their bytes (the `Content-Length` still promises
//! all of them, so hyper drops the connection). Decides nothing itself.

use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use std::time::Duration;

/// Chunk size when not throttled.
const CHUNK: usize = 16 * 1024;

/// A body that streams `data` (at `bytes_per_sec` if set) and, when `cut`,
/// stops after half of it with an error so the connection is dropped.
pub(crate) fn streamed(data: Bytes, cut: bool, bytes_per_sec: Option<u64>) -> Body {
    let limit = if cut { data.len() / 2 } else { data.len() };
    let chunk = bytes_per_sec
        .map(|bps| usize::try_from(bps / 20).unwrap_or(CHUNK).max(1))
        .unwrap_or(CHUNK);
    let stream = futures_util::stream::unfold((0usize, false), move |(pos, done)| {
        let data = data.clone();
        async move {
            if done {
                return None;
            }
            if pos >= limit {
                if !cut {
                    return None;
                }
                // Let hyper flush what was sent before the connection drops.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let err = std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "simulated connection cut",
                );
                return Some((Err(err), (pos, true)));
            }
            let end = (pos + chunk).min(limit);
            if let Some(bps) = bytes_per_sec.filter(|b| *b > 0) {
                let secs = (end - pos) as f64 / bps as f64;
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            }
            Some((Ok(data.slice(pos..end)), (end, false)))
        }
    });
    Body::from_stream(stream)
}

/// A response carrying `data` with an explicit `Content-Length` of its full
/// size, streamed, throttled and/or cut as asked.
pub(crate) fn sized_response(data: Bytes, cut: bool, bytes_per_sec: Option<u64>) -> Response {
    let len = data.len();
    let mut response = Response::new(streamed(data, cut, bytes_per_sec));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}
