//! Writes generated images as one OCI image layout on disk: `oci-layout`,
//! `index.json` naming each image by its full reference, and every blob
//! once under `blobs/sha256/`. Same images, same bytes.

use super::build::{BuiltImage, ImageError};
use super::spec::GeneratedImage;
use ferry_formats::oci::layout::{blob_path, index_json, oci_layout_json, INDEX_FILE, LAYOUT_FILE};
use ferry_formats::oci::{Digest, LayoutEntry};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A layout that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// An image could not be built.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A file or directory could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Writes `images` as an OCI image layout in `dir` (created if missing) and
/// returns the entry of each image, in the order given. Blobs shared by
/// several images are written once.
pub fn write_layout(
    dir: &Path,
    images: &[GeneratedImage],
) -> Result<Vec<LayoutEntry>, LayoutError> {
    let built = images
        .iter()
        .map(GeneratedImage::build)
        .collect::<Result<Vec<BuiltImage>, ImageError>>()?;
    let mut blobs: BTreeMap<&Digest, &[u8]> = BTreeMap::new();
    for image in &built {
        for (digest, bytes) in &image.blobs {
            blobs.insert(digest, bytes);
        }
    }
    let blob_dir = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blob_dir).map_err(|source| LayoutError::Write {
        path: blob_dir.clone(),
        source,
    })?;
    for (digest, bytes) in blobs {
        write(&dir.join(blob_path(digest)), bytes)?;
    }
    let entries: Vec<LayoutEntry> = built
        .into_iter()
        .map(|image| LayoutEntry {
            reference: image.reference,
            media_type: image.top.media_type,
            digest: image.top.digest,
            size: image.top.size,
        })
        .collect();
    write(&dir.join(LAYOUT_FILE), &oci_layout_json())?;
    write(&dir.join(INDEX_FILE), &index_json(&entries))?;
    Ok(entries)
}

/// Writes `bytes` to `path`.
fn write(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    fs::write(path, bytes).map_err(|source| LayoutError::Write {
        path: path.to_path_buf(),
        source,
    })
}
