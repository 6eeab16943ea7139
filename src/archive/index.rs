//! The archive's readable index: `archive.json` (what the archive mirrors and
//! when it last ran) and one `releases/<tag>.json` per release (the source's
//! metadata plus, for every archived file, its SHA-256 and blob path). Reading
//! and writing them (atomically) is here; deciding what goes in is `mirror`'s.

use crate::source::{Asset, Release};
use serde::{Deserialize, Serialize};

/// `archive.json`: which repository this archive mirrors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveInfo {
    /// `owner/name`.
    pub repo: String,
    /// The profile name the archive was made with.
    pub profile: String,
    /// The API root the files were read from (part of the download keys).
    pub api: String,
    /// The repository's stable web address (`https://github.com/owner/name`).
    pub web: String,
    /// The profile's guide folder.
    pub guide_dir: String,
    /// The profile's release branch template (empty in archives made before it was recorded).
    #[serde(default)]
    pub release_branch: String,
    /// When the last mirror run finished, RFC 3339.
    pub last_run: String,
}

/// `releases/<tag>.json`: one release and every file archived for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseIndex {
    /// Source id of the release.
    pub id: u64,
    /// The git tag.
    pub tag: String,
    /// Display name.
    pub name: Option<String>,
    /// Marked as pre-release upstream.
    pub prerelease: bool,
    /// Always false: drafts are not archived.
    pub draft: bool,
    /// Publication time, RFC 3339.
    pub published_at: Option<String>,
    /// Release notes (Markdown).
    pub body: Option<String>,
    /// The commit the tag points at.
    pub commit: Option<String>,
    /// Archived assets.
    pub assets: Vec<AssetRecord>,
    /// Migration guides on the release's branch.
    pub guides: Vec<GuideRecord>,
    /// Repository files at the tag that the profile's recipes use.
    pub repo_files: Vec<StoredFile>,
    /// Container images a hop to this release needs (`ferry mirror --images`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRecord>,
}

/// One archived container image: what its reference resolved to, and every
/// manifest and blob of it in the blob store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The normalized reference (`eu.gcr.io/kyma-project/kyma-installer:1.3.0`).
    pub reference: String,
    /// The digest the registry named it by when mirrored.
    pub digest: String,
    /// Why a hop to this release needs it.
    pub reasons: Vec<String>,
    /// The manifests (the top one first), configs and layers.
    pub blobs: Vec<StoredBlob>,
}

/// One archived release asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRecord {
    /// Source id.
    pub id: u64,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Last change upstream, RFC 3339.
    pub updated_at: Option<String>,
    /// Digest published upstream (`sha256:<hex>`).
    pub digest: Option<String>,
    /// API URL of the asset.
    pub url: String,
    /// Stable public download URL.
    pub browser_download_url: String,
    /// The stored content.
    #[serde(flatten)]
    pub stored: StoredBlob,
    /// The asset no longer exists upstream; the archive keeps it.
    pub deleted_upstream: bool,
}

/// One archived migration guide.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuideRecord {
    /// The release branch it was read from.
    pub branch: String,
    /// File name in the guide folder.
    pub name: String,
    /// Git blob id upstream.
    pub git_sha: String,
    /// The stored content.
    #[serde(flatten)]
    pub stored: StoredBlob,
}

/// One archived repository file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Path in the repository.
    pub path: String,
    /// The stored content.
    #[serde(flatten)]
    pub stored: StoredBlob,
}

/// Where an archived file's content is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBlob {
    /// Lowercase hex SHA-256.
    pub sha256: String,
    /// Size in bytes of the stored content.
    pub stored_size: u64,
    /// Blob path relative to the archive root (`blobs/sha256/ab/<hex>`).
    pub blob: String,
}

impl ReleaseIndex {
    /// An index for `release` with no files yet.
    pub fn empty(release: &Release) -> ReleaseIndex {
        ReleaseIndex {
            id: release.id,
            tag: release.tag.clone(),
            name: release.name.clone(),
            prerelease: release.prerelease,
            draft: false,
            published_at: release.published_at.clone(),
            body: release.body.clone(),
            commit: release.commit.clone(),
            assets: Vec::new(),
            guides: Vec::new(),
            repo_files: Vec::new(),
            images: Vec::new(),
        }
    }

    /// The release as a source would describe it, with every archived asset
    /// (those deleted upstream too).
    pub fn to_release(&self) -> Release {
        Release {
            id: self.id,
            tag: self.tag.clone(),
            name: self.name.clone(),
            draft: false,
            prerelease: self.prerelease,
            published_at: self.published_at.clone(),
            body: self.body.clone(),
            assets: self.assets.iter().map(AssetRecord::to_asset).collect(),
            commit: self.commit.clone(),
        }
    }

    /// Every stored file of the release, with a label for reports.
    pub fn stored_files(&self) -> Vec<(String, &StoredBlob)> {
        let assets = self
            .assets
            .iter()
            .map(|a| (format!("asset {}", a.name), &a.stored));
        let guides = self
            .guides
            .iter()
            .map(|g| (format!("guide {} ({})", g.name, g.branch), &g.stored));
        let files = self
            .repo_files
            .iter()
            .map(|f| (format!("repo file {}", f.path), &f.stored));
        let images = self.images.iter().flat_map(|image| {
            image.blobs.iter().map(move |blob| {
                (
                    format!("image {} blob {}", image.reference, blob.sha256),
                    blob,
                )
            })
        });
        assets.chain(guides).chain(files).chain(images).collect()
    }
}

impl AssetRecord {
    /// The asset as the source described it.
    pub fn to_asset(&self) -> Asset {
        Asset {
            id: self.id,
            name: self.name.clone(),
            size: self.size,
            url: self.url.clone(),
            browser_download_url: self.browser_download_url.clone(),
            updated_at: self.updated_at.clone(),
            digest: self.digest.clone(),
        }
    }

    /// Whether `asset` upstream is the same file this record holds.
    pub fn matches(&self, asset: &Asset) -> bool {
        self.id == asset.id && self.size == asset.size && self.updated_at == asset.updated_at
    }
}
