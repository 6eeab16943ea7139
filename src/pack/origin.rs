//! Where `pack` takes a bundle's files from: GitHub (downloads through
//! `fetch`) or an archive made by `ferry mirror` (stored blobs, no network).
//! Both answer with the same releases, guide listings and stable web URLs,
//! so the bundle is the same byte for byte.

use crate::archive::{ArchiveError, ArchiveSource};
use crate::fetch::{CachedBlob, DownloadRequest};
use crate::source::github::{self, GitHubSource, SourceError};
use crate::source::{GuideListing, Release};

/// A release source for bundling.
#[derive(Clone)]
pub enum Origin {
    /// The GitHub API (or the simulator).
    GitHub(GitHubSource),
    /// An archive directory.
    Archive(Box<ArchiveSource>),
}

/// How to obtain one file.
#[derive(Debug, Clone)]
pub enum Obtain {
    /// Download it (or find it in the download cache).
    Download(DownloadRequest),
    /// It is already on disk.
    Stored(CachedBlob),
}

/// Why an origin could not answer.
#[derive(Debug, thiserror::Error)]
pub enum OriginError {
    /// GitHub failed.
    #[error(transparent)]
    GitHub(Box<SourceError>),
    /// The archive failed or lacks a file.
    #[error(transparent)]
    Archive(Box<ArchiveError>),
}

impl From<SourceError> for OriginError {
    fn from(err: SourceError) -> Self {
        OriginError::GitHub(Box::new(err))
    }
}

impl From<ArchiveError> for OriginError {
    fn from(err: ArchiveError) -> Self {
        OriginError::Archive(Box::new(err))
    }
}

impl Origin {
    /// Every release.
    pub async fn releases(&self) -> Result<Vec<Release>, OriginError> {
        match self {
            Origin::GitHub(source) => Ok(source.releases().await?),
            Origin::Archive(archive) => Ok(archive.releases()),
        }
    }

    /// What the guide folder `dir` on `branch` holds, or which of the two is missing.
    pub async fn guide_listing(
        &self,
        dir: &str,
        branch: &str,
    ) -> Result<GuideListing, OriginError> {
        match self {
            Origin::GitHub(source) => match source.list_folder(dir, branch).await? {
                Some(files) => Ok(GuideListing::Files(files)),
                None if source.ref_exists(branch).await? => Ok(GuideListing::NoFolder),
                None => Ok(GuideListing::NoBranch),
            },
            Origin::Archive(archive) => Ok(archive.guide_listing(dir, branch)),
        }
    }

    /// How to obtain asset `name` of `release`; `None` when the release has no such asset.
    pub fn asset(&self, release: &Release, name: &str) -> Result<Option<Obtain>, OriginError> {
        match self {
            Origin::GitHub(source) => {
                Ok(source.asset_download(release, name).map(Obtain::Download))
            }
            Origin::Archive(archive) => {
                if release.asset(name).is_none() {
                    return Ok(None);
                }
                Ok(Some(Obtain::Stored(archive.asset(&release.tag, name)?)))
            }
        }
    }

    /// How to obtain repository file `path` at `git_ref` (`blob`: its git blob id, if listed).
    pub fn file(
        &self,
        path: &str,
        git_ref: &str,
        blob: Option<&str>,
    ) -> Result<Obtain, OriginError> {
        match self {
            Origin::GitHub(source) => {
                Ok(Obtain::Download(source.file_download(path, git_ref, blob)))
            }
            Origin::Archive(archive) => Ok(Obtain::Stored(archive.file(path, git_ref)?)),
        }
    }

    fn web(&self) -> String {
        match self {
            Origin::GitHub(source) => source.web_repo_url(),
            Origin::Archive(archive) => archive.info().web.clone(),
        }
    }

    /// The stable public address of a repository file, recorded in manifests.
    pub fn file_web_url(&self, path: &str, git_ref: &str) -> String {
        github::file_web_url(&self.web(), path, git_ref)
    }

    /// The stable public address of a release page, recorded in manifests.
    pub fn release_web_url(&self, tag: &str) -> String {
        github::release_web_url(&self.web(), tag)
    }
}
