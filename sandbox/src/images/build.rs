//! Builds a [`GeneratedImage`] into OCI blobs, deterministically: each
//! layer a tar of its files sorted by path (with their parent directories),
//! mtime 0, owner 0:0, mode 0644 or 0755, then gzip with no time or name in
//! the header; the config's `diff_ids` are the digests of those tars; then
//! the manifest, and for several platforms an index over the manifests.

use super::spec::{default_platform, FileSpec, GeneratedImage, ImageContent, ImageSpec, LayerSpec};
use ferry_formats::oci::image::{config_json, image_index_json, manifest_json};
use ferry_formats::oci::{media, Descriptor, Digest, Platform};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The gzip level of generated layers.
const GZIP_LEVEL: u32 = 6;

/// `data` as gzip with no time, name or OS in the header, so the same
/// layer always has the same digest.
pub(crate) fn gzip(data: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::new(level));
    encoder.write_all(data)?;
    encoder.finish()
}

/// An image built into blobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltImage {
    /// The full reference it is known by.
    pub reference: String,
    /// Its manifest, or its index when it has several platforms.
    pub top: Descriptor,
    /// Every blob it consists of (layers, configs, manifests, index) by digest.
    pub blobs: BTreeMap<Digest, Vec<u8>>,
}

/// An image that could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the generated image {reference}")]
pub struct ImageError {
    /// The image's reference.
    pub reference: String,
    /// Why.
    #[source]
    pub source: io::Error,
}

impl GeneratedImage {
    /// Builds the image's blobs; the same image always gives the same bytes.
    pub fn build(&self) -> Result<BuiltImage, ImageError> {
        let fail = |source| ImageError {
            reference: self.reference.clone(),
            source,
        };
        let mut blobs = BTreeMap::new();
        let top = match &self.content {
            ImageContent::Single(spec) => {
                build_manifest(&default_platform(), spec, &mut blobs).map_err(fail)?
            }
            ImageContent::Index(platforms) => {
                let mut manifests = Vec::with_capacity(platforms.len());
                for (platform, spec) in platforms {
                    let manifest = build_manifest(platform, spec, &mut blobs).map_err(fail)?;
                    manifests.push((platform.clone(), manifest));
                }
                add_blob(&mut blobs, media::OCI_INDEX, image_index_json(&manifests))
            }
        };
        Ok(BuiltImage {
            reference: self.reference.clone(),
            top,
            blobs,
        })
    }
}

/// Adds `bytes` as a blob of `media_type` and returns its descriptor.
fn add_blob(blobs: &mut BTreeMap<Digest, Vec<u8>>, media_type: &str, bytes: Vec<u8>) -> Descriptor {
    let descriptor = Descriptor::of(media_type, &bytes);
    blobs.insert(descriptor.digest.clone(), bytes);
    descriptor
}

/// Builds one platform's layers, config and manifest into `blobs`.
fn build_manifest(
    platform: &Platform,
    spec: &ImageSpec,
    blobs: &mut BTreeMap<Digest, Vec<u8>>,
) -> io::Result<Descriptor> {
    let mut layers = Vec::with_capacity(spec.layers.len());
    let mut diff_ids = Vec::with_capacity(spec.layers.len());
    for layer in &spec.layers {
        let tar = layer_tar(layer)?;
        diff_ids.push(Digest::of(&tar));
        let gzipped = gzip(&tar, GZIP_LEVEL)?;
        layers.push(add_blob(blobs, media::OCI_LAYER_GZIP, gzipped));
    }
    let config = add_blob(blobs, media::OCI_CONFIG, config_json(platform, &diff_ids));
    Ok(add_blob(
        blobs,
        media::OCI_MANIFEST,
        manifest_json(&config, &layers),
    ))
}

/// A tar entry: a directory, or a file.
enum Entry<'a> {
    Directory,
    File(&'a FileSpec),
}

/// The uncompressed tar of `layer`: every file and every parent directory,
/// sorted by path, with fixed metadata.
pub(crate) fn layer_tar(layer: &LayerSpec) -> io::Result<Vec<u8>> {
    let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
    for file in &layer.files {
        let path = file.path.trim_start_matches('/');
        let mut parent = path;
        while let Some((dir, _)) = parent.rsplit_once('/') {
            entries.entry(format!("{dir}/")).or_insert(Entry::Directory);
            parent = dir;
        }
        entries.insert(path.to_string(), Entry::File(file));
    }
    let mut builder = tar::Builder::new(Vec::new());
    for (path, entry) in &entries {
        let (kind, mode, data): (_, _, &[u8]) = match entry {
            Entry::Directory => (tar::EntryType::Directory, 0o755, &[]),
            Entry::File(file) if file.executable => (tar::EntryType::Regular, 0o755, &file.data),
            Entry::File(file) => (tar::EntryType::Regular, 0o644, &file.data),
        };
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        builder.append_data(&mut header, path, data)?;
    }
    builder.into_inner()
}
