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

use super::client::Connection;
use super::error::RegistryError;
use super::pull::{Blob, PulledImage, Puller};
use super::push::{upload_blob, BlobSource};
use crate::bundle::input::SplitBundle;
use crate::bundle::keyring::Keyring;
use crate::bundle::parts::{self, PartIndex, PartsError, INDEX_SIGNATURE_SUFFIX, INDEX_SUFFIX};
use crate::fetch::Reporter;
use crate::images::reference;
use crate::oci::{media, Digest};
use oci_client::Reference;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// One part to publish: its bytes are `part.size` bytes of `path` from `offset`.
#[derive(Debug, Clone)]
pub struct PartFile {
    /// The file holding it (the bundle, or the part's own file).
    pub path: PathBuf,
    /// Where it starts in that file.
    pub offset: u64,
}

/// What a publish did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Published {
    /// Where the bundle is, by tag.
    pub reference: String,
    /// The bundle manifest's digest.
    pub digest: String,
    /// Parts uploaded.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Parts the registry already had.
    pub present: usize,
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

/// Publishes the parts listed by `index` (their bytes in `files`, in order)
/// with the index's `signature` to `target` (`oci://HOST/REPO:TAG`). Parts
/// the registry already has are not sent again, so a cut publish resumes.
pub async fn publish(
    settings: &ArtifactSettings,
    reporter: Arc<dyn Reporter>,
    target: &str,
    index: &PartIndex,
    files: &[PartFile],
    signature: &str,
) -> Result<Published, ArtifactError> {
    let at = parse(target)?;
    let connection = Connection::new(&settings.insecure, settings.ca_cert.as_deref(), reporter)?;
    let name = at.whole();
    let text = index.to_text();
    let index_blob = blob_of(text.as_bytes(), INDEX_MEDIA);
    let signature_blob = blob_of(signature.as_bytes(), SIGNATURE_MEDIA);
    let mut report = Published {
        reference: name.clone(),
        digest: String::new(),
        uploaded: 0,
        uploaded_bytes: 0,
        present: 0,
    };
    let small = [
        (blob_of(EMPTY, EMPTY_MEDIA), EMPTY.to_vec()),
        (index_blob.clone(), text.into_bytes()),
        (signature_blob.clone(), signature.as_bytes().to_vec()),
    ];
    for (blob, bytes) in &small {
        if !exists(&connection, &at, blob).await? {
            let bytes = bytes.clone();
            connection
                .retrying(&name, &at, "a small blob", || {
                    connection
                        .client
                        .push_blob(&at, bytes.clone(), blob.digest.as_str())
                })
                .await?;
        }
    }
    let part_blobs: Vec<Blob> = index
        .parts
        .iter()
        .map(|part| Blob {
            digest: Digest::parse(&format!("sha256:{}", part.sha256))
                .unwrap_or_else(|_| Digest::of(b"")),
            size: part.size,
            media_type: PART_MEDIA.to_string(),
        })
        .collect();
    for ((part, blob), file) in index.parts.iter().zip(&part_blobs).zip(files) {
        if exists(&connection, &at, blob).await? {
            report.present += 1;
            continue;
        }
        let source = BlobSource {
            path: file.path.clone(),
            offset: file.offset,
        };
        let label = format!("{name} {}", part.name);
        report.uploaded_bytes +=
            upload_blob(&connection, &name, &at, &source, blob, &label).await?;
        report.uploaded += 1;
    }
    let mut layers = vec![descriptor(
        &index_blob,
        Some(&parts::index_name(&index.bundle)),
    )];
    layers.extend(
        part_blobs
            .iter()
            .zip(&index.parts)
            .map(|(blob, part)| descriptor(blob, Some(&part.name))),
    );
    let manifest = artifact_manifest(BUNDLE_TYPE, layers, None, &index.bundle);
    let digest = Digest::of(&manifest);
    push_manifest(&connection, &at, &name, &manifest, media::OCI_MANIFEST).await?;
    let subject = json!({
        "mediaType": media::OCI_MANIFEST,
        "digest": digest.as_str(),
        "size": manifest.len(),
    });
    let signature_name = format!("{}{INDEX_SIGNATURE_SUFFIX}", index.bundle);
    let signed = artifact_manifest(
        SIGNATURE_TYPE,
        vec![descriptor(&signature_blob, Some(&signature_name))],
        Some(subject),
        &index.bundle,
    );
    let signed_digest = Digest::of(&signed);
    let by_digest = with_digest(&at, &signed_digest);
    push_manifest(&connection, &by_digest, &name, &signed, media::OCI_MANIFEST).await?;
    // Registries without the referrers API find referrers through this tag.
    let referrers = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_INDEX,
        "manifests": [{
            "mediaType": media::OCI_MANIFEST,
            "digest": signed_digest.as_str(),
            "size": signed.len(),
            "artifactType": SIGNATURE_TYPE,
        }],
    }))
    .unwrap_or_default();
    let tag = Reference::with_tag(
        at.registry().to_string(),
        at.repository().to_string(),
        format!("sha256-{}", digest.hex()),
    );
    push_manifest(&connection, &tag, &name, &referrers, media::OCI_INDEX).await?;
    report.digest = digest.to_string();
    Ok(report)
}

/// Pulls the bundle at `source` (`oci://HOST/REPO:TAG`): its index and
/// signature first, verified with `keyring` and compared with the part
/// layers, then the parts into `puller`'s cache; returns the split bundle,
/// laid out (as links into the cache) in `dir`, for the reader.
pub async fn fetch(
    settings: &ArtifactSettings,
    puller: &Puller,
    reporter: Arc<dyn Reporter>,
    source: &str,
    keyring: Option<&Keyring>,
    dir: &Path,
) -> Result<SplitBundle, ArtifactError> {
    let at = parse(source)?;
    let name = at.whole();
    let connection = Connection::new(&settings.insecure, settings.ca_cert.as_deref(), reporter)?;
    let (bytes, digest) = pull_manifest(&connection, &at, &name).await?;
    let manifest: Value =
        serde_json::from_slice(&bytes).map_err(|err| ArtifactError::NotABundle {
            reference: name.clone(),
            problem: format!("its manifest is not JSON: {err}"),
        })?;
    let not_bundle = |problem: String| ArtifactError::NotABundle {
        reference: name.clone(),
        problem,
    };
    if manifest["artifactType"] != BUNDLE_TYPE {
        return Err(not_bundle(format!(
            "artifact type {}, not {BUNDLE_TYPE}",
            manifest["artifactType"]
        )));
    }
    let layers = layers_of(&manifest).map_err(&not_bundle)?;
    let Some(((index_blob, index_title), part_layers)) = layers.split_first() else {
        return Err(not_bundle("it has no layers".into()));
    };
    if index_blob.media_type != INDEX_MEDIA || !index_title.ends_with(INDEX_SUFFIX) {
        return Err(not_bundle("its first layer is not a part index".into()));
    }
    let signature_blob = signature_of(&connection, &at, &name, &digest).await?;
    let pulled = |blobs: Vec<Blob>| PulledImage {
        reference: name.clone(),
        pulled_from: name.clone(),
        upstream_digest: digest.clone(),
        digest: digest.clone(),
        media_type: media::OCI_MANIFEST.to_string(),
        size: bytes.len() as u64,
        manifests: Vec::new(),
        blobs,
        layers: Vec::new(),
        platforms: Vec::new(),
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let index_path = dir.join(index_title);
    let signature_path = dir.join(format!("{index_title}.minisig"));
    puller
        .fetch_blobs(&[pulled(vec![index_blob.clone(), signature_blob.clone()])])
        .await?;
    link(puller, index_blob, &index_path)?;
    link(puller, &signature_blob, &signature_path)?;
    let index = match keyring {
        Some(keyring) => parts::read_index(&index_path, keyring).map(|(index, _)| index),
        None => parts::read_index_unchecked(&index_path),
    }
    .map_err(|source| ArtifactError::IndexRefused {
        reference: name.clone(),
        source: Box::new(source),
    })?;
    check_layers(&name, &index, part_layers)?;
    let blobs: Vec<Blob> = part_layers.iter().map(|(blob, _)| blob.clone()).collect();
    puller.fetch_blobs(&[pulled(blobs)]).await?;
    for (blob, title) in part_layers {
        link(puller, blob, &dir.join(title))?;
    }
    Ok(SplitBundle {
        index: index_path,
        parts: index,
        origin: Some(source.to_string()),
    })
}

/// Every part layer must be the part the signed index lists, in order.
fn check_layers(
    reference: &str,
    index: &PartIndex,
    layers: &[(Blob, String)],
) -> Result<(), ArtifactError> {
    let count = index.parts.len();
    let mismatch =
        |number: usize, name: &str, expected: String, found: String| ArtifactError::LayerMismatch {
            reference: reference.to_string(),
            number,
            count,
            name: name.to_string(),
            expected,
            found,
        };
    if layers.len() != count {
        return Err(mismatch(
            layers.len().min(count) + 1,
            "(the part count)",
            format!("{count} parts"),
            format!("{} part layers", layers.len()),
        ));
    }
    for (number, (part, (blob, title))) in index.parts.iter().zip(layers).enumerate() {
        let listed = format!(
            "{} ({} bytes, sha256:{})",
            part.name, part.size, part.sha256
        );
        let found = format!("{title} ({} bytes, {})", blob.size, blob.digest);
        if *title != part.name || blob.size != part.size || blob.digest.hex() != part.sha256 {
            return Err(mismatch(number + 1, &part.name, listed, found));
        }
    }
    Ok(())
}

/// The layers of a manifest with their titles; a layer without a safe
/// title, or with a digest that is not one, makes it no bundle.
fn layers_of(manifest: &Value) -> Result<Vec<(Blob, String)>, String> {
    let layers = manifest["layers"]
        .as_array()
        .ok_or_else(|| "it lists no layers".to_string())?;
    layers
        .iter()
        .map(|layer| {
            let digest = layer["digest"]
                .as_str()
                .and_then(|d| Digest::parse(d).ok())
                .ok_or_else(|| format!("a layer has no valid digest: {layer}"))?;
            let size = layer["size"]
                .as_u64()
                .ok_or_else(|| format!("a layer has no size: {layer}"))?;
            let title = layer["annotations"][TITLE]
                .as_str()
                .filter(|t| is_plain_name(t))
                .ok_or_else(|| format!("a layer has no plain file name as its title: {layer}"))?;
            let media_type = layer["mediaType"].as_str().unwrap_or_default().to_string();
            Ok((
                Blob {
                    digest,
                    size,
                    media_type,
                },
                title.to_string(),
            ))
        })
        .collect()
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// The signature layer of the first signature artifact that refers to the
/// bundle's manifest `digest`.
async fn signature_of(
    connection: &Connection,
    at: &Reference,
    name: &str,
    digest: &Digest,
) -> Result<Blob, ArtifactError> {
    let subject = with_digest(at, digest);
    connection
        .client
        .store_auth_if_needed(subject.resolve_registry(), &connection.auth_for(&subject))
        .await;
    let referrers = connection
        .retrying(name, &subject, "the referrers", || {
            connection
                .client
                .pull_referrers(&subject, Some(SIGNATURE_TYPE))
        })
        .await?;
    let no_signature = || ArtifactError::NoSignature {
        reference: name.to_string(),
    };
    let entry = referrers
        .manifests
        .iter()
        .find(|entry| entry.artifact_type.as_deref() == Some(SIGNATURE_TYPE))
        .ok_or_else(no_signature)?;
    let signed_digest = Digest::parse(&entry.digest).map_err(|_| no_signature())?;
    let (bytes, _) = pull_manifest(connection, &with_digest(at, &signed_digest), name).await?;
    let signed: Value = serde_json::from_slice(&bytes).map_err(|_| no_signature())?;
    if signed["subject"]["digest"] != digest.as_str() {
        return Err(no_signature());
    }
    let layers = layers_of(&signed).map_err(|_| no_signature())?;
    layers
        .into_iter()
        .map(|(blob, _)| blob)
        .find(|blob| blob.media_type == SIGNATURE_MEDIA && blob.size <= 16 * 1024)
        .ok_or_else(no_signature)
}

/// The manifest at `at` and its digest, checked against a pinned digest.
async fn pull_manifest(
    connection: &Connection,
    at: &Reference,
    name: &str,
) -> Result<(Vec<u8>, Digest), ArtifactError> {
    let auth = connection.auth_for(at);
    let (bytes, _) = connection
        .retrying(name, at, "the manifest", || {
            connection
                .client
                .pull_manifest_raw(at, &auth, &[media::OCI_MANIFEST])
        })
        .await?;
    let digest = Digest::of(&bytes);
    if let Some(pinned) = at.digest() {
        if pinned != digest.as_str() {
            return Err(RegistryError::DigestMismatch {
                image: name.to_string(),
                what: "its manifest".into(),
                registry: at.registry().to_string(),
                expected: pinned.to_string(),
                actual: digest.to_string(),
            }
            .into());
        }
    }
    Ok((bytes.to_vec(), digest))
}

async fn push_manifest(
    connection: &Connection,
    at: &Reference,
    name: &str,
    bytes: &[u8],
    media_type: &str,
) -> Result<(), ArtifactError> {
    let content_type = reqwest::header::HeaderValue::from_str(media_type)
        .map_err(|_| ArtifactError::BadReference(media_type.to_string()))?;
    connection
        .retrying(name, at, "a manifest push", || {
            connection
                .client
                .push_manifest_raw(at, bytes.to_vec(), content_type.clone())
        })
        .await?;
    Ok(())
}

async fn exists(
    connection: &Connection,
    at: &Reference,
    blob: &Blob,
) -> Result<bool, ArtifactError> {
    Ok(connection
        .retrying(&at.whole(), at, "a blob check", || {
            connection.client.blob_exists(at, blob.digest.as_str())
        })
        .await?)
}

/// An image manifest of `artifact_type` with the empty config.
fn artifact_manifest(
    artifact_type: &str,
    layers: Vec<Value>,
    subject: Option<Value>,
    bundle: &str,
) -> Vec<u8> {
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(&blob_of(EMPTY, EMPTY_MEDIA), None),
        "layers": layers,
        "annotations": { "vnd.ferry.bundle": bundle },
    });
    if let Some(subject) = subject {
        manifest["subject"] = subject;
    }
    serde_json::to_vec(&manifest).unwrap_or_default()
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

/// Puts a link to `blob`'s cached file at `path` (replacing an old one).
fn link(puller: &Puller, blob: &Blob, path: &Path) -> Result<(), ArtifactError> {
    let cached = puller
        .blob_file(&blob.digest)
        .ok_or_else(|| ArtifactError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("{} is not in the cache", blob.digest)),
        })?;
    let _ = std::fs::remove_file(path);
    std::os::unix::fs::symlink(&cached, path).map_err(io_err(path))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError {
    let path = path.to_path_buf();
    move |source| ArtifactError::Io { path, source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::parts::Part;

    fn index() -> PartIndex {
        PartIndex {
            bundle: "b".into(),
            size: 6,
            sha256: "0".repeat(64),
            part_size: 3,
            parts: ["abc", "def"]
                .iter()
                .enumerate()
                .map(|(i, bytes)| Part {
                    name: format!("b.part-{:04}", i + 1),
                    size: 3,
                    sha256: Digest::of(bytes.as_bytes()).hex().to_string(),
                })
                .collect(),
        }
    }

    fn layer(bytes: &[u8], title: &str) -> (Blob, String) {
        (blob_of(bytes, PART_MEDIA), title.to_string())
    }

    #[test]
    fn the_part_layers_must_be_the_signed_parts_in_order() {
        let good = [layer(b"abc", "b.part-0001"), layer(b"def", "b.part-0002")];
        check_layers("r", &index(), &good).unwrap();
        let swapped = [layer(b"def", "b.part-0001"), layer(b"abc", "b.part-0002")];
        let err = check_layers("r", &index(), &swapped).unwrap_err();
        assert!(
            err.to_string().contains("layer 1 of 2 (b.part-0001)"),
            "{err}"
        );
        let renamed = [layer(b"abc", "b.part-0001"), layer(b"def", "evil")];
        assert!(check_layers("r", &index(), &renamed).is_err());
        let short = [layer(b"abc", "b.part-0001")];
        let err = check_layers("r", &index(), &short).unwrap_err();
        assert!(err.to_string().contains("2 parts"), "{err}");
    }

    #[test]
    fn a_layer_needs_a_digest_a_size_and_a_plain_title() {
        let manifest = |title: &str| {
            json!({ "layers": [{
                "mediaType": PART_MEDIA,
                "digest": Digest::of(b"x").as_str(),
                "size": 1,
                "annotations": { TITLE: title },
            }]})
        };
        assert_eq!(layers_of(&manifest("b.part-0001")).unwrap().len(), 1);
        assert!(layers_of(&manifest("../etc/passwd")).is_err());
        assert!(layers_of(&json!({ "layers": [{ "digest": "sha256:zz", "size": 1 }] })).is_err());
        assert!(layers_of(&json!({})).is_err());
    }

    #[test]
    fn only_oci_references_with_a_repository_are_taken() {
        assert!(parse("oci://127.0.0.1:5000/ferry/kyma:1.3.0").is_ok());
        assert!(parse("oci://kyma").is_err());
        assert_eq!(strip_scheme("bundle.tar.gz"), None);
    }
}
