//! Resolving an image to a digest and pulling all of it into the download
//! cache: the manifest (or index and its platform manifests), configs and
//! layers, every blob checked against its digest and size. Blob downloads
//! resume from the cache's partial file after a cut, run `jobs` at a time,
//! and report progress; tags are resolved once, here, so the bundle names
//! every image by digest.

use super::client::{backoff, classify, Connection};
use super::error::RegistryError;
use crate::fetch::{Cache, KeyLock, Partial, Reporter};
use crate::images::reference::{self, Mirror};
use crate::oci::{media, Digest};
use futures_util::{StreamExt, TryStreamExt};
use oci_client::client::BlobResponse;
use oci_client::errors::OciDistributionError;
use oci_client::manifest::{OciImageIndex, OciImageManifest};
use oci_client::Reference;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The largest manifest or index ferry accepts (the distribution registry's own limit).
pub const MANIFEST_CAP: u64 = 4 * 1024 * 1024;
/// The media types ferry asks registries for.
const ACCEPTED: &[&str] = &[
    media::OCI_MANIFEST,
    media::OCI_INDEX,
    media::DOCKER_MANIFEST,
    media::DOCKER_MANIFEST_LIST,
];

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct PullerSettings {
    /// Pull-through mirrors (`--registry-mirror`).
    pub mirrors: Vec<Mirror>,
    /// Registry hosts spoken to over plain HTTP (`--registry-insecure`).
    pub insecure: Vec<String>,
    /// A PEM file of extra CAs to trust (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// `os/arch` platforms to keep of multi-platform images; empty keeps all.
    pub platforms: Vec<String>,
    /// Parallel blob downloads.
    pub jobs: usize,
}

/// One blob of an image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Blob {
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: String,
}

/// Images an archive holds (made by `ferry mirror --images`): the digest
/// each reference was resolved to, and the blob store holding every
/// manifest and blob of them. A puller reading from it never goes online.
#[derive(Debug, Clone)]
pub struct ArchivedImages {
    /// The archive's blob store.
    pub store: Cache,
    /// Normalized reference -> the digest the registry named it by.
    pub tags: HashMap<String, Digest>,
    /// The archive directory, for messages.
    pub dir: std::path::PathBuf,
}

/// An image resolved to a digest, its manifests already in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledImage {
    /// The reference as named (normalized).
    pub reference: String,
    /// Where it was pulled from (the mirror's reference, or the same).
    pub pulled_from: String,
    /// The digest the registry named the reference by (before any
    /// `--platform` narrowing); what an archive records.
    pub upstream_digest: Digest,
    /// The digest the bundle names it by.
    pub digest: Digest,
    /// The top manifest's media type (manifest or index).
    pub media_type: String,
    /// The top manifest's size.
    pub size: u64,
    /// The top manifest and, for an index, each kept platform's manifest.
    pub manifests: Vec<Blob>,
    /// Every config and layer of every kept platform, in manifest order.
    pub blobs: Vec<Blob>,
    /// The layers of the first kept platform, in order (for reading files).
    pub layers: Vec<Blob>,
    /// The kept platforms (`linux/amd64`) of a multi-platform image; empty for one image.
    pub platforms: Vec<String>,
}

/// Pulls images from registries into the download cache.
pub struct Puller {
    connection: Connection,
    settings: PullerSettings,
    cache: Cache,
    /// Where to read instead of a registry, when building from an archive.
    archived: Option<ArchivedImages>,
    /// Blobs this puller already fetched or reported, so a second pass
    /// (discovery reads a layer, packing needs it again) stays quiet.
    reported: std::sync::Mutex<std::collections::HashSet<Digest>>,
}

impl Puller {
    /// A puller with `settings`, the credentials found on this machine, and `cache`.
    pub fn new(
        settings: PullerSettings,
        cache: Cache,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Puller, RegistryError> {
        Ok(Puller {
            connection: Connection::new(&settings.insecure, settings.ca_cert.as_deref(), reporter)?,
            settings,
            cache,
            archived: None,
            reported: Default::default(),
        })
    }

    /// A puller that reads every image from an archive and never from a
    /// registry; what it writes (narrowed indexes) goes to `cache`.
    pub fn from_archive(
        settings: PullerSettings,
        cache: Cache,
        archived: ArchivedImages,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Puller, RegistryError> {
        let mut puller = Puller::new(settings, cache, reporter)?;
        puller.archived = Some(archived);
        Ok(puller)
    }

    /// The cache blobs land in.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Resolves `reference` to a digest and stores its manifests in the cache.
    pub async fn resolve(&self, reference: &str) -> Result<PulledImage, RegistryError> {
        let original = reference::parse(reference)?;
        let name = reference::full(&original);
        let source = reference::through_mirrors(&original, &self.settings.mirrors);
        let (bytes, media_type) = self.top_manifest(&name, &source).await?;
        let digest = Digest::of(&bytes);
        if let Some(pinned) = original.digest() {
            if pinned != digest.as_str() {
                return Err(RegistryError::DigestMismatch {
                    image: name,
                    what: "its manifest".into(),
                    registry: source.registry().to_string(),
                    expected: pinned.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        if media::is_index(&media_type) {
            self.resolve_index(name, source, bytes, media_type).await
        } else {
            let manifest = self.store_manifest(&bytes, &media_type)?;
            let (blobs, layers) = image_blobs(&name, &manifest, &bytes)?;
            Ok(PulledImage {
                reference: name,
                pulled_from: reference::full(&source),
                upstream_digest: manifest.digest.clone(),
                size: manifest.size,
                digest: manifest.digest.clone(),
                media_type,
                manifests: vec![manifest],
                layers: layers.clone(),
                blobs,
                platforms: Vec::new(),
            })
        }
    }

    /// An index: its kept platforms' manifests are pulled and stored too.
    async fn resolve_index(
        &self,
        name: String,
        source: Reference,
        bytes: bytes::Bytes,
        media_type: String,
    ) -> Result<PulledImage, RegistryError> {
        let bad = |detail: String| RegistryError::BadManifest {
            image: name.clone(),
            digest: Digest::of(&bytes).to_string(),
            media_type: media_type.clone(),
            detail,
        };
        let upstream_digest = Digest::of(&bytes);
        let mut index: OciImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        let available: Vec<String> = index.manifests.iter().map(platform_of).collect();
        let wanted = &self.settings.platforms;
        let bytes = if wanted.is_empty() {
            bytes.to_vec()
        } else {
            index
                .manifests
                .retain(|entry| wanted.contains(&platform_of(entry)));
            if index.manifests.is_empty() {
                return Err(RegistryError::NoPlatform {
                    image: name,
                    available: available.join(", "),
                    wanted: wanted.join(", "),
                });
            }
            // The index as the registry served it stays in the cache too, so
            // an archive can narrow it again offline.
            self.store_manifest(&bytes, &media_type)?;
            serde_json::to_vec(&index).map_err(|e| bad(e.to_string()))?
        };
        let top = self.store_manifest(&bytes, &media_type)?;
        let mut manifests = vec![top.clone()];
        let mut blobs = Vec::new();
        let mut first_layers = None;
        for entry in &index.manifests {
            let child = Digest::parse(&entry.digest).map_err(|e| bad(e.to_string()))?;
            let at = Reference::with_digest(
                source.registry().to_string(),
                source.repository().to_string(),
                child.to_string(),
            );
            let (child_bytes, child_type) = self.manifest(&name, &at, Some(&child)).await?;
            if media::is_index(&child_type) {
                return Err(bad("an index inside an index is not supported".into()));
            }
            let stored = self.store_manifest(&child_bytes, &child_type)?;
            let (child_blobs, layers) = image_blobs(&name, &stored, &child_bytes)?;
            first_layers.get_or_insert(layers);
            blobs.extend(child_blobs);
            manifests.push(stored);
        }
        Ok(PulledImage {
            reference: name,
            pulled_from: reference::full(&source),
            upstream_digest,
            digest: top.digest.clone(),
            size: top.size,
            media_type,
            platforms: index.manifests.iter().map(platform_of).collect(),
            manifests,
            layers: first_layers.unwrap_or_default(),
            blobs,
        })
    }

    /// The manifest `name` names (by tag or digest): from the registry, or
    /// for an archive, the digest it recorded for `name`.
    async fn top_manifest(
        &self,
        name: &str,
        at: &Reference,
    ) -> Result<(bytes::Bytes, String), RegistryError> {
        let Some(archived) = &self.archived else {
            return self.manifest(name, at, None).await;
        };
        let pinned = at.digest().and_then(|d| Digest::parse(d).ok());
        let recorded = pinned.or_else(|| archived.tags.get(name).cloned());
        let digest = recorded.ok_or_else(|| RegistryError::NotArchived {
            image: name.to_string(),
            what: "the image".into(),
            dir: archived.dir.clone(),
        })?;
        self.manifest(name, at, Some(&digest)).await
    }

    /// GETs a manifest (retrying), capped, digest-checked against `expected`;
    /// from an archive, reads the blob `expected` names instead.
    async fn manifest(
        &self,
        name: &str,
        at: &Reference,
        expected: Option<&Digest>,
    ) -> Result<(bytes::Bytes, String), RegistryError> {
        let what = format!("manifest {}", reference::full(at));
        let bytes = match (&self.archived, expected) {
            (Some(archived), Some(digest)) => self.archived_manifest(archived, name, digest)?,
            _ => self.manifest_from_registry(name, at, &what).await?,
        };
        if bytes.len() as u64 > MANIFEST_CAP {
            return Err(RegistryError::TooLarge {
                image: name.to_string(),
                what,
                limit: MANIFEST_CAP,
            });
        }
        let actual = Digest::of(&bytes);
        if let Some(expected) = expected {
            if &actual != expected {
                return Err(RegistryError::DigestMismatch {
                    image: name.to_string(),
                    what,
                    registry: at.registry().to_string(),
                    expected: expected.to_string(),
                    actual: actual.to_string(),
                });
            }
        }
        let media_type = media_type_of(&bytes).ok_or_else(|| RegistryError::BadManifest {
            image: name.to_string(),
            digest: actual.to_string(),
            media_type: "manifest".into(),
            detail: "it names no media type and has neither layers nor manifests".into(),
        })?;
        Ok((bytes, media_type))
    }

    /// One manifest GET, retried by the connection's policy.
    async fn manifest_from_registry(
        &self,
        name: &str,
        at: &Reference,
        what: &str,
    ) -> Result<bytes::Bytes, RegistryError> {
        let auth = self.connection.auth_for(at);
        let (bytes, _) = self
            .connection
            .retrying(name, at, what, || {
                self.connection
                    .client
                    .pull_manifest_raw(at, &auth, ACCEPTED)
            })
            .await?;
        Ok(bytes)
    }

    /// A manifest's bytes out of the archive (checked by the caller),
    /// refusing one larger than any registry would serve before reading it.
    fn archived_manifest(
        &self,
        archived: &ArchivedImages,
        name: &str,
        digest: &Digest,
    ) -> Result<bytes::Bytes, RegistryError> {
        let missing = || RegistryError::NotArchived {
            image: name.to_string(),
            what: format!("its manifest {digest}"),
            dir: archived.dir.clone(),
        };
        let blob = archived
            .store
            .lookup(&blob_key(digest))
            .ok_or_else(missing)?;
        if blob.size > MANIFEST_CAP {
            return Err(RegistryError::TooLarge {
                image: name.to_string(),
                what: format!("manifest {digest} in {}", archived.dir.display()),
                limit: MANIFEST_CAP,
            });
        }
        let bytes = std::fs::read(&blob.path).map_err(|source| RegistryError::Io {
            path: blob.path.clone(),
            source,
        })?;
        Ok(bytes::Bytes::from(bytes))
    }

    /// Keeps a manifest's bytes in the cache under its digest.
    fn store_manifest(&self, bytes: &[u8], media_type: &str) -> Result<Blob, RegistryError> {
        let digest = Digest::of(bytes);
        self.cache.put_bytes(&blob_key(&digest), bytes)?;
        Ok(Blob {
            size: bytes.len() as u64,
            media_type: media_type.to_string(),
            digest,
        })
    }

    /// Downloads every blob of `images` the cache lacks, `jobs` at a time.
    pub async fn fetch_blobs(&self, images: &[PulledImage]) -> Result<(), RegistryError> {
        let mut seen = std::collections::HashSet::new();
        let mut wanted = Vec::new();
        for image in images {
            for blob in &image.blobs {
                if seen.insert(blob.digest.clone()) {
                    wanted.push((image, blob));
                }
            }
        }
        futures_util::stream::iter(wanted)
            .map(|(image, blob)| self.fetch_blob(image, blob))
            .buffer_unordered(self.settings.jobs.max(1))
            .try_collect::<Vec<()>>()
            .await
            .map(drop)
    }

    /// The cached file of a blob, once fetched.
    pub fn blob_file(&self, digest: &Digest) -> Option<std::path::PathBuf> {
        let key = blob_key(digest);
        self.cache
            .lookup(&key)
            .or_else(|| self.archived.as_ref()?.store.lookup(&key))
            .map(|blob| blob.path)
    }

    /// One blob into the cache through the download engine's partial file
    /// and key lock: resumed where a cut transfer (or another run) left it,
    /// hashed as it streams, checked against its digest at the end.
    async fn fetch_blob(&self, image: &PulledImage, blob: &Blob) -> Result<(), RegistryError> {
        let key = blob_key(&blob.digest);
        let label = blob_label(&image.reference, &blob.digest);
        let path = self.cache.partial_path(&key);
        let io_err = |source| RegistryError::Io {
            path: path.clone(),
            source,
        };
        if let Some(archived) = &self.archived {
            if self.blob_file(&blob.digest).is_none() {
                return Err(RegistryError::NotArchived {
                    image: image.reference.clone(),
                    what: format!("its blob {}", blob.digest),
                    dir: archived.dir.clone(),
                });
            }
        }
        if self.blob_file(&blob.digest).is_none() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io_err)?;
            }
            let _lock = KeyLock::acquire(self.cache.lock_path(&key), &label)
                .await
                .map_err(io_err)?;
            // Another run may have finished it while this one waited.
            if self.cache.lookup(&key).is_none() {
                self.download_blob(image, blob, &key, &label).await?;
                self.first_report(&blob.digest);
                self.connection.reporter.download_finished(&label, false);
                return Ok(());
            }
        }
        if self.first_report(&blob.digest) {
            self.connection.reporter.download_finished(&label, true);
        }
        Ok(())
    }

    /// Downloads `blob` into its partial file and commits it to the cache;
    /// the caller holds the key's lock.
    async fn download_blob(
        &self,
        image: &PulledImage,
        blob: &Blob,
        key: &str,
        label: &str,
    ) -> Result<(), RegistryError> {
        let source = reference::parse(&image.pulled_from)?;
        let path = self.cache.partial_path(key);
        let io_err = |source| RegistryError::Io {
            path: path.clone(),
            source,
        };
        let mut partial = Partial::open(&path).await.map_err(io_err)?;
        if partial.len() > blob.size {
            partial.reset().await.map_err(io_err)?;
        }
        let reporter = &self.connection.reporter;
        reporter.download_started(label, Some(blob.size), partial.len());
        let mut failures = 0;
        while partial.len() < blob.size {
            let before = partial.len();
            let streamed = self.stream_into(&source, blob, &mut partial, label).await;
            let err = match streamed {
                Ok(()) if partial.len() >= blob.size => break,
                // A body that ends early, with no error, is a failure too.
                Ok(()) => OciDistributionError::IoError(std::io::Error::from(
                    std::io::ErrorKind::UnexpectedEof,
                )),
                Err(err) => err,
            };
            failures = if partial.len() > before {
                1
            } else {
                failures + 1
            };
            let (retry, error) = classify(&image.reference, &source, &err, failures);
            if !retry {
                return Err(error);
            }
            partial.flush().await.map_err(io_err)?;
            let wait = backoff(failures);
            reporter.retrying(label, failures, wait, &err.to_string());
            tokio::time::sleep(wait).await;
        }
        let (sha256, size) = partial.finish().await.map_err(io_err)?;
        if size != blob.size || sha256 != blob.digest.hex() {
            let _ = std::fs::remove_file(&path);
            return Err(RegistryError::DigestMismatch {
                image: image.reference.clone(),
                what: format!("blob ({size} bytes, {} declared)", blob.size),
                registry: source.registry().to_string(),
                expected: blob.digest.to_string(),
                actual: format!("sha256:{sha256}"),
            });
        }
        self.cache.commit(key, &path, &sha256, size)?;
        Ok(())
    }

    /// Appends the blob's bytes from the partial's length on (starting over
    /// when the registry ignores the range), stopping past the declared size.
    async fn stream_into(
        &self,
        source: &Reference,
        blob: &Blob,
        partial: &mut Partial,
        label: &str,
    ) -> Result<(), OciDistributionError> {
        self.connection
            .client
            .store_auth_if_needed(source.resolve_registry(), &self.connection.auth_for(source))
            .await;
        let digest = blob.digest.as_str();
        let client = &self.connection.client;
        let mut stream = if partial.len() == 0 {
            client.pull_blob_stream(source, digest).await?
        } else {
            match client
                .pull_blob_stream_partial(source, digest, partial.len(), None)
                .await?
            {
                BlobResponse::Partial(stream) => stream,
                BlobResponse::Full(stream) => {
                    partial.reset().await?;
                    stream
                }
            }
        };
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            partial.write(&chunk).await?;
            self.connection
                .reporter
                .download_progress(label, chunk.len() as u64);
            if partial.len() > blob.size {
                // More than declared: stop reading; the digest check refuses it.
                break;
            }
        }
        Ok(())
    }

    /// True the first time `digest` is reported by this puller.
    fn first_report(&self, digest: &Digest) -> bool {
        self.reported
            .lock()
            .map(|mut seen| seen.insert(digest.clone()))
            .unwrap_or(true)
    }
}

/// The cache key of a blob.
fn blob_key(digest: &Digest) -> String {
    format!("oci:{digest}")
}

/// `kyma-installer:1.1.0 0123456789ab`: a blob as progress shows it.
pub(super) fn blob_label(reference: &str, digest: &Digest) -> String {
    let name = reference.rsplit('/').next().unwrap_or(reference);
    format!("{name} {}", &digest.hex()[..12])
}

/// The media type a manifest's bytes say they are.
pub(super) fn media_type_of(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if let Some(declared) = value.get("mediaType").and_then(|m| m.as_str()) {
        return Some(declared.to_string());
    }
    if value.get("manifests").is_some() {
        Some(media::OCI_INDEX.to_string())
    } else if value.get("layers").is_some() {
        Some(media::OCI_MANIFEST.to_string())
    } else {
        None
    }
}

/// `os/arch[/variant]` of an index entry.
fn platform_of(entry: &oci_client::manifest::ImageIndexEntry) -> String {
    match &entry.platform {
        Some(platform) => {
            let base = format!("{}/{}", platform.os, platform.architecture);
            match &platform.variant {
                Some(variant) => format!("{base}/{variant}"),
                None => base,
            }
        }
        None => "unknown".to_string(),
    }
}

/// The config and layers of a single-platform manifest: all blobs, and the
/// layers alone in order.
pub(super) fn image_blobs(
    name: &str,
    manifest: &Blob,
    bytes: &[u8],
) -> Result<(Vec<Blob>, Vec<Blob>), RegistryError> {
    let parsed: OciImageManifest =
        serde_json::from_slice(bytes).map_err(|e| RegistryError::BadManifest {
            image: name.to_string(),
            digest: manifest.digest.to_string(),
            media_type: manifest.media_type.clone(),
            detail: e.to_string(),
        })?;
    let blob = |descriptor: &oci_client::manifest::OciDescriptor| {
        let digest = Digest::parse(&descriptor.digest).map_err(|e| RegistryError::BadManifest {
            image: name.to_string(),
            digest: manifest.digest.to_string(),
            media_type: manifest.media_type.clone(),
            detail: e.to_string(),
        })?;
        Ok::<Blob, RegistryError>(Blob {
            digest,
            size: u64::try_from(descriptor.size).unwrap_or(0),
            media_type: descriptor.media_type.clone(),
        })
    };
    let layers: Vec<Blob> = parsed.layers.iter().map(blob).collect::<Result<_, _>>()?;
    let mut all = vec![blob(&parsed.config)?];
    all.extend(layers.iter().cloned());
    Ok((all, layers))
}
