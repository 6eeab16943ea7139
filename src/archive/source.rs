//! An archive read back as a release source: its releases, its guide listings
//! and the stored blob of each file, for building bundles with no network.

use super::{Archive, ArchiveError, ArchiveInfo, ReleaseIndex, StoredBlob};
use crate::fetch::CachedBlob;
use crate::oci::Digest;
use crate::profile::branch_name;
use crate::registry::ArchivedImages;
use crate::source::github::ListedFile;
use crate::source::GuideListing;
use crate::source::Release;
use crate::version::Version;
use std::path::Path;

/// A loaded archive, answering like a source.
#[derive(Debug, Clone)]
pub struct ArchiveSource {
    archive: Archive,
    info: ArchiveInfo,
    releases: Vec<ReleaseIndex>,
}

impl ArchiveSource {
    /// Loads the archive at `root`, which must mirror `repo` (`owner/name`).
    pub fn open(root: &Path, repo: &str) -> Result<ArchiveSource, ArchiveError> {
        let (archive, info) = Archive::open_existing(root)?;
        if info.repo != repo {
            return Err(ArchiveError::WrongRepo {
                dir: root.to_path_buf(),
                found: info.repo,
                wanted: repo.to_string(),
            });
        }
        let releases = archive.releases()?;
        Ok(ArchiveSource {
            archive,
            info,
            releases,
        })
    }

    /// What `archive.json` says.
    pub fn info(&self) -> &ArchiveInfo {
        &self.info
    }

    /// The archived images (`ferry mirror --images`) for a puller that
    /// reads them instead of a registry.
    pub fn images(&self) -> ArchivedImages {
        let tags = self
            .releases
            .iter()
            .flat_map(|r| &r.images)
            .filter_map(|image| {
                let digest = Digest::parse(&image.digest).ok()?;
                Some((image.reference.clone(), digest))
            })
            .collect();
        ArchivedImages {
            store: self.archive.cache().clone(),
            tags,
            dir: self.archive.root().to_path_buf(),
        }
    }

    /// Every archived release.
    pub fn releases(&self) -> Vec<Release> {
        self.releases.iter().map(ReleaseIndex::to_release).collect()
    }

    /// The guides archived from `branch`, answering like GitHub would: no
    /// folder when none were archived from an existing branch, no branch
    /// when no archived release was cut from it (as the mirror's
    /// `release_branch` names them). A `dir` other than the one mirrored
    /// has no folder anywhere.
    pub fn guide_listing(&self, dir: &str, branch: &str) -> GuideListing {
        let known_branch = self.info.release_branch.is_empty()
            || self.releases.iter().any(|r| {
                r.tag
                    .parse::<Version>()
                    .is_ok_and(|v| branch_name(&self.info.release_branch, v.minor_key()) == branch)
            });
        if !known_branch {
            return GuideListing::NoBranch;
        }
        if dir.trim_matches('/') != self.info.guide_dir.trim_matches('/') {
            return GuideListing::NoFolder;
        }
        let mut files: Vec<ListedFile> = Vec::new();
        for guide in self.releases.iter().flat_map(|r| &r.guides) {
            if guide.branch == branch && !files.iter().any(|f| f.name == guide.name) {
                files.push(ListedFile {
                    name: guide.name.clone(),
                    sha: guide.git_sha.clone(),
                    kind: "file".to_string(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        if files.is_empty() {
            GuideListing::NoFolder
        } else {
            GuideListing::Files(files)
        }
    }

    /// The stored asset `name` of release `tag`.
    pub fn asset(&self, tag: &str, name: &str) -> Result<CachedBlob, ArchiveError> {
        let stored = self
            .release(tag)
            .and_then(|r| r.assets.iter().find(|a| a.name == name))
            .map(|a| &a.stored);
        self.present(stored, || format!("asset {name} of release {tag}"))
    }

    /// The stored repository file `path` at `git_ref`: a repo file at a tag,
    /// or a guide on a branch.
    pub fn file(&self, path: &str, git_ref: &str) -> Result<CachedBlob, ArchiveError> {
        let guide_name = path
            .strip_prefix(self.info.guide_dir.trim_matches('/'))
            .and_then(|rest| rest.strip_prefix('/'));
        let at_tag = self
            .release(git_ref)
            .and_then(|r| r.repo_files.iter().find(|f| f.path == path))
            .map(|f| &f.stored);
        let on_branch = guide_name.and_then(|name| {
            self.releases
                .iter()
                .flat_map(|r| &r.guides)
                .find(|g| g.branch == git_ref && g.name == name)
                .map(|g| &g.stored)
        });
        self.present(at_tag.or(on_branch), || format!("{path} at {git_ref}"))
    }

    fn release(&self, tag: &str) -> Option<&ReleaseIndex> {
        self.releases.iter().find(|r| r.tag == tag)
    }

    fn present(
        &self,
        stored: Option<&StoredBlob>,
        what: impl FnOnce() -> String,
    ) -> Result<CachedBlob, ArchiveError> {
        match stored {
            Some(stored) if self.archive.has(stored) => Ok(CachedBlob {
                sha256: stored.sha256.clone(),
                size: stored.stored_size,
                path: self.archive.blob_path(stored),
            }),
            _ => Err(ArchiveError::NotArchived {
                what: what(),
                dir: self.archive.root().to_path_buf(),
            }),
        }
    }
}
