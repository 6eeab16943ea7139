//! The contents API (`/repos/{o}/{r}/contents/{path}?ref=`): directory
//! listings, files as base64 JSON or raw bytes, 404 for a missing ref or
//! path; plus the `download_url` target (`/_raw/{ref}/{path}`). Reads the
//! catalogue's trees; `sha` is the real git blob id (see `sha1.rs`).

use super::catalogue::Catalogue;
use super::sha1::git_blob_sha;
use super::{json, json_response, not_found, repo_matches, Shared};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `ref` query parameter.
#[derive(Debug, Deserialize)]
pub(crate) struct RefQuery {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
}

/// What a path names inside a tree.
enum Node {
    File(Bytes),
    /// Immediate children: name -> Some(bytes) for files, None for directories.
    Dir(BTreeMap<String, Option<Bytes>>),
}

fn lookup(tree: &BTreeMap<String, Bytes>, path: &str) -> Option<Node> {
    if let Some(bytes) = tree.get(path) {
        return Some(Node::File(bytes.clone()));
    }
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut children = BTreeMap::new();
    for (file, bytes) in tree.range(prefix.clone()..) {
        let Some(rest) = file.strip_prefix(&prefix) else {
            break;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                children.entry(dir.to_string()).or_insert(None);
            }
            None => {
                children.insert(rest.to_string(), Some(bytes.clone()));
            }
        }
    }
    (!children.is_empty()).then_some(Node::Dir(children))
}

/// Git-like id of a directory listing (a stand-in for the tree object id).
fn dir_sha(children: &BTreeMap<String, Option<Bytes>>) -> String {
    let listing: String = children
        .iter()
        .map(|(name, file)| {
            let sha = file.as_deref().map(git_blob_sha).unwrap_or_default();
            format!("{name} {sha}\n")
        })
        .collect();
    git_blob_sha(listing.as_bytes())
}

/// One contents entry (file or dir) without its content.
fn entry(
    base: &str,
    c: &Catalogue,
    git_ref: &str,
    path: &str,
    file: Option<&Bytes>,
    sha: &str,
) -> Value {
    let name = path.rsplit('/').next().unwrap_or(path);
    let api = format!("{}/contents/{path}?ref={git_ref}", json::repo_url(base, c));
    let (kind, size, html, git, download) = match file {
        Some(bytes) => (
            "file",
            bytes.len(),
            format!(
                "https://github.com/{}/{}/blob/{git_ref}/{path}",
                c.owner, c.repo
            ),
            format!("{}/git/blobs/{sha}", json::repo_url(base, c)),
            json!(format!("{base}/_raw/{git_ref}/{path}")),
        ),
        None => (
            "dir",
            0,
            format!(
                "https://github.com/{}/{}/tree/{git_ref}/{path}",
                c.owner, c.repo
            ),
            format!("{}/git/trees/{sha}", json::repo_url(base, c)),
            Value::Null,
        ),
    };
    json!({
        "type": kind,
        "size": size,
        "name": name,
        "path": path,
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": download,
        "_links": { "self": api, "git": git, "html": html },
    })
}

/// Base64 the way GitHub sends it: wrapped at 60 characters with `\n`.
fn wrapped_base64(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 60 + 1);
    for (i, chunk) in encoded.as_bytes().chunks(60).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out.push('\n');
    out
}

fn raw_bytes(bytes: Bytes) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        bytes,
    )
        .into_response()
}

fn answer(
    shared: &Shared,
    owner: &str,
    repo: &str,
    path: &str,
    query: RefQuery,
    headers: &HeaderMap,
) -> Response {
    let base = shared.base(headers);
    let raw = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| {
            a.contains("application/vnd.github.raw") || a.contains("application/vnd.github.v3.raw")
        });
    let path = path.trim_matches('/');
    let inner = shared.lock();
    let c = &inner.catalogue;
    if !repo_matches(c, owner, repo) {
        return not_found();
    }
    let git_ref = query.git_ref.unwrap_or_else(|| c.default_branch.clone());
    let Some(node) = c.tree(&git_ref).and_then(|tree| lookup(tree, path)) else {
        return not_found();
    };
    match node {
        Node::File(bytes) if raw => raw_bytes(bytes),
        Node::File(bytes) => {
            let sha = git_blob_sha(&bytes);
            let mut value = entry(&base, c, &git_ref, path, Some(&bytes), &sha);
            value["encoding"] = json!("base64");
            value["content"] = json!(wrapped_base64(&bytes));
            json_response(StatusCode::OK, &value)
        }
        Node::Dir(children) => {
            let list: Vec<Value> = children
                .iter()
                .map(|(name, file)| {
                    let child = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}/{name}")
                    };
                    let sha = match file {
                        Some(bytes) => git_blob_sha(bytes),
                        None => match c.tree(&git_ref).and_then(|t| lookup(t, &child)) {
                            Some(Node::Dir(grand)) => dir_sha(&grand),
                            _ => String::new(),
                        },
                    };
                    entry(&base, c, &git_ref, &child, file.as_ref(), &sha)
                })
                .collect();
            json_response(StatusCode::OK, &Value::Array(list))
        }
    }
}

/// `GET /repos/{o}/{r}/contents` (the root directory).
pub(crate) async fn root(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<RefQuery>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &owner, &repo, "", query, &headers)
}

/// `GET /repos/{o}/{r}/contents/{path}`.
pub(crate) async fn path(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, path)): Path<(String, String, String)>,
    Query(query): Query<RefQuery>,
    headers: HeaderMap,
) -> Response {
    answer(&shared, &owner, &repo, &path, query, &headers)
}

/// `GET /_raw/{ref}/{path}`: a file's bytes (the `download_url`).
pub(crate) async fn raw(
    State(shared): State<Arc<Shared>>,
    Path((git_ref, path)): Path<(String, String)>,
) -> Response {
    let inner = shared.lock();
    match inner
        .catalogue
        .tree(&git_ref)
        .and_then(|t| t.get(path.trim_matches('/')))
    {
        Some(bytes) => raw_bytes(bytes.clone()),
        None => not_found(),
    }
}
