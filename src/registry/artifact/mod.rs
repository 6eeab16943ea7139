//! A bundle as an OCI artifact in a registry, so a site's registry (Harbor,
//! Zot, the distribution registry) carries bundles between machines.
//!
//! The artifact is an OCI image manifest with `artifactType`
//! [`BUNDLE_TYPE`], the empty config, and as layers the bundle's signed part
//! index (`NAME.parts`) followed by its parts (`NAME.part-0001`, ...), each
//! titled with `org.opencontainers.image.title`, so `oras pull` writes the
//! same files `ferry split` does. The index's minisign signature is a second
//! artifact ([`SIGNATURE_TYPE`]) whose `subject` is the bundle's manifest,
//! found through the referrers API or, on registries without it, the
//! referrers tag (`sha256-<hex>`), which publishing keeps up to date too.
//!
//! Pulling checks, before any part is downloaded, that the index's signature
//! verifies with a trusted key and that every part layer has the size and
//! digest the signed index lists; the parts then land in the download cache
//! (resumable, each digest checked) and the reader verifies the bundle from
//! them in place.

mod fetch;
mod publish;

pub use fetch::fetch;
pub use publish::{publish, PartFile, Published};

use super::error::RegistryError;
use super::pull::Blob;
use crate::bundle::parts::PartsError;
use crate::images::reference;
use crate::oci::Digest;
use oci_client::Reference;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The `artifactType` of a bundle.
pub const BUNDLE_TYPE: &str = "application/vnd.ferry.bundle.v1";

/// The `artifactType` of the index signature attached to a bundle.
pub const SIGNATURE_TYPE: &str = "application/vnd.ferry.bundle.signature.v1";

/// The media type of the part index layer (`sha256sum` text).
pub const INDEX_MEDIA: &str = "application/vnd.ferry.bundle.parts.v1";

/// The media type of a part layer.
pub const PART_MEDIA: &str = "application/vnd.ferry.bundle.part.v1";

/// The media type of the signature layer (minisign text).
pub const SIGNATURE_MEDIA: &str = "application/vnd.ferry.bundle.parts.minisig.v1";

/// The OCI empty descriptor's media type and content.
const EMPTY_MEDIA: &str = "application/vnd.oci.empty.v1+json";

const EMPTY: &[u8] = b"{}";

const TITLE: &str = "org.opencontainers.image.title";

/// Why a bundle could not be published or pulled.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The registry said no, or could not be reached.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The artifact's part index is not ferry's or not signed by a trusted key.
    #[error("{reference}: its signed part index was refused; do not use this artifact")]
    IndexRefused {
        /// The reference.
        reference: String,
        /// Why.
        #[source]
        source: Box<PartsError>,
    },
    /// The reference is not `oci://HOST/REPOSITORY:TAG` (or `@sha256:...`).
    #[error("{0} is not a registry reference; write oci://HOST[:PORT]/REPOSITORY:TAG")]
    BadReference(String),
    /// The manifest is not a ferry bundle's.
    #[error("{reference} is not a ferry bundle ({problem}); publish one with ferry publish BUNDLE oci://...")]
    NotABundle {
        /// The reference.
        reference: String,
        /// What is wrong.
        problem: String,
    },
    /// No signature artifact refers to the bundle.
    #[error("{reference} carries no signature of its part index (no {SIGNATURE_TYPE} referrer); publish it again with ferry publish")]
    NoSignature {
        /// The reference.
        reference: String,
    },
    /// A layer is not the part the signed index lists.
    #[error("{reference}: layer {number} of {count} ({name}) is {found} where the signed index lists {expected}; the artifact was altered or mixes bundles, do not use it")]
    LayerMismatch {
        /// The reference.
        reference: String,
        /// 1-based part number.
        number: usize,
        /// How many parts the index lists.
        count: usize,
        /// The part's name.
        name: String,
        /// What the index lists (size and digest).
        expected: String,
        /// What the layer says.
        found: String,
    },
    /// A local file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// How to reach the registry.
#[derive(Debug, Clone, Default)]
pub struct ArtifactSettings {
    /// Hosts spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// A PEM file of extra CAs to trust.
    pub ca_cert: Option<PathBuf>,
    /// Parallel blob transfers.
    pub jobs: usize,
}

/// `HOST/REPO:TAG` out of `oci://HOST/REPO:TAG`, when `text` is one.
pub fn strip_scheme(text: &str) -> Option<&str> {
    text.strip_prefix("oci://")
}

fn parse(text: &str) -> Result<Reference, ArtifactError> {
    let bare = strip_scheme(text).unwrap_or(text);
    if !bare.contains('/') {
        return Err(ArtifactError::BadReference(text.to_string()));
    }
    reference::parse(bare).map_err(|_| ArtifactError::BadReference(text.to_string()))
}

fn descriptor(blob: &Blob, title: Option<&str>) -> Value {
    let mut value = json!({
        "mediaType": blob.media_type,
        "digest": blob.digest.as_str(),
        "size": blob.size,
    });
    if let Some(title) = title {
        value["annotations"] = json!({ TITLE: title });
    }
    value
}

fn blob_of(bytes: &[u8], media_type: &str) -> Blob {
    Blob {
        digest: Digest::of(bytes),
        size: bytes.len() as u64,
        media_type: media_type.to_string(),
    }
}

fn with_digest(at: &Reference, digest: &Digest) -> Reference {
    Reference::with_digest(
        at.registry().to_string(),
        at.repository().to_string(),
        digest.to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_oci_references_with_a_repository_are_taken() {
        assert!(parse("oci://127.0.0.1:5000/ferry/kyma:1.3.0").is_ok());
        assert!(parse("oci://kyma").is_err());
        assert_eq!(strip_scheme("bundle.tar.gz"), None);
    }
}
