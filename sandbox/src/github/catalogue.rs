//! The simulated repository as plain data: releases with their assets, tags,
//! branches and the files at every git ref. Owns the data model and the
//! helpers tests use to change it; the Kyma history that fills it lives in
//! `kyma.rs`, the HTTP views of it in `api.rs`, `contents.rs` and `storage.rs`.

use super::clock;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Everything the simulator serves for one repository.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    /// Repository owner (`kyma-project`).
    pub owner: String,
    /// Repository name (`kyma`).
    pub repo: String,
    /// Releases, in any order (the API sorts them).
    pub releases: Vec<SimRelease>,
    /// Git tags (with or without a release).
    pub tags: Vec<SimTag>,
    /// Git branches.
    pub branches: Vec<SimBranch>,
    /// Branch the contents API reads when no `ref` is given.
    pub default_branch: String,
    /// Files per git ref (branch or tag name): path -> bytes.
    pub trees: BTreeMap<String, BTreeMap<String, Bytes>>,
}

/// One GitHub release.
#[derive(Clone, Debug)]
pub struct SimRelease {
    /// Release id.
    pub id: u64,
    /// Tag name.
    pub tag: String,
    /// Display name.
    pub name: String,
    /// Pre-release flag.
    pub prerelease: bool,
    /// Draft flag (drafts have no publication date).
    pub draft: bool,
    /// Publication (and creation) time, RFC 3339.
    pub published_at: String,
    /// Release notes, Markdown.
    pub body: String,
    /// Branch or commit the tag was cut from.
    pub target_commitish: String,
    /// Uploaded assets.
    pub assets: Vec<SimAsset>,
}

/// One release asset.
#[derive(Clone, Debug)]
pub struct SimAsset {
    /// Asset id (unique across the repository).
    pub id: u64,
    /// File name.
    pub name: String,
    /// The bytes served by storage.
    pub content: Bytes,
    /// Upload time, RFC 3339; `created_at` in the API equals the release's date.
    pub updated_at: String,
    /// MIME type, e.g. `application/x-yaml`.
    pub content_type: String,
    /// `sha256:<hex>` of `content`, worked out once (listings repeat it).
    digest: String,
}

/// A git tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimTag {
    /// Tag name.
    pub name: String,
    /// Commit id, 40 hex digits.
    pub commit: String,
}

/// A git branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimBranch {
    /// Branch name.
    pub name: String,
    /// Head commit id, 40 hex digits.
    pub commit: String,
}

/// A deterministic, commit-like 40-hex id derived from `seed`.
pub fn fake_commit(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    hex::encode(digest)[..40].to_string()
}

impl SimAsset {
    /// An asset of type `application/x-yaml`.
    pub fn yaml(id: u64, name: String, content: Bytes, updated_at: String) -> SimAsset {
        SimAsset {
            id,
            name,
            digest: content_digest(&content),
            content,
            updated_at,
            content_type: "application/x-yaml".to_string(),
        }
    }

    /// `sha256:<hex>` of the content, as GitHub's `digest` field.
    pub fn digest(&self) -> &str {
        &self.digest
    }
}

fn content_digest(content: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(content)))
}

impl SimRelease {
    /// The asset called `name`.
    pub fn asset(&self, name: &str) -> Option<&SimAsset> {
        self.assets.iter().find(|a| a.name == name)
    }

    /// Replaces an asset's bytes and moves its `updated_at` forward (to now,
    /// or one second past the old value if that is later). False when absent.
    pub fn set_asset_content(&mut self, name: &str, content: impl Into<Bytes>) -> bool {
        let Some(asset) = self.assets.iter_mut().find(|a| a.name == name) else {
            return false;
        };
        asset.content = content.into();
        asset.digest = content_digest(&asset.content);
        let previous = clock::parse_rfc3339(&asset.updated_at).unwrap_or(0);
        asset.updated_at = clock::rfc3339(clock::unix_now().max(previous + 1));
        true
    }
}

impl Catalogue {
    /// The release tagged `tag`.
    pub fn release(&self, tag: &str) -> Option<&SimRelease> {
        self.releases.iter().find(|r| r.tag == tag)
    }

    /// The release tagged `tag`, for changing it in place.
    pub fn release_mut(&mut self, tag: &str) -> Option<&mut SimRelease> {
        self.releases.iter_mut().find(|r| r.tag == tag)
    }

    /// The asset with id `id` and the release holding it.
    pub fn asset_by_id(&self, id: u64) -> Option<(&SimRelease, &SimAsset)> {
        self.releases
            .iter()
            .find_map(|r| r.assets.iter().find(|a| a.id == id).map(|a| (r, a)))
    }

    /// Sets an asset's content by release tag and asset name (bumps
    /// `updated_at`). False when the release or asset does not exist.
    pub fn set_asset_content(&mut self, tag: &str, name: &str, content: impl Into<Bytes>) -> bool {
        self.release_mut(tag)
            .is_some_and(|r| r.set_asset_content(name, content))
    }

    /// An id no release or asset uses yet.
    pub fn fresh_id(&self) -> u64 {
        self.releases
            .iter()
            .flat_map(|r| std::iter::once(r.id).chain(r.assets.iter().map(|a| a.id)))
            .max()
            .unwrap_or(0)
            + 1
    }

    /// Adds (or replaces) a release; its tag is created at a commit derived
    /// from the tag name unless the tag already exists. Drafts get no tag.
    pub fn add_release(&mut self, release: SimRelease) -> &mut SimRelease {
        if !release.draft && !self.tags.iter().any(|t| t.name == release.tag) {
            self.tags.push(SimTag {
                name: release.tag.clone(),
                commit: fake_commit(&format!("tag:{}", release.tag)),
            });
        }
        self.releases
            .retain(|r| r.tag != release.tag || r.draft != release.draft);
        self.releases.push(release);
        let last = self.releases.len() - 1;
        &mut self.releases[last]
    }

    /// Writes one file at a git ref (creating the ref's tree if needed).
    pub fn set_file(&mut self, git_ref: &str, path: &str, content: impl Into<Bytes>) {
        self.trees
            .entry(git_ref.to_string())
            .or_default()
            .insert(path.trim_matches('/').to_string(), content.into());
    }

    /// The files at a git ref, if the ref exists.
    pub fn tree(&self, git_ref: &str) -> Option<&BTreeMap<String, Bytes>> {
        self.trees.get(git_ref)
    }

    /// Adds a branch (if new) with a derived head commit.
    pub fn add_branch(&mut self, name: &str) {
        if !self.branches.iter().any(|b| b.name == name) {
            self.branches.push(SimBranch {
                name: name.to_string(),
                commit: fake_commit(&format!("branch:{name}")),
            });
        }
    }

    /// Commit of a branch or tag, if it exists.
    pub fn commit_of(&self, git_ref: &str) -> Option<&str> {
        self.branches
            .iter()
            .find(|b| b.name == git_ref)
            .map(|b| b.commit.as_str())
            .or_else(|| {
                self.tags
                    .iter()
                    .find(|t| t.name == git_ref)
                    .map(|t| t.commit.as_str())
            })
    }
}
