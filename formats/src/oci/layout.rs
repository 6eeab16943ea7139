//! The OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/<hex>`)
//! as bytes and paths, deterministic: the same images give the same files.
//! `skopeo copy oci:DIR:REF ...` finds an image by the `REF_NAME`
//! annotation, which ferry sets to the image's full original reference.

use super::digest::Digest;
use super::media;
use serde_json::json;

/// The annotation naming an image in `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The `oci-layout` file's name.
pub const LAYOUT_FILE: &str = "oci-layout";
/// The `index.json` file's name.
pub const INDEX_FILE: &str = "index.json";

/// The contents of `oci-layout`.
pub fn oci_layout_json() -> Vec<u8> {
    br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()
}

/// Where a blob lives, relative to the layout's root.
pub fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// One image named in `index.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutEntry {
    /// The full reference it is known by (`eu.gcr.io/kyma-project/kyma-installer:1.1.0`).
    pub reference: String,
    /// Its manifest's (or index's) media type.
    pub media_type: String,
    /// Its manifest's digest.
    pub digest: Digest,
    /// Its manifest's size in bytes.
    pub size: u64,
}

/// `index.json` naming `entries`, sorted by reference (duplicates dropped).
pub fn index_json(entries: &[LayoutEntry]) -> Vec<u8> {
    let mut sorted: Vec<&LayoutEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.reference.cmp(&b.reference));
    sorted.dedup_by(|a, b| a.reference == b.reference);
    let manifests: Vec<serde_json::Value> = sorted
        .iter()
        .map(|entry| {
            json!({
                "mediaType": entry.media_type,
                "digest": entry.digest,
                "size": entry.size,
                "annotations": { REF_NAME: entry.reference },
            })
        })
        .collect();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    });
    let mut bytes = serde_json::to_vec_pretty(&index).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_sorted_and_names_each_image_once() {
        let entry = |reference: &str, data: &[u8]| LayoutEntry {
            reference: reference.to_string(),
            media_type: media::OCI_MANIFEST.to_string(),
            digest: Digest::of(data),
            size: data.len() as u64,
        };
        let b = entry("eu.gcr.io/kyma-project/b:1", b"b");
        let a = entry("eu.gcr.io/kyma-project/a:1", b"a");
        let bytes = index_json(&[b.clone(), a.clone(), b.clone()]);
        assert_eq!(bytes, index_json(&[a.clone(), b.clone()]));
        let index: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let names: Vec<&str> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["annotations"][REF_NAME].as_str().unwrap())
            .collect();
        assert_eq!(names, [a.reference.as_str(), b.reference.as_str()]);
        assert_eq!(
            blob_path(&a.digest),
            format!("blobs/sha256/{}", a.digest.hex())
        );
    }
}
