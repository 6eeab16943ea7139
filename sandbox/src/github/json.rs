//! The JSON shapes GitHub answers with (field names as on GitHub), built
//! from catalogue data. Pure: data and a base URL in, `serde_json::Value` out.

use super::catalogue::{Catalogue, SimAsset, SimRelease};
use serde_json::{json, Value};

/// Where GitHub's error answers point.
pub(crate) const DOCS_URL: &str = "https://docs.github.com/rest";

/// `{base}/repos/{owner}/{repo}`.
pub(crate) fn repo_url(base: &str, c: &Catalogue) -> String {
    format!("{base}/repos/{}/{}", c.owner, c.repo)
}

/// The account that publishes the releases.
fn user(base: &str) -> Value {
    let login = "kyma-bot";
    let api = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": 40_000_001,
        "node_id": "MDQ6VXNlcjQwMDAwMDAx",
        "avatar_url": "https://avatars.githubusercontent.com/u/40000001?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{login}"),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": "User",
        "site_admin": false,
    })
}

/// One release asset.
pub(crate) fn asset(base: &str, c: &Catalogue, release: &SimRelease, a: &SimAsset) -> Value {
    let created = if a.updated_at < release.published_at {
        &a.updated_at
    } else {
        &release.published_at
    };
    json!({
        "url": format!("{}/releases/assets/{}", repo_url(base, c), a.id),
        "id": a.id,
        "node_id": format!("RA_kwDO{:010X}", a.id),
        "name": a.name,
        "label": "",
        "uploader": user(base),
        "content_type": a.content_type,
        "state": "uploaded",
        "size": a.content.len(),
        "digest": a.digest(),
        "download_count": 0,
        "created_at": created,
        "updated_at": a.updated_at,
        "browser_download_url": format!(
            "https://github.com/{}/{}/releases/download/{}/{}",
            c.owner, c.repo, release.tag, a.name
        ),
    })
}

/// One release with its assets.
pub(crate) fn release(base: &str, c: &Catalogue, r: &SimRelease) -> Value {
    let api = format!("{}/releases/{}", repo_url(base, c), r.id);
    let published = (!r.draft).then_some(&r.published_at);
    json!({
        "url": api,
        "assets_url": format!("{api}/assets"),
        "upload_url": format!(
            "https://uploads.github.com/repos/{}/{}/releases/{}/assets{{?name,label}}",
            c.owner, c.repo, r.id
        ),
        "html_url": format!("https://github.com/{}/{}/releases/tag/{}", c.owner, c.repo, r.tag),
        "id": r.id,
        "author": user(base),
        "node_id": format!("RE_kwDO{:010X}", r.id),
        "tag_name": r.tag,
        "target_commitish": r.target_commitish,
        "name": r.name,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "created_at": r.published_at,
        "published_at": published,
        "assets": r.assets.iter().map(|a| asset(base, c, r, a)).collect::<Vec<_>>(),
        "tarball_url": format!("{}/tarball/{}", repo_url(base, c), r.tag),
        "zipball_url": format!("{}/zipball/{}", repo_url(base, c), r.tag),
        "body": r.body,
    })
}

/// One entry of `GET /tags` or `GET /branches` (`{name, commit: {sha, url}}`).
pub(crate) fn git_ref(base: &str, c: &Catalogue, name: &str, commit: &str, tag: bool) -> Value {
    let repo = repo_url(base, c);
    let mut value = json!({
        "name": name,
        "commit": { "sha": commit, "url": format!("{repo}/commits/{commit}") },
    });
    if tag {
        value["zipball_url"] = json!(format!("{repo}/zipball/refs/tags/{name}"));
        value["tarball_url"] = json!(format!("{repo}/tarball/refs/tags/{name}"));
        value["node_id"] = json!(format!("REF_{}", &commit[..commit.len().min(12)]));
    } else {
        value["protected"] = json!(name == c.default_branch || name.starts_with("release-"));
    }
    value
}

/// GitHub's 404 body.
pub(crate) fn not_found() -> Value {
    json!({ "message": "Not Found", "documentation_url": DOCS_URL, "status": "404" })
}
