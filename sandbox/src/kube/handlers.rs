//! The HTTP layer: authentication, fault injection, request records,
//! query and body parsing, and dispatch of each route to discovery,
//! OpenAPI, `ops` or `watch`. Answers are always JSON (protobuf Accept
//! headers are ignored, as a server without protobuf support would).

use super::ops::{self, PatchKind, Target, WriteOpts};
use super::resources::{find, served};
use super::router::{route, Query, ResourcePath, Route};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{json_response, ApiError};
use super::store::Key;
use super::{discovery, openapi, table, watch, KubeRequestRecord, Shared, State as SimState};
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Largest request body accepted.
const BODY_LIMIT: usize = 16 << 20;

/// Every request enters here.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let _in_service = shared.busy.enter();
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let query = Query::parse(parts.uri.query());
    let dry_run = query.get("dryRun").is_some_and(|v| v == "All");
    let body = axum::body::to_bytes(body, BODY_LIMIT).await;
    let response = match (precheck(&shared, &parts.headers), body) {
        (Err(e), _) => e.into_response(),
        (Ok(()), Err(_)) => ApiError::too_large(BODY_LIMIT).into_response(),
        (Ok(()), Ok(body)) => {
            dispatch(
                &shared,
                &parts.method,
                parts.uri.path(),
                &parts.headers,
                &query,
                body,
            )
            .await
        }
    };
    let status = response.status().as_u16();
    let mutating = matches!(
        parts.method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let mut state = shared.lock();
    if mutating && !dry_run && response.status().is_success() {
        state.mutations += 1;
    }
    state.records.push(KubeRequestRecord {
        method: parts.method.to_string(),
        path: path_and_query,
        content_type,
        status,
    });
    response
}

/// Authentication (a wrong token always, a missing one when required) and
/// the every-Nth-request fault.
fn precheck(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    let mut state = shared.lock();
    match headers.get(header::AUTHORIZATION) {
        Some(auth) => {
            let expected = format!("Bearer {}", shared.token);
            if auth.as_bytes() != expected.as_bytes() {
                return Err(ApiError::unauthorized());
            }
        }
        None if state.require_token => return Err(ApiError::unauthorized()),
        None => {}
    }
    state.requests_seen += 1;
    if let Some(n) = state.faults.server_error_every.filter(|n| *n > 0) {
        if state.requests_seen.is_multiple_of(u64::from(n)) {
            return Err(ApiError::internal(
                "injected fault: internal error, retry the request",
            ));
        }
    }
    Ok(())
}

fn ok(body: Option<Value>) -> Response {
    match body {
        Some(b) => json_response(200, &b),
        None => ApiError::no_route().into_response(),
    }
}

async fn dispatch(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    query: &Query,
    body: Bytes,
) -> Response {
    let r = route(path);
    if method != Method::GET && !matches!(r, Route::Resource(_)) {
        return ApiError::method_not_allowed().into_response();
    }
    let defs = served(&shared.config, &shared.lock().store);
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let aggregated = discovery::wants_aggregated(accept, shared.config.kubernetes);
    match r {
        Route::Api | Route::Apis if aggregated => {
            let doc = discovery::aggregated(&defs, r == Route::Api);
            let mut resp = json_response(200, &doc);
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static(discovery::AGGREGATED),
            );
            resp
        }
        Route::Version => json_response(200, &discovery::version(shared.config.kubernetes)),
        Route::Health => (axum::http::StatusCode::OK, "ok").into_response(),
        Route::Api => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            json_response(200, &discovery::core_versions(host))
        }
        Route::Apis => json_response(200, &discovery::group_list(&defs)),
        Route::Group(g) => ok(discovery::group(&defs, &g)),
        Route::GroupVersion(g, v) => ok(discovery::resource_list(&defs, &g, &v)),
        Route::OpenApiV2 => openapi::v2(headers),
        Route::OpenApiIndex => json_response(200, &openapi::index(&defs, defs.len() as u64)),
        Route::OpenApiDoc(p) => ok(openapi::document(&defs, &p)),
        Route::Unknown => ApiError::no_route().into_response(),
        Route::Resource(rp) => match resource(shared, &defs, method, &rp, headers, query, body) {
            Ok(resp) => resp,
            Err(e) => e.into_response(),
        },
    }
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not JSON ({e}); this simulator accepts JSON bodies only"
        ))
    })
}

fn patch_kind(content_type: Option<&str>) -> Result<PatchKind, ApiError> {
    let ct = content_type.unwrap_or_default();
    let base = ct.split(';').next().unwrap_or_default().trim();
    match base {
        "application/merge-patch+json" => Ok(PatchKind::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchKind::Strategic),
        "application/json-patch+json" => Ok(PatchKind::Json),
        "application/apply-patch+yaml" | "application/apply-patch+json" => Ok(PatchKind::Apply),
        _ => Err(ApiError::unsupported_media(ct)),
    }
}

/// Field manager: the query parameter, else the User-Agent's product name.
fn manager(query: &Query, headers: &HeaderMap, apply: bool) -> String {
    if let Some(m) = query.get("fieldManager") {
        return m.to_string();
    }
    if apply {
        return String::new();
    }
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .and_then(|ua| ua.split('/').next())
        .filter(|s| !s.is_empty())
        .unwrap_or("unknown")
        .to_string()
}

fn resource(
    shared: &Arc<Shared>,
    defs: &[super::resources::ResourceDef],
    method: &Method,
    rp: &ResourcePath,
    headers: &HeaderMap,
    query: &Query,
    body: Bytes,
) -> Result<Response, ApiError> {
    let def = find(defs, &rp.group, &rp.version, &rp.plural).ok_or_else(ApiError::no_route)?;
    if let Some(sub) = &rp.subresource {
        if sub != "status" || !def.status {
            return Err(ApiError::no_route());
        }
    }
    let target = Target {
        def,
        namespace: rp.namespace.clone(),
        subresource: rp.subresource.clone(),
    };
    if rp.namespace.is_some() && !def.namespaced {
        return Err(ApiError::no_route());
    }
    let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())?;
    let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default(), &def.kind)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let is_patch_apply =
        *method == Method::PATCH && matches!(patch_kind(content_type), Ok(PatchKind::Apply));
    let opts = WriteOpts {
        manager: manager(query, headers, is_patch_apply),
        dry_run: query.get("dryRun").is_some_and(|v| v == "All"),
        force: query.flag("force"),
    };
    let writing = *method != Method::GET;
    if writing && !def.writable() && *method != Method::DELETE {
        return Err(ApiError::method_not_allowed());
    }
    let mut state = shared.lock();
    if writing && def.kind == "ConfigMap" {
        state.configmap_writes += 1;
        if let Some(n) = state.faults.conflict_every.filter(|n| *n > 0) {
            if state.configmap_writes.is_multiple_of(u64::from(n)) {
                let name = rp.name.as_deref().unwrap_or_default();
                return Err(ApiError::stale(&def.group, &def.plural, name));
            }
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let printing = table::wanted(accept).then(|| crd_of(&state, def));
    match (method.clone(), rp.name.as_deref()) {
        (Method::GET, name) if query.flag("watch") => {
            drop(state);
            let mut fields = fields;
            if let Some(name) = name {
                fields.require_name(name);
            }
            let spec = watch::WatchSpec {
                def: def.clone(),
                namespace: if def.namespaced {
                    target.namespace.clone()
                } else {
                    None
                },
                labels,
                fields,
                table: printing,
            };
            Ok(watch::watch(shared.clone(), spec, query))
        }
        (Method::GET, None) => {
            let list = ops::list(&state, &target, &labels, &fields);
            let body = match printing {
                Some(crd) => {
                    let items = list["items"].as_array().cloned().unwrap_or_default();
                    table::table(def, crd.as_ref(), &items, state.store.rv())
                }
                None => list,
            };
            Ok(json_response(200, &body))
        }
        (Method::GET, Some(name)) => {
            let obj = ops::get(&state, &target, name)?;
            let body = match printing {
                Some(crd) => table::table(def, crd.as_ref(), &[obj], state.store.rv()),
                None => obj,
            };
            Ok(json_response(200, &body))
        }
        (Method::POST, None) => {
            let obj = ops::create(&mut state, &target, parse_body(&body)?, &opts)?;
            Ok(json_response(201, &obj))
        }
        (Method::PUT, Some(name)) => {
            let obj = ops::update(&mut state, &target, name, parse_body(&body)?, &opts)?;
            Ok(json_response(200, &obj))
        }
        (Method::PATCH, Some(name)) => {
            let kind = patch_kind(content_type)?;
            let (obj, created) =
                ops::patch(&mut state, &target, name, kind, parse_body(&body)?, &opts)?;
            Ok(json_response(if created { 201 } else { 200 }, &obj))
        }
        (Method::DELETE, Some(name)) => {
            let obj = ops::delete(&mut state, &target, name, opts.dry_run)?;
            Ok(json_response(200, &obj))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The CRD defining `def`, for printer columns (None for built-in kinds).
fn crd_of(state: &SimState, def: &super::resources::ResourceDef) -> Option<Value> {
    let name = format!("{}.{}", def.plural, def.group);
    let key = Key::new(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
        &name,
    );
    state.store.get(&key).cloned()
}
