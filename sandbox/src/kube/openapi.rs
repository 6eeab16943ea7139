//! OpenAPI v3: the `/openapi/v3` index (one entry per served group/version,
//! CRD groups included) and one small document per group/version with a
//! `patch` operation per resource carrying `x-kubernetes-group-version-kind`
//! and the `fieldValidation` parameter. That is what kubectl checks before it
//! validates server-side; no schemas are served. `/openapi/v2` is an empty
//! document, so kubectl's client-side fallback (used for kinds it cannot
//! find yet) skips validation as it does for unknown kinds on a real server.

use super::resources::ResourceDef;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

/// The protobuf media type of OpenAPI v2 documents.
const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// `/openapi/v2`: no definitions. In protobuf (what kubectl asks for) an
/// empty message is an empty body.
pub(crate) fn v2(headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains("protobuf") {
        return ([(header::CONTENT_TYPE, V2_PROTOBUF)], Vec::new()).into_response();
    }
    let doc = json!({"swagger": "2.0", "info": {"title": "Kubernetes (ferry sandbox)", "version": "v1"},
                     "paths": {}, "definitions": {}});
    super::status::json_response(200, &doc)
}

/// `api/v1` or `apis/{group}/{version}`.
fn gv_path(d: &ResourceDef) -> String {
    if d.group.is_empty() {
        format!("api/{}", d.version)
    } else {
        format!("apis/{}/{}", d.group, d.version)
    }
}

/// `/openapi/v3`.
pub(crate) fn index(defs: &[ResourceDef], rv: u64) -> Value {
    let mut paths = Map::new();
    for d in defs {
        let p = gv_path(d);
        let url = format!("/openapi/v3/{p}?hash={rv:016X}");
        paths.insert(p, json!({"serverRelativeURL": url}));
    }
    json!({"paths": paths})
}

fn param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description,
           "schema": {"type": "string", "uniqueItems": true}})
}

/// The document of one group/version, if served.
pub(crate) fn document(defs: &[ResourceDef], path: &str) -> Option<Value> {
    let mine: Vec<&ResourceDef> = defs.iter().filter(|d| gv_path(d) == path).collect();
    if mine.is_empty() {
        return None;
    }
    let mut paths = Map::new();
    for d in mine {
        let prefix = format!("/{}", gv_path(d));
        let url = if d.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", d.plural)
        } else {
            format!("{prefix}/{}/{{name}}", d.plural)
        };
        let gvk = json!({"group": d.group, "version": d.version, "kind": d.kind});
        let op = json!({
            "operationId": format!("patch{}", d.kind),
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
            "parameters": [
                param("dryRun", "When present, indicates that modifications should not be persisted."),
                param("fieldManager", "The name of the actor making the change."),
                param("fieldValidation", "How the server treats unknown or duplicate fields."),
                {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": true}},
            ],
            "responses": {"200": {"description": "OK"}},
        });
        let get = json!({
            "operationId": format!("read{}", d.kind),
            "x-kubernetes-action": "get",
            "x-kubernetes-group-version-kind": gvk,
            "responses": {"200": {"description": "OK"}},
        });
        paths.insert(url, json!({"get": get, "patch": op}));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (ferry sandbox)", "version": "v1"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}
