//! The images half of `ferry mirror --images`: for every archived release,
//! the images a hop to it would need (found exactly as `bundle --images`
//! finds them, over every variant of the release's recipe), pulled into the
//! archive's blob store and recorded in the release's index. `bundle
//! --source DIR --images` then resolves each reference to the recorded
//! digest and reads every blob from the store, with no network.

use super::images::{hop_images, ImageOptions};
use super::PackError;
use crate::archive::StoredBlob;
use crate::archive::{Archive, ArchiveLock, ImageRecord, MirrorOptions, ReleaseIndex};
use crate::oci::Digest;
use crate::profile::{Profile, StepSpec};
use crate::registry::{PulledImage, RegistryError};
use crate::version::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What an image mirror run found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageMirrorReport {
    /// Distinct images across the releases.
    pub images: usize,
    /// `<tag>: <reference>` for images new to a release, or whose digest changed.
    pub added: Vec<String>,
    /// Bytes of distinct blobs the archive holds for these images.
    pub bytes: u64,
}

/// Finds, pulls and records the images of every archived release that
/// `scope` covers and a hop can land on (finals, and pre-releases the
/// profile pins). The puller must store into `archive`'s blob store.
pub async fn mirror_images(
    options: &ImageOptions,
    profile: &Profile,
    archive: &Archive,
    scope: &MirrorOptions,
) -> Result<ImageMirrorReport, PackError> {
    let _lock = ArchiveLock::acquire(archive.root())?;
    let mut releases: Vec<(ReleaseIndex, Version)> = archive
        .releases()?
        .into_iter()
        .filter_map(|index| {
            let version = index.tag.parse::<Version>().ok()?;
            (scope.covers(&version) && may_land_on(profile, &version)).then_some((index, version))
        })
        .collect();
    releases.sort_by(|a, b| a.1.cmp(&b.1));

    let mut pulled: BTreeMap<String, PulledImage> = BTreeMap::new();
    let mut found = Vec::new();
    for (index, version) in &releases {
        let files = recipe_files(archive, profile, index, version);
        let files: Vec<(&str, &Path)> = files
            .iter()
            .map(|(label, path)| (label.as_str(), path.as_path()))
            .collect();
        let needed = hop_images(options, profile, version, &files, &mut pulled).await?;
        found.push(needed.into_vec());
    }
    let kept: Vec<PulledImage> = pulled
        .into_values()
        .filter(|image| !options.skips(&image.reference))
        .collect();
    options.puller.fetch_blobs(&kept).await?;
    let by_reference: BTreeMap<&str, &PulledImage> =
        kept.iter().map(|i| (i.reference.as_str(), i)).collect();

    let mut report = ImageMirrorReport {
        images: kept.len(),
        bytes: distinct_bytes(&kept),
        ..ImageMirrorReport::default()
    };
    for ((mut index, _), needed) in releases.into_iter().zip(found) {
        let mut records = Vec::new();
        for image in needed {
            let Some(pulled) = by_reference.get(image.reference.as_str()) else {
                continue;
            };
            let record = ImageRecord {
                reference: image.reference,
                digest: pulled.upstream_digest.to_string(),
                reasons: image.reasons,
                blobs: stored_blobs(options, archive, pulled)?,
            };
            let known = index
                .images
                .iter()
                .any(|old| old.reference == record.reference && old.digest == record.digest);
            if !known {
                report
                    .added
                    .push(format!("{}: image {}", index.tag, record.reference));
            }
            records.push(record);
        }
        records.sort_by(|a, b| a.reference.cmp(&b.reference));
        if records != index.images {
            index.images = records;
            archive.write_release(&index)?;
        }
    }
    Ok(report)
}

/// Whether a hop can land on `version`: a final release, or the
/// pre-release the profile pins for its minor.
fn may_land_on(profile: &Profile, version: &Version) -> bool {
    !version.is_prerelease()
        || profile
            .pin_for(version.minor_key())
            .is_some_and(|pin| &pin.version == version)
}

/// The files a hop to `version` applies, in any variant, as stored in the
/// archive: `(label, path)`.
fn recipe_files(
    archive: &Archive,
    profile: &Profile,
    index: &ReleaseIndex,
    version: &Version,
) -> Vec<(String, PathBuf)> {
    let steps = profile.recipe_for(version).map(|r| r.steps.as_slice());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for step in steps.unwrap_or_default() {
        let stored = match step {
            StepSpec::ApplyAsset { asset, .. } | StepSpec::ApplyOverrides { asset, .. } => index
                .assets
                .iter()
                .find(|a| &a.name == asset)
                .map(|a| (format!("{} asset {asset}", index.tag), &a.stored)),
            StepSpec::ApplyRepoFile { path, .. } => index
                .repo_files
                .iter()
                .find(|f| &f.path == path)
                .map(|f| (format!("{} {path}", index.tag), &f.stored)),
            StepSpec::Delete { .. } | StepSpec::WaitInstalled { .. } => None,
        };
        if let Some((label, stored)) = stored {
            if archive.has(stored) && !files.iter().any(|(l, _)| *l == label) {
                files.push((label, archive.blob_path(stored)));
            }
        }
    }
    files
}

/// Every manifest and blob of `image` as the archive stores it, the one
/// the registry named the reference by first.
fn stored_blobs(
    options: &ImageOptions,
    archive: &Archive,
    image: &PulledImage,
) -> Result<Vec<StoredBlob>, PackError> {
    let children = image.manifests.iter().skip(1).map(|m| &m.digest);
    let digests = std::iter::once(&image.upstream_digest)
        .chain(children)
        .chain(image.blobs.iter().map(|b| &b.digest));
    let mut stored: Vec<StoredBlob> = Vec::new();
    for digest in digests {
        let blob = stored_blob(options, archive, &image.reference, digest)?;
        if !stored.contains(&blob) {
            stored.push(blob);
        }
    }
    Ok(stored)
}

fn stored_blob(
    options: &ImageOptions,
    archive: &Archive,
    reference: &str,
    digest: &Digest,
) -> Result<StoredBlob, PackError> {
    let path = options
        .puller
        .blob_file(digest)
        .filter(|path| path.starts_with(archive.root()))
        .ok_or_else(|| RegistryError::Io {
            path: archive.cache().blob_path(digest.hex()),
            source: std::io::Error::other(format!(
                "{reference}: {digest} did not land in the archive's blob store"
            )),
        })?;
    let size = std::fs::metadata(&path)
        .map_err(|source| RegistryError::Io {
            path: path.clone(),
            source,
        })?
        .len();
    Ok(archive.stored(&crate::fetch::CachedBlob {
        sha256: digest.hex().to_string(),
        size,
        path,
    }))
}

/// Bytes of the distinct blobs (manifests included) of `images`.
fn distinct_bytes(images: &[PulledImage]) -> u64 {
    let mut seen = std::collections::HashSet::new();
    images
        .iter()
        .flat_map(|image| image.manifests.iter().chain(&image.blobs))
        .filter(|blob| seen.insert(blob.digest.clone()))
        .map(|blob| blob.size)
        .sum()
}
