//! The images half of packing: each hop's images found (the workloads of
//! the files its steps apply, the profile's rules over files inside those
//! images, the profile's list), resolved to digests, pulled into the cache,
//! and laid out as one OCI image layout under `images/` in which every blob
//! is stored once however many images and hops share it.

use super::PackError;
use crate::bundle::manifest::{BundledImage, FileEntry, FileKind, Hop, HopImage, ImageLayout};
use crate::bundle::writer::PayloadFile;
use crate::cluster::yaml::parse_documents;
use crate::images::charts::add_file_images;
use crate::images::reference;
use crate::images::workloads::add_workload_images;
use crate::images::NeededSet;
use crate::oci::layout::{blob_path, index_json, oci_layout_json, LayoutEntry};
use crate::oci::Digest;
use crate::profile::{FileRule, Profile};
use crate::recipe::Step;
use crate::registry::files::read_matching;
use crate::registry::{Blob, PulledImage, Puller, RegistryError};
use crate::version::Version;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// How `bundle --images` pulls.
pub struct ImageOptions {
    /// The registry client and its cache.
    pub puller: Puller,
    /// References to leave out (`--skip-image`), as given.
    pub skip: Vec<String>,
}

impl ImageOptions {
    /// Whether `--skip-image` leaves `reference` out.
    pub(super) fn skips(&self, reference: &str) -> bool {
        let normalized = reference::normalize(reference).unwrap_or_else(|_| reference.to_string());
        self.skip
            .iter()
            .any(|skip| reference::normalize(skip).unwrap_or_else(|_| skip.clone()) == normalized)
    }
}

/// Finds, pulls and lays out the images of `hops` (their `images` filled
/// in), adding the layout's files to `payload`.
pub(super) async fn pack_images(
    options: &ImageOptions,
    profile: &Profile,
    hops: &mut [Hop],
    payload: &mut Vec<PayloadFile>,
) -> Result<ImageLayout, PackError> {
    let images = find_images(options, profile, hops, payload).await?;
    options.puller.fetch_blobs(&images).await?;
    lay_out(&options.puller, &images, payload)
}

/// Finds the images of `hops` (their `images` filled in) and resolves each
/// to a digest; returns them sorted by reference.
pub(super) async fn find_images(
    options: &ImageOptions,
    profile: &Profile,
    hops: &mut [Hop],
    payload: &[PayloadFile],
) -> Result<Vec<PulledImage>, PackError> {
    let sources: HashMap<&str, &Path> = payload
        .iter()
        .map(|file| (file.path.as_str(), file.source.as_path()))
        .collect();
    let mut pulled: BTreeMap<String, PulledImage> = BTreeMap::new();
    for hop in hops.iter_mut() {
        let files: Vec<(&str, &Path)> = applied_files(hop)
            .filter_map(|path| Some((path, *sources.get(path)?)))
            .collect();
        let needed = hop_images(options, profile, &hop.version, &files, &mut pulled).await?;
        hop.images = needed
            .into_vec()
            .into_iter()
            .map(|n| HopImage {
                skipped: options.skips(&n.reference),
                reference: n.reference,
                reasons: n.reasons,
            })
            .collect();
    }
    Ok(pulled.into_values().collect())
}

/// The images a hop to `version` needs: the workloads of `files` (each
/// named by its label), the profile's list for its minor, and what the
/// profile's rules find inside those images; each resolved into `pulled`.
pub(super) async fn hop_images(
    options: &ImageOptions,
    profile: &Profile,
    version: &Version,
    files: &[(&str, &Path)],
    pulled: &mut BTreeMap<String, PulledImage>,
) -> Result<NeededSet, PackError> {
    let mut needed = NeededSet::default();
    for (label, file) in files {
        let text = std::fs::read_to_string(file).map_err(|source| PackError::Read {
            path: file.to_path_buf(),
            source,
        })?;
        let objects = parse_documents(&text, label).map_err(Box::new)?;
        add_workload_images(&objects, label, &mut needed);
    }
    for (image, reason) in profile.images.extra_for(version.minor_key()) {
        needed.add(image, format!("profile: {reason}"));
    }
    expand(options, profile, version, needed, pulled).await
}

/// Resolves every needed image of the hop to `version` (new ones into
/// `pulled`), and adds the images named in files inside them, by the
/// profile's rules, until nothing new turns up.
async fn expand(
    options: &ImageOptions,
    profile: &Profile,
    version: &Version,
    mut needed: NeededSet,
    pulled: &mut BTreeMap<String, PulledImage>,
) -> Result<NeededSet, PackError> {
    let mut done = 0;
    loop {
        let current = needed.clone().into_vec();
        if done == current.len() {
            return Ok(needed);
        }
        for image in &current[done..] {
            if options.skips(&image.reference) {
                continue;
            }
            let failed = |source| PackError::Image {
                hop: version.to_string(),
                reference: image.reference.clone(),
                reason: image.reasons.first().cloned().unwrap_or_default(),
                source: Box::new(source),
            };
            if !pulled.contains_key(&image.reference) {
                let resolved = options
                    .puller
                    .resolve(&image.reference)
                    .await
                    .map_err(failed)?;
                pulled.insert(image.reference.clone(), resolved);
            }
            let Some(resolved) = pulled.get(&image.reference) else {
                continue;
            };
            for rule in rules_for(profile, &image.reference) {
                add_from_files(options, rule, resolved, &mut needed)
                    .await
                    .map_err(|err| match err {
                        PackError::Registry(source) => failed(source),
                        other => other,
                    })?;
            }
        }
        done = current.len();
    }
}

/// The profile's file rules for images of `reference`'s repository.
fn rules_for<'a>(profile: &'a Profile, reference: &str) -> impl Iterator<Item = &'a FileRule> {
    let repository = reference::repository_of(reference);
    profile
        .images
        .from_files
        .iter()
        .filter(move |rule| rule.image == repository)
}

/// Reads `rule.files` out of `image`'s layers and adds the images they name.
async fn add_from_files(
    options: &ImageOptions,
    rule: &FileRule,
    image: &PulledImage,
    needed: &mut NeededSet,
) -> Result<(), PackError> {
    options
        .puller
        .fetch_blobs(std::slice::from_ref(image))
        .await?;
    let layers: Vec<PathBuf> = image
        .layers
        .iter()
        .filter_map(|layer| options.puller.blob_file(&layer.digest))
        .collect();
    let files = read_matching(&image.reference, &layers, &rule.files)?;
    for (path, data) in files {
        let text = String::from_utf8_lossy(&data);
        let origin = format!("{path} in {}", image.reference);
        add_file_images(rule, &text, &origin, needed)?;
    }
    Ok(())
}

/// The bundle paths of the files a hop's steps apply.
fn applied_files(hop: &Hop) -> impl Iterator<Item = &str> {
    hop.steps.iter().filter_map(|step| match step {
        Step::Apply { path, .. } | Step::ApplyOverrides { path, .. } => Some(path.as_str()),
        _ => None,
    })
}

/// The layout files: `oci-layout`, `index.json`, and each blob once (named
/// in the manifest after the first image, by reference, that holds it).
fn lay_out(
    puller: &Puller,
    images: &[PulledImage],
    payload: &mut Vec<PayloadFile>,
) -> Result<ImageLayout, PackError> {
    let cache = puller.cache();
    let mut files = Vec::new();
    let mut add_bytes = |name: &str, bytes: &[u8], files: &mut Vec<FileEntry>| {
        let blob = cache.put_bytes(&format!("oci-layout:{}", Digest::of(bytes)), bytes)?;
        let path = format!("images/{name}");
        payload.push(PayloadFile {
            path: path.clone(),
            source: blob.path,
        });
        files.push(FileEntry {
            path,
            kind: FileKind::Image,
            size: blob.size,
            sha256: blob.sha256,
            source: format!("ferry: the OCI layout's {name}"),
        });
        Ok::<(), PackError>(())
    };
    add_bytes("oci-layout", &oci_layout_json(), &mut files)?;
    let entries: Vec<LayoutEntry> = images
        .iter()
        .map(|image| LayoutEntry {
            reference: image.reference.clone(),
            media_type: image.media_type.clone(),
            digest: image.digest.clone(),
            size: image.size,
        })
        .collect();
    add_bytes("index.json", &index_json(&entries), &mut files)?;
    let mut seen = std::collections::HashSet::new();
    let mut bundled = Vec::new();
    for image in images {
        let all: Vec<&Blob> = image.manifests.iter().chain(&image.blobs).collect();
        let mut own = std::collections::HashSet::new();
        let mut size = 0;
        for blob in all {
            if own.insert(blob.digest.clone()) {
                size += blob.size;
            }
            if !seen.insert(blob.digest.clone()) {
                continue;
            }
            let source = puller
                .blob_file(&blob.digest)
                .ok_or_else(|| RegistryError::Io {
                    path: cache.blob_path(blob.digest.hex()),
                    source: std::io::Error::from(std::io::ErrorKind::NotFound),
                })?;
            let path = format!("images/{}", blob_path(&blob.digest));
            payload.push(PayloadFile {
                path: path.clone(),
                source,
            });
            let repository = reference::repository_of(&image.reference);
            files.push(FileEntry {
                path,
                kind: FileKind::Image,
                size: blob.size,
                sha256: blob.digest.hex().to_string(),
                source: format!("{repository}@{}", blob.digest),
            });
        }
        bundled.push(BundledImage {
            reference: image.reference.clone(),
            digest: image.digest.clone(),
            media_type: image.media_type.clone(),
            size,
            platforms: image.platforms.clone(),
        });
    }
    Ok(ImageLayout {
        images: bundled,
        files,
    })
}
