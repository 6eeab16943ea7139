//! The JSON documents of an image, as canonical bytes: descriptors, an
//! image config, an image manifest and a multi-platform image index. Their
//! digests are what registries and layouts name them by, so the same inputs
//! always give the same bytes (compact JSON, fixed key order). Reading these
//! documents back, and deciding what goes into them, is left to callers.

use super::digest::Digest;
use super::media;
use serde_json::{json, Value};

/// A pointer to a blob: its media type, digest and size.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Descriptor {
    /// The blob's media type.
    pub media_type: String,
    /// The blob's digest.
    pub digest: Digest,
    /// The blob's size in bytes.
    pub size: u64,
}

impl Descriptor {
    /// The descriptor of `bytes` as a blob of `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: Digest::of(bytes),
            size: bytes.len() as u64,
        }
    }

    /// The descriptor as a JSON object.
    pub fn to_json(&self) -> Value {
        json!({
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        })
    }
}

/// The platform an image runs on (`linux`/`amd64`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// The operating system (`linux`).
    pub os: String,
    /// The CPU architecture in Go's spelling (`amd64`, `arm64`).
    pub architecture: String,
}

impl Platform {
    /// The platform `os`/`architecture`.
    pub fn new(os: &str, architecture: &str) -> Platform {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)
    }
}

/// Compact JSON bytes of `value`.
fn to_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// An OCI image config for `platform` whose layers, uncompressed, have the
/// digests `diff_ids` (bottom layer first).
pub fn config_json(platform: &Platform, diff_ids: &[Digest]) -> Vec<u8> {
    to_bytes(&json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "config": {},
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))
}

/// An OCI image manifest with `config` and `layers` (bottom layer first).
pub fn manifest_json(config: &Descriptor, layers: &[Descriptor]) -> Vec<u8> {
    let layers: Vec<Value> = layers.iter().map(Descriptor::to_json).collect();
    to_bytes(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "config": config.to_json(),
        "layers": layers,
    }))
}

/// An OCI image index over per-platform manifests, in the order given.
pub fn image_index_json(manifests: &[(Platform, Descriptor)]) -> Vec<u8> {
    let manifests: Vec<Value> = manifests
        .iter()
        .map(|(platform, descriptor)| {
            let mut entry = descriptor.to_json();
            entry["platform"] = json!({
                "architecture": platform.architecture,
                "os": platform.os,
            });
            entry
        })
        .collect();
    to_bytes(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": manifests,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_name_their_blobs_and_platforms() {
        let layer = Descriptor::of(media::OCI_LAYER_GZIP, b"layer");
        let config_bytes = config_json(&Platform::new("linux", "arm64"), &[Digest::of(b"tar")]);
        let config: Value = serde_json::from_slice(&config_bytes).unwrap();
        assert_eq!(config["architecture"], "arm64");
        assert_eq!(config["rootfs"]["diff_ids"][0], Digest::of(b"tar").as_str());

        let config = Descriptor::of(media::OCI_CONFIG, &config_bytes);
        let manifest_bytes = manifest_json(&config, std::slice::from_ref(&layer));
        let manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
        assert_eq!(manifest["mediaType"], media::OCI_MANIFEST);
        assert_eq!(manifest["layers"][0]["size"], 5);

        let manifest = Descriptor::of(media::OCI_MANIFEST, &manifest_bytes);
        let index: Value = serde_json::from_slice(&image_index_json(&[(
            Platform::new("linux", "amd64"),
            manifest.clone(),
        )]))
        .unwrap();
        assert_eq!(index["manifests"][0]["digest"], manifest.digest.as_str());
        assert_eq!(index["manifests"][0]["platform"]["os"], "linux");
        assert_eq!(Platform::new("linux", "amd64").to_string(), "linux/amd64");
    }
}
