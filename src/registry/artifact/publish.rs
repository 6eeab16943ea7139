//! Publishing: the index, signature and parts as blobs (each skipped when
//! the registry has it), the bundle manifest by tag, the signature
//! artifact by digest, and the referrers tag.

use super::{
    blob_of, descriptor, parse, with_digest, ArtifactError, ArtifactSettings, BUNDLE_TYPE, EMPTY,
    EMPTY_MEDIA, INDEX_MEDIA, PART_MEDIA, SIGNATURE_MEDIA, SIGNATURE_TYPE,
};
use crate::bundle::parts::{self, PartIndex, INDEX_SIGNATURE_SUFFIX};
use crate::fetch::Reporter;
use crate::oci::{media, Digest};
use crate::registry::client::Connection;
use crate::registry::pull::Blob;
use crate::registry::push::{upload_blob, BlobSource};
use oci_client::Reference;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

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
        .map(|part| {
            let digest = Digest::parse(&format!("sha256:{}", part.sha256)).map_err(|err| {
                ArtifactError::NotABundle {
                    reference: part.name.clone(),
                    problem: format!("its digest in the part index is not one: {err}"),
                }
            })?;
            Ok(Blob {
                digest,
                size: part.size,
                media_type: PART_MEDIA.to_string(),
            })
        })
        .collect::<Result<_, ArtifactError>>()?;
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
