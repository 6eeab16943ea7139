//! Pulling: the manifest, the signature found through the referrers, the
//! index and signature verified and every part layer checked against the
//! signed index, then the parts into the cache, laid out for the reader.

use super::{
    parse, with_digest, ArtifactError, ArtifactSettings, BUNDLE_TYPE, INDEX_MEDIA, SIGNATURE_MEDIA,
    SIGNATURE_TYPE, TITLE,
};
use crate::bundle::input::SplitBundle;
use crate::bundle::keyring::Keyring;
use crate::bundle::parts::{self, PartIndex, INDEX_SUFFIX};
use crate::fetch::Reporter;
use crate::oci::{media, Digest};
use crate::registry::client::Connection;
use crate::registry::error::RegistryError;
use crate::registry::pull::{Blob, PulledImage, Puller};
use oci_client::Reference;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

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
    use super::super::{blob_of, PART_MEDIA};
    use super::*;
    use crate::bundle::parts::Part;
    use serde_json::json;

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
}
