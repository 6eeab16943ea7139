//! Handlers of the JSON endpoints: releases (list, by tag, by id, latest,
//! assets), tags, branches and `/rate_limit`. List pages may be cut by the
//! `cut_connections` fault; the gate already applied the other faults.

use super::catalogue::{Catalogue, SimRelease};
use super::page::PageQuery;
use super::{body, clock, json, json_response, not_found, repo_matches, Shared};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;

/// Releases newest first by creation date, as GitHub lists them.
fn sorted_releases(c: &Catalogue) -> Vec<&SimRelease> {
    let mut releases: Vec<&SimRelease> = c.releases.iter().collect();
    releases.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    releases
}

/// Answers one page of a list, with `Link`, possibly cut (first time per page).
fn list_page(shared: &Shared, uri: &Uri, items: Vec<Value>, link: Option<String>) -> Response {
    let data = Bytes::from(serde_json::to_vec(&items).unwrap_or_default());
    let key = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let cut = shared.take_cut(&key);
    let mut response = body::sized_response(data, cut, None);
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        h.insert(header::LINK, link);
    }
    response
}

/// Runs `f` on the catalogue when the path names our repository, else 404.
fn with_repo(
    shared: &Shared,
    owner: &str,
    repo: &str,
    f: impl FnOnce(&Catalogue) -> Response,
) -> Response {
    let inner = shared.lock();
    if !repo_matches(&inner.catalogue, owner, repo) {
        return not_found();
    }
    f(&inner.catalogue)
}

/// `GET /repos/{o}/{r}/releases`.
pub(crate) async fn list_releases(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let base = shared.base(&headers);
    let page = {
        let inner = shared.lock();
        let c = &inner.catalogue;
        if !repo_matches(c, &owner, &repo) {
            return not_found();
        }
        let all: Vec<Value> = sorted_releases(c)
            .into_iter()
            .map(|r| json::release(&base, c, r))
            .collect();
        query.apply(all, &format!("{}/releases", json::repo_url(&base, c)))
    };
    list_page(&shared, &uri, page.items, page.link)
}

/// `GET /repos/{o}/{r}/releases/tags/{tag}` (drafts are not found by tag).
pub(crate) async fn release_by_tag(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, tag)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = shared.base(&headers);
    with_repo(&shared, &owner, &repo, |c| {
        match c.releases.iter().find(|r| r.tag == tag && !r.draft) {
            Some(r) => json_response(StatusCode::OK, &json::release(&base, c, r)),
            None => not_found(),
        }
    })
}

/// The release an id path segment names (`latest`: newest published final).
fn find_release<'a>(c: &'a Catalogue, id: &str) -> Option<&'a SimRelease> {
    if id == "latest" {
        return sorted_releases(c)
            .into_iter()
            .find(|r| !r.draft && !r.prerelease);
    }
    let id: u64 = id.parse().ok()?;
    c.releases.iter().find(|r| r.id == id)
}

/// `GET /repos/{o}/{r}/releases/{id}` and `/releases/latest`.
pub(crate) async fn release_by_id(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = shared.base(&headers);
    with_repo(&shared, &owner, &repo, |c| match find_release(c, &id) {
        Some(r) => json_response(StatusCode::OK, &json::release(&base, c, r)),
        None => not_found(),
    })
}

/// `GET /repos/{o}/{r}/releases/{id}/assets` (one page, like small releases).
pub(crate) async fn release_assets(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    let base = shared.base(&headers);
    with_repo(&shared, &owner, &repo, |c| match find_release(c, &id) {
        Some(r) => {
            let assets: Vec<Value> = r
                .assets
                .iter()
                .map(|a| json::asset(&base, c, r, a))
                .collect();
            json_response(StatusCode::OK, &Value::Array(assets))
        }
        None => not_found(),
    })
}

/// Tags newest name first (GitHub's order is by name, descending).
pub(crate) async fn list_tags(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let request = RefListing {
        owner,
        repo,
        query,
        headers,
        uri,
    };
    list_refs(&shared, request, true)
}

/// Branches by name.
pub(crate) async fn list_branches(
    State(shared): State<Arc<Shared>>,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let request = RefListing {
        owner,
        repo,
        query,
        headers,
        uri,
    };
    list_refs(&shared, request, false)
}

/// What a tag or branch listing was asked for.
struct RefListing {
    owner: String,
    repo: String,
    query: PageQuery,
    headers: HeaderMap,
    uri: Uri,
}

/// One page of tags (newest name first) or branches (by name), as git refs.
fn list_refs(shared: &Arc<Shared>, request: RefListing, tags: bool) -> Response {
    let base = shared.base(&request.headers);
    let page = {
        let inner = shared.lock();
        let c = &inner.catalogue;
        if !repo_matches(c, &request.owner, &request.repo) {
            return not_found();
        }
        let mut refs: Vec<(&str, &str)> = if tags {
            c.tags
                .iter()
                .map(|t| (t.name.as_str(), t.commit.as_str()))
                .collect()
        } else {
            c.branches
                .iter()
                .map(|b| (b.name.as_str(), b.commit.as_str()))
                .collect()
        };
        refs.sort_by(|a, b| if tags { b.0.cmp(a.0) } else { a.0.cmp(b.0) });
        let all = refs
            .into_iter()
            .map(|(name, commit)| json::git_ref(&base, c, name, commit, tags))
            .collect();
        let folder = if tags { "tags" } else { "branches" };
        request
            .query
            .apply(all, &format!("{}/{folder}", json::repo_url(&base, c)))
    };
    list_page(shared, &request.uri, page.items, page.link)
}

/// `GET /rate_limit` (does not count against the quota).
pub(crate) async fn rate_limit(State(shared): State<Arc<Shared>>) -> Response {
    let (limit, remaining, reset, used) = {
        let mut inner = shared.lock();
        inner.rate.roll(clock::unix_now());
        let r = &inner.rate;
        (r.limit, r.remaining(), r.reset, r.used)
    };
    let core = json!({ "limit": limit, "remaining": remaining, "reset": reset, "used": used, "resource": "core" });
    json_response(
        StatusCode::OK,
        &json!({ "resources": { "core": core.clone() }, "rate": core }),
    )
}
