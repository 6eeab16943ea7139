//! Asset downloads the GitHub way: the API asset URL answers 302 to a
//! short-lived signed storage URL, and storage serves the bytes with `ETag`,
//! `Accept-Ranges` and single-range `Range` support (206 / 416), optionally
//! throttled or cut. Expired or forged links get 403.

use super::{body, clock, json, json_response, not_found, repo_matches, Shared};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// `GET /repos/{o}/{r}/releases/assets/{id}`: JSON, or 302 to storage when
/// the client asks for `application/octet-stream`.
pub(crate) async fn asset(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = shared.base(&headers);
    let wants_bytes = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/octet-stream"));
    let inner = shared.lock();
    let c = &inner.catalogue;
    let Some((release, asset)) = id
        .parse::<u64>()
        .ok()
        .filter(|_| repo_matches(c, &owner, &repo))
        .and_then(|id| c.asset_by_id(id))
    else {
        return not_found();
    };
    if !wants_bytes {
        return json_response(StatusCode::OK, &json::asset(&base, c, release, asset));
    }
    let expires = clock::unix_now() + inner.link_lifetime;
    let sig = shared.sign(asset.id, &asset.name, expires);
    let location = format!(
        "{base}/_storage/{}/{}?expires={expires}&sig={sig}",
        asset.id, asset.name
    );
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => not_found(),
    }
}

/// The signed part of a storage URL.
#[derive(Debug, Deserialize)]
pub(crate) struct Signed {
    expires: Option<String>,
    sig: Option<String>,
}

/// A requested byte range, resolved against the content length.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ByteRange {
    /// No usable `Range`: the whole body, 200.
    Full,
    /// Inclusive byte positions, 206.
    Part(u64, u64),
    /// Starts past the end, 416.
    Unsatisfiable,
}

/// Resolves a `Range` header (one range only; anything else is ignored, as
/// RFC 9110 allows).
pub(crate) fn byte_range(header: Option<&str>, len: u64) -> ByteRange {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return ByteRange::Full;
    };
    if spec.contains(',') {
        return ByteRange::Full;
    }
    let Some((start, end)) = spec.split_once('-') else {
        return ByteRange::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        return match end.parse::<u64>() {
            Ok(0) => ByteRange::Unsatisfiable,
            Ok(_) if len == 0 => ByteRange::Unsatisfiable,
            Ok(suffix) => ByteRange::Part(len - suffix.min(len), len - 1),
            Err(_) => ByteRange::Full,
        };
    }
    let Ok(start) = start.parse::<u64>() else {
        return ByteRange::Full;
    };
    let end = if end.is_empty() {
        None
    } else {
        match end.parse::<u64>() {
            Ok(e) if e >= start => Some(e),
            _ => return ByteRange::Full,
        }
    };
    if start >= len {
        return ByteRange::Unsatisfiable;
    }
    ByteRange::Part(start, end.unwrap_or(len - 1).min(len - 1))
}

/// S3-style refusal body.
fn denied(reason: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
         <Message>{reason}</Message></Error>\n"
    );
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "application/xml")],
        body,
    )
        .into_response()
}

/// `GET /_storage/{id}/{name}?expires=..&sig=..`: the bytes.
pub(crate) async fn download(
    State(shared): State<Arc<Shared>>,
    Path((id, name)): Path<(u64, String)>,
    Query(signed): Query<Signed>,
    headers: HeaderMap,
) -> Response {
    let (expires, sig) = (
        signed
            .expires
            .as_deref()
            .and_then(|e| e.parse::<u64>().ok()),
        signed.sig.unwrap_or_default(),
    );
    let Some(expires) = expires else {
        return denied("Request is missing a valid expiry");
    };
    if shared.sign(id, &name, expires) != sig {
        return denied("Request signature does not match");
    }
    if clock::unix_now() >= expires {
        return denied("Request has expired");
    }
    let (content, throttle) = {
        let inner = shared.lock();
        match inner.catalogue.asset_by_id(id) {
            Some((_, asset)) if asset.name == name => (asset.content.clone(), inner.throttle),
            _ => return not_found(),
        }
    };
    let len = content.len() as u64;
    let etag = format!("\"{}\"", hex::encode(Sha256::digest(&content)));
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (mut response, status, content_range) = match byte_range(range, len) {
        ByteRange::Full => {
            let cut = shared.take_cut(&format!("/_storage/{id}"));
            (
                body::sized_response(content, cut, throttle),
                StatusCode::OK,
                None,
            )
        }
        ByteRange::Part(start, end) => {
            // Positions are below `len`, which came from a usize.
            let part = content.slice(start as usize..=end as usize);
            (
                body::sized_response(part, false, throttle),
                StatusCode::PARTIAL_CONTENT,
                Some(format!("bytes {start}-{end}/{len}")),
            )
        }
        ByteRange::Unsatisfiable => (
            StatusCode::RANGE_NOT_SATISFIABLE.into_response(),
            StatusCode::RANGE_NOT_SATISFIABLE,
            Some(format!("bytes */{len}")),
        ),
    };
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    if let Some(value) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::CONTENT_RANGE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_ranges() {
        assert_eq!(byte_range(None, 10), ByteRange::Full);
        assert_eq!(byte_range(Some("bytes=4-"), 10), ByteRange::Part(4, 9));
        assert_eq!(byte_range(Some("bytes=2-5"), 10), ByteRange::Part(2, 5));
        assert_eq!(byte_range(Some("bytes=2-50"), 10), ByteRange::Part(2, 9));
        assert_eq!(byte_range(Some("bytes=-3"), 10), ByteRange::Part(7, 9));
        assert_eq!(byte_range(Some("bytes=10-"), 10), ByteRange::Unsatisfiable);
        assert_eq!(byte_range(Some("bytes=5-2"), 10), ByteRange::Full);
        assert_eq!(byte_range(Some("bytes=0-1,4-5"), 10), ByteRange::Full);
        assert_eq!(byte_range(Some("items=0-1"), 10), ByteRange::Full);
    }
}
