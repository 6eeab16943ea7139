//! The middleware every request passes: classify it, apply rate limits and
//! injected faults, add GitHub's `X-RateLimit-*` headers to API answers, and
//! record the request. Handlers never see a request the gate refused.

use super::clock;
use super::faults::{RequestKind, RequestRecord, Verdict};
use super::json::DOCS_URL;
use super::{json_response, Shared};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

/// The quota numbers an answer advertises.
struct Quota {
    limit: u64,
    remaining: u64,
    reset: u64,
    used: u64,
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Decides the verdict and the advertised quota, under one lock.
fn admit(shared: &Shared, kind: RequestKind, key: &str) -> (Verdict, Option<Quota>) {
    let now = clock::unix_now();
    let mut inner = shared.lock();
    let inner = &mut *inner;
    let mut verdict = inner.fault_state.judge(&inner.faults, kind, key, now);
    inner.rate.roll(now);
    if kind.is_api() && verdict == Verdict::Pass {
        if inner.rate.remaining() == 0 {
            verdict = Verdict::PrimaryLimited {
                reset: inner.rate.reset,
            };
        } else {
            inner.rate.used += 1;
        }
    }
    let quota = match verdict {
        Verdict::PrimaryLimited { reset } => Some(Quota {
            limit: inner.rate.limit,
            remaining: 0,
            reset,
            used: inner.rate.limit,
        }),
        _ if kind.is_api() || kind == RequestKind::RateLimit => Some(Quota {
            limit: inner.rate.limit,
            remaining: inner.rate.remaining(),
            reset: inner.rate.reset,
            used: inner.rate.used,
        }),
        _ => None,
    };
    (verdict, quota)
}

/// The answer for a refused request.
fn refusal(verdict: &Verdict, authorized: bool) -> Option<Response> {
    match verdict {
        Verdict::Pass => None,
        Verdict::PrimaryLimited { .. } => {
            let who = if authorized {
                "user ID 40000001"
            } else {
                "127.0.0.1"
            };
            let message = format!(
                "API rate limit exceeded for {who}. (But here's the good news: \
                 Authenticated requests get a higher rate limit. Check out the \
                 documentation for more details.)"
            );
            Some(json_response(
                StatusCode::FORBIDDEN,
                &json!({ "message": message, "documentation_url": DOCS_URL }),
            ))
        }
        Verdict::SecondaryLimited => {
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({
                    "message": "You have exceeded a secondary rate limit. Please wait a few \
                                minutes before you try again.",
                    "documentation_url": DOCS_URL,
                }),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(1u64));
            Some(response)
        }
        Verdict::ServerError => Some(json_response(
            StatusCode::BAD_GATEWAY,
            &json!({ "message": "Server Error" }),
        )),
    }
}

/// The middleware itself.
pub(crate) async fn gate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let uri_path = request.uri().path().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri_path.clone());
    let accept = header_text(headers, header::ACCEPT);
    let range = header_text(headers, header::RANGE);
    let authorization = headers.contains_key(header::AUTHORIZATION);
    let method = request.method().to_string();
    let kind = RequestKind::classify(&uri_path, accept.as_deref());
    // Storage URLs change their signed query on every redirect: key by path.
    let key = if kind == RequestKind::Storage {
        &uri_path
    } else {
        &path
    };
    let (verdict, quota) = admit(&shared, kind, key);
    let mut response = match refusal(&verdict, authorization) {
        Some(refused) => refused,
        None => next.run(request).await,
    };
    if let Some(q) = quota {
        let h = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", q.limit),
            ("x-ratelimit-remaining", q.remaining),
            ("x-ratelimit-reset", q.reset),
            ("x-ratelimit-used", q.used),
        ] {
            h.insert(name, HeaderValue::from(value));
        }
        h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
    }
    let record = RequestRecord {
        method,
        path,
        range,
        accept,
        status: response.status().as_u16(),
        authorization,
        kind,
    };
    shared.lock().requests.push(record);
    response
}
