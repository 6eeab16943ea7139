//! The HTTP face of the simulated registry: one axum fallback handler that
//! routes by [`route`], reads the body itself, calls the [`Store`] and
//! writes the distribution spec's answers (status, `Location`, `Range`,
//! `Docker-Content-Digest`, the error envelope). Bad input gets a 4xx,
//! never a panic.

use super::route::{digest_of, route, Route, RouteError};
use super::store::{Store, StoreError};
use super::Shared;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;

/// The largest request body taken (a chunk, a monolithic blob, a manifest).
const BODY_LIMIT: usize = 256 * 1024 * 1024;

/// A refusal: HTTP status, spec error code, message.
#[derive(Debug)]
pub(crate) struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        Failure::new(err.status(), err.code(), err.to_string())
    }
}

impl From<RouteError> for Failure {
    fn from(err: RouteError) -> Failure {
        let (code, status) = err.code_and_status();
        Failure::new(status, code, err.message())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "errors": [{"code": self.code, "message": self.message, "detail": null}]
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        add_api_version(response.headers_mut());
        response
    }
}

type Answer = Result<Response, Failure>;

/// Every request comes here.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    answer(&shared, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn answer(shared: &Shared, request: Request) -> Answer {
    let (parts, body) = request.into_parts();
    let target = route(parts.uri.path())?;
    let query = query_of(parts.uri.query());
    let body = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Failure::new(413, "SIZE_INVALID", "the body is too large or was cut"))?;
    let headers = &parts.headers;
    let mut store = shared.lock();
    let store = &mut *store;
    let method = parts.method;
    let reading = method == Method::GET || method == Method::HEAD;
    match target {
        Route::Base if reading => Ok(reply(StatusCode::OK, Bytes::from_static(b"{}"))),
        Route::Manifest { name, reference } if reading => {
            let manifest = store.manifest(&name, &reference)?;
            let mut response = reply(StatusCode::OK, manifest.bytes);
            set(&mut response, header::CONTENT_TYPE, &manifest.media_type);
            set(
                &mut response,
                "docker-content-digest",
                manifest.digest.as_str(),
            );
            Ok(response)
        }
        Route::Manifest { name, reference } if method == Method::PUT => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            let digest = store.put_manifest(&name, &reference, content_type, body)?;
            created(&format!("/v2/{name}/manifests/{digest}"), digest.as_str())
        }
        Route::Blob { name, digest } if reading => {
            let bytes = store.blob(&name, &digest)?;
            let mut response = ranged(bytes, headers)?;
            set(&mut response, "docker-content-digest", digest.as_str());
            Ok(response)
        }
        Route::Uploads { name } if method == Method::POST => {
            open_upload(store, &name, &query, body)
        }
        Route::Upload { name, id } => upload(store, &method, &name, &id, &query, headers, &body),
        Route::Tags { name } if reading => {
            let tags = store
                .tags(&name)
                .ok_or_else(|| StoreError::NameUnknown(name.clone()))?;
            let body = serde_json::json!({"name": name, "tags": tags}).to_string();
            let mut response = reply(StatusCode::OK, Bytes::from(body));
            set(&mut response, header::CONTENT_TYPE, "application/json");
            Ok(response)
        }
        _ => Err(Failure::new(
            405,
            "UNSUPPORTED",
            format!("{method} is not supported here"),
        )),
    }
}

/// `POST .../blobs/uploads/`: a mount when `mount` and `from` name a blob
/// the other repository has, a whole blob when `digest` is given, else a
/// new session.
fn open_upload(
    store: &mut Store,
    name: &str,
    query: &HashMap<String, String>,
    body: Bytes,
) -> Answer {
    if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from")) {
        let digest = digest_of(mount)?;
        if store.mount(name, from, &digest) {
            return created(&format!("/v2/{name}/blobs/{digest}"), digest.as_str());
        }
    } else if let Some(digest) = query.get("digest") {
        let digest = digest_of(digest)?;
        let id = store.start_upload(name);
        store.finish(name, &id, &digest, &body)?;
        return created(&format!("/v2/{name}/blobs/{digest}"), digest.as_str());
    }
    let id = store.start_upload(name);
    accepted(name, &id, 0)
}

/// `PATCH`, `PUT`, `GET` and `DELETE` on an upload session.
fn upload(
    store: &mut Store,
    method: &Method,
    name: &str,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    match *method {
        Method::PATCH => {
            let start = content_range_start(headers)?;
            let held = store.append(name, id, start, body)?;
            accepted(name, id, held)
        }
        Method::PUT => {
            let digest = query
                .get("digest")
                .ok_or_else(|| Failure::new(400, "DIGEST_INVALID", "no digest given"))?;
            let digest = digest_of(digest)?;
            store.finish(name, id, &digest, body)?;
            created(&format!("/v2/{name}/blobs/{digest}"), digest.as_str())
        }
        Method::GET => {
            let held = store.uploaded(name, id)?;
            let mut response = accepted(name, id, held)?;
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(response)
        }
        Method::DELETE => {
            store.cancel(name, id)?;
            Ok(reply(StatusCode::NO_CONTENT, Bytes::new()))
        }
        _ => Err(Failure::new(
            405,
            "UNSUPPORTED",
            format!("{method} is not supported on an upload"),
        )),
    }
}

/// Where a chunk says it starts (`Content-Range: START-END`), if it says.
fn content_range_start(headers: &HeaderMap) -> Result<Option<u64>, Failure> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default();
    let text = text.strip_prefix("bytes ").unwrap_or(text);
    text.split_once('-')
        .and_then(|(start, _)| start.trim().parse().ok())
        .map(Some)
        .ok_or_else(|| {
            Failure::new(
                416,
                "BLOB_UPLOAD_INVALID",
                format!("bad Content-Range {text:?}"),
            )
        })
}

/// A blob's bytes, whole (200) or the part a `Range: bytes=S-[E]` asks for
/// (206); 416 when the range starts past the end. A range ferry cannot
/// read is ignored, as RFC 9110 allows.
fn ranged(bytes: Bytes, headers: &HeaderMap) -> Answer {
    let total = bytes.len() as u64;
    let wanted = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.split_once('-'))
        .and_then(|(start, end)| {
            let start: u64 = start.trim().parse().ok()?;
            let end: Option<u64> = match end.trim() {
                "" => None,
                end => Some(end.parse().ok()?),
            };
            Some((start, end))
        });
    let mut response = match wanted {
        None => reply(StatusCode::OK, bytes),
        Some((start, _)) if start >= total => {
            let mut failure =
                Failure::new(416, "BLOB_UNKNOWN", "the range starts past the end").into_response();
            set(
                &mut failure,
                header::CONTENT_RANGE,
                &format!("bytes */{total}"),
            );
            return Ok(failure);
        }
        Some((start, end)) => {
            let end = end.unwrap_or(total - 1).min(total - 1).max(start);
            let part = bytes.slice(start as usize..=end as usize);
            let mut response = reply(StatusCode::PARTIAL_CONTENT, part);
            set(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes {start}-{end}/{total}"),
            );
            response
        }
    };
    set(
        &mut response,
        header::CONTENT_TYPE,
        "application/octet-stream",
    );
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    Ok(response)
}

/// 202 for an upload session holding `held` bytes.
fn accepted(name: &str, id: &str, held: u64) -> Answer {
    let mut response = reply(StatusCode::ACCEPTED, Bytes::new());
    set(
        &mut response,
        header::LOCATION,
        &format!("/v2/{name}/blobs/uploads/{id}"),
    );
    set(
        &mut response,
        header::RANGE,
        &format!("0-{}", held.saturating_sub(1)),
    );
    set(&mut response, "docker-upload-uuid", id);
    Ok(response)
}

/// 201 for something now stored at `location`.
fn created(location: &str, digest: &str) -> Answer {
    let mut response = reply(StatusCode::CREATED, Bytes::new());
    set(&mut response, header::LOCATION, location);
    set(&mut response, "docker-content-digest", digest);
    Ok(response)
}

/// A response with `body` and its length (kept for HEAD, whose body is dropped).
fn reply(status: StatusCode, body: Bytes) -> Response {
    let mut response = (status, body).into_response();
    add_api_version(response.headers_mut());
    response
}

/// Sets a header; a value that cannot be one is left out.
fn set<K: header::IntoHeaderName>(response: &mut Response, key: K, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(key, value);
    }
}

fn add_api_version(headers: &mut HeaderMap) {
    headers.insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
}

/// The query's parameters (the last of repeated ones).
fn query_of(query: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect()
}
