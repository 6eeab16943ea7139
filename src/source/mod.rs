//! Where releases come from. `github` talks to the GitHub REST API (or GitHub
//! Enterprise, or the simulator); the types here are what the rest of ferry
//! sees of a release, whatever the source (`pack::origin` reads either GitHub
//! or an archive made by `ferry mirror` in these terms).

pub mod github;

use serde::{Deserialize, Serialize};

/// One release as the source describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Source-specific id.
    pub id: u64,
    /// The git tag (`1.2.2`, `v0.5.0`, `0.4-rc`).
    #[serde(rename = "tag_name")]
    pub tag: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Drafts are never planned.
    #[serde(default)]
    pub draft: bool,
    /// Marked as pre-release by the source.
    #[serde(default)]
    pub prerelease: bool,
    /// Publication time, RFC 3339.
    #[serde(default)]
    pub published_at: Option<String>,
    /// Release notes (Markdown).
    #[serde(default)]
    pub body: Option<String>,
    /// Downloadable assets.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// The commit the tag points at, when the source knows it.
    #[serde(default)]
    pub commit: Option<String>,
}

/// One downloadable release asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// Source-specific id.
    pub id: u64,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// API URL that answers with the bytes (after a redirect) for `Accept: application/octet-stream`.
    pub url: String,
    /// The public, stable download URL (recorded in manifests).
    pub browser_download_url: String,
    /// Last change, RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// `sha256:<hex>` when the source publishes a digest.
    #[serde(default)]
    pub digest: Option<String>,
}

impl Asset {
    /// The published SHA-256 (lower-case hex), if any.
    pub fn sha256(&self) -> Option<String> {
        self.digest
            .as_deref()
            .and_then(|d| d.strip_prefix("sha256:"))
            .map(str::to_ascii_lowercase)
    }
}

impl Release {
    /// The asset with this name.
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }
}

/// A release branch's guide folder, as a release source knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuideListing {
    /// The folder exists and holds these files.
    Files(Vec<github::ListedFile>),
    /// The branch exists; the folder does not (git keeps no empty folders,
    /// so a branch without guides looks like this).
    NoFolder,
    /// There is no such branch.
    NoBranch,
}
