//! The GitHub REST API as a release source (github.com, GitHub Enterprise at
//! `https://HOST/api/v3`, or the simulator): releases with their tag commits,
//! guide folders on release branches, and download requests for assets and
//! repository files. Retries, rate limits and caching are `fetch`'s job.

use super::Release;
use crate::fetch::{DownloadRequest, HttpClient, HttpError};
use serde::Deserialize;
use std::collections::HashMap;

/// The public github.com API root.
pub const DEFAULT_API: &str = "https://api.github.com";

/// Media type GitHub answers with raw file content.
const RAW: &str = "application/vnd.github.raw";
/// Media type for API JSON.
const JSON: &str = "application/vnd.github+json";

/// One repository on a GitHub API server.
#[derive(Clone)]
pub struct GitHubSource {
    http: HttpClient,
    api: String,
    owner: String,
    repo: String,
}

/// A file in a folder listing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListedFile {
    /// File name.
    pub name: String,
    /// Git blob id: changes whenever the content does.
    pub sha: String,
    /// `file` or `dir`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Deserialize)]
struct TagEntry {
    name: String,
    commit: TagCommit,
}

#[derive(Deserialize)]
struct TagCommit {
    sha: String,
}

/// A GitHub request that failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The HTTP layer gave up.
    #[error("cannot read {what} of {repo} from {api}")]
    Http {
        /// What was being read.
        what: String,
        /// `owner/name`.
        repo: String,
        /// The API root.
        api: String,
        /// The cause.
        #[source]
        source: HttpError,
    },
    /// The answer was not what the GitHub API returns.
    #[error("unexpected answer for {url}: {problem}")]
    Unexpected {
        /// The URL.
        url: String,
        /// What was wrong.
        problem: String,
    },
}

impl GitHubSource {
    /// A source for `owner/repo` on the API server at `api` (trailing slash optional).
    pub fn new(http: HttpClient, api: &str, owner: &str, repo: &str) -> GitHubSource {
        GitHubSource {
            http,
            api: api.trim_end_matches('/').to_string(),
            owner: owner.to_string(),
            repo: repo.to_string(),
        }
    }

    fn repo_url(&self) -> String {
        format!("{}/repos/{}/{}", self.api, self.owner, self.repo)
    }

    fn slug(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    fn http_error(&self, what: &str) -> impl FnOnce(HttpError) -> SourceError + '_ {
        let what = what.to_string();
        move |source| SourceError::Http {
            what,
            repo: self.slug(),
            api: self.api.clone(),
            source,
        }
    }

    /// Every release (all pages), each with the commit its tag points at.
    pub async fn releases(&self) -> Result<Vec<Release>, SourceError> {
        let url = format!("{}/releases?per_page=100", self.repo_url());
        let mut releases: Vec<Release> = self
            .http
            .get_json_pages(&url)
            .await
            .map_err(self.http_error("the releases"))?;
        let tags_url = format!("{}/tags?per_page=100", self.repo_url());
        let tags: Vec<TagEntry> = self
            .http
            .get_json_pages(&tags_url)
            .await
            .map_err(self.http_error("the tags"))?;
        let commits: HashMap<String, String> = tags
            .into_iter()
            .map(|tag| (tag.name, tag.commit.sha))
            .collect();
        for release in &mut releases {
            release.commit = commits.get(&release.tag).cloned();
        }
        Ok(releases)
    }

    /// The files in folder `dir` at `git_ref`; None when the ref or folder does not exist.
    pub async fn list_folder(
        &self,
        dir: &str,
        git_ref: &str,
    ) -> Result<Option<Vec<ListedFile>>, SourceError> {
        let url = self.contents_url(dir, git_ref);
        let body = self
            .http
            .get_bytes(&url, JSON)
            .await
            .map_err(self.http_error(&format!("folder {dir} at {git_ref}")))?;
        let Some(body) = body else {
            return Ok(None);
        };
        let files: Vec<ListedFile> =
            serde_json::from_slice(&body).map_err(|e| SourceError::Unexpected {
                url: url.clone(),
                problem: format!("not a folder listing ({e})"),
            })?;
        Ok(Some(
            files.into_iter().filter(|f| f.kind == "file").collect(),
        ))
    }

    /// Whether `git_ref` (a branch, tag or commit) exists: its root folder lists.
    pub async fn ref_exists(&self, git_ref: &str) -> Result<bool, SourceError> {
        let url = format!("{}/contents?ref={git_ref}", self.repo_url());
        let body = self
            .http
            .get_bytes(&url, JSON)
            .await
            .map_err(self.http_error(&format!("the root folder at {git_ref}")))?;
        Ok(body.is_some())
    }

    fn contents_url(&self, path: &str, git_ref: &str) -> String {
        format!(
            "{}/contents/{}?ref={}",
            self.repo_url(),
            path.trim_matches('/'),
            git_ref
        )
    }

    /// The download of a release asset, through its API URL (GitHub redirects to storage).
    pub fn asset_download(&self, release: &Release, name: &str) -> Option<DownloadRequest> {
        let asset = release.asset(name)?;
        Some(DownloadRequest {
            key: format!(
                "asset:{}:{}:{}:{}",
                asset.url,
                asset.id,
                asset.size,
                asset.updated_at.as_deref().unwrap_or("")
            ),
            url: asset.url.clone(),
            accept: "application/octet-stream".to_string(),
            expected_size: Some(asset.size),
            expected_sha256: asset.sha256(),
            label: format!("{} {}", release.tag, asset.name),
        })
    }

    /// The download of one repository file at `git_ref`. `blob` (the git blob id
    /// from a listing) makes the cache notice a changed file on a moving branch.
    pub fn file_download(&self, path: &str, git_ref: &str, blob: Option<&str>) -> DownloadRequest {
        let url = self.contents_url(path, git_ref);
        DownloadRequest {
            key: format!("file:{url}#{}", blob.unwrap_or("")),
            url,
            accept: RAW.to_string(),
            expected_size: None,
            expected_sha256: None,
            label: format!("{git_ref} {path}"),
        }
    }

    /// The stable public address of a repository file, recorded in manifests.
    pub fn file_web_url(&self, path: &str, git_ref: &str) -> String {
        file_web_url(&self.web_repo_url(), path, git_ref)
    }

    /// The stable public address of a release page, recorded in manifests.
    pub fn release_web_url(&self, tag: &str) -> String {
        release_web_url(&self.web_repo_url(), tag)
    }

    /// The API root this source reads from.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The repository's web address: github.com for the public API and any
    /// non-Enterprise server (the simulator), the server's own host for
    /// GitHub Enterprise (`/api/v3`).
    pub fn web_repo_url(&self) -> String {
        let host = match self.api.strip_suffix("/api/v3") {
            Some(root) => root.to_string(),
            None => "https://github.com".to_string(),
        };
        format!("{host}/{}/{}", self.owner, self.repo)
    }
}

/// The web address of `path` at `git_ref` in the repository at `web`.
pub fn file_web_url(web: &str, path: &str, git_ref: &str) -> String {
    format!("{web}/blob/{git_ref}/{path}")
}

/// The web address of release `tag`'s page in the repository at `web`.
pub fn release_web_url(web: &str, tag: &str) -> String {
    format!("{web}/releases/tag/{tag}")
}
