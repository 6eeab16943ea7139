//! Pushing a verified bundle's images to the site registry, by digest and
//! then by tag, under `HOST[:PORT][/PREFIX]/<original repository path>`.
//! Each blob is uploaded once, to the first image (by reference) that has
//! it, streamed from the extracted layout; other images get it by a
//! cross-repository mount. Blobs and manifests the registry already has
//! are skipped, so a push cut short resumes where it stopped, and an image
//! is tagged only after everything it refers to is there.

use super::client::{backoff, classify, Connection};
use super::error::RegistryError;
use super::pull::{blob_label, image_blobs, media_type_of, Blob};
use crate::bundle::manifest::BundledImage;
use crate::fetch::Reporter;
use crate::images::reference;
use crate::oci::{layout::blob_path, media, Digest};
use futures_util::{StreamExt, TryStreamExt};
use oci_client::errors::OciDistributionError;
use oci_client::manifest::OciImageIndex;
use oci_client::{Reference, RegistryOperation};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The site registry, `HOST[:PORT][/PREFIX]`.
    pub site: String,
    /// Registry hosts spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// A PEM file of extra CAs to trust (`--ca-cert`).
    pub ca_cert: Option<PathBuf>,
    /// Parallel uploads.
    pub jobs: usize,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushReport {
    /// Images pushed and tagged.
    pub images: usize,
    /// Blobs uploaded.
    pub uploaded: usize,
    /// Bytes uploaded.
    pub uploaded_bytes: u64,
    /// Blobs mounted from another repository of the registry.
    pub mounted: usize,
    /// Blobs the registry already had.
    pub present: usize,
}

/// One image to push: where, its manifests (children first) and its blobs.
struct Planned {
    reference: String,
    target: Reference,
    manifests: Vec<(Digest, Vec<u8>, String)>,
    blobs: Vec<Blob>,
}

/// Pushes images from an extracted OCI layout.
pub struct Pusher {
    connection: Connection,
    settings: PushSettings,
}

impl Pusher {
    /// A pusher to `settings.site`.
    pub fn new(
        settings: PushSettings,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Pusher, RegistryError> {
        Ok(Pusher {
            connection: Connection::new(&settings.insecure, settings.ca_cert.as_deref(), reporter)?,
            settings,
        })
    }

    /// The reference `image` gets on the site registry.
    pub fn target(&self, image: &str) -> Result<Reference, RegistryError> {
        Ok(reference::parse(&reference::relocated(
            image,
            &self.settings.site,
        )?)?)
    }

    /// Pushes every image of the layout at `layout` (the bundle's `images/`).
    pub async fn push(
        &self,
        layout: &Path,
        images: &[BundledImage],
    ) -> Result<PushReport, RegistryError> {
        let planned: Vec<Planned> = images
            .iter()
            .map(|image| self.plan(layout, image))
            .collect::<Result<_, _>>()?;
        for image in &planned {
            let auth = self.connection.auth_for(&image.target);
            // Token registries scope a token to a repository; basic-auth ones need none.
            let _ = self
                .connection
                .client
                .auth(&image.target, &auth, RegistryOperation::Push)
                .await;
        }
        let mut owner: BTreeMap<&Digest, &Planned> = BTreeMap::new();
        for image in &planned {
            for blob in &image.blobs {
                owner.entry(&blob.digest).or_insert(image);
            }
        }
        let mut report = PushReport::default();
        // A blob two platforms of one image share is still uploaded once.
        let mut queued = HashSet::new();
        let uploads: Vec<(&Planned, &Blob)> = planned
            .iter()
            .flat_map(|image| image.blobs.iter().map(move |blob| (image, blob)))
            .filter(|(image, blob)| std::ptr::eq(owner[&blob.digest], *image))
            .filter(|(_, blob)| queued.insert(&blob.digest))
            .collect();
        let done: Vec<Option<u64>> = futures_util::stream::iter(uploads)
            .map(|(image, blob)| self.upload(layout, image, blob))
            .buffer_unordered(self.settings.jobs.max(1))
            .try_collect()
            .await?;
        for outcome in done {
            match outcome {
                Some(bytes) => {
                    report.uploaded += 1;
                    report.uploaded_bytes += bytes;
                }
                None => report.present += 1,
            }
        }
        for image in &planned {
            let mut seen = HashSet::new();
            for blob in &image.blobs {
                let from = owner[&blob.digest];
                if std::ptr::eq(from, image) || !seen.insert(&blob.digest) {
                    continue;
                }
                if self.exists(image, blob).await? {
                    report.present += 1;
                } else if self.mount(image, from, blob).await? {
                    report.mounted += 1;
                    let label = blob_label(&image.reference, &blob.digest);
                    self.connection.reporter.pushed(&label, "mounted");
                } else if let Some(bytes) = self.upload(layout, image, blob).await? {
                    report.uploaded += 1;
                    report.uploaded_bytes += bytes;
                }
            }
            self.push_manifests(image).await?;
            report.images += 1;
            self.connection
                .reporter
                .pushed(&image.target.whole(), "tagged");
        }
        Ok(report)
    }

    /// Reads an image's manifests out of the layout and lists its blobs.
    fn plan(&self, layout: &Path, image: &BundledImage) -> Result<Planned, RegistryError> {
        let read = |digest: &Digest| -> Result<Vec<u8>, RegistryError> {
            let path = layout.join(blob_path(digest));
            let bytes =
                std::fs::read(&path).map_err(|source| RegistryError::Io { path, source })?;
            let actual = Digest::of(&bytes);
            if &actual != digest {
                return Err(RegistryError::DigestMismatch {
                    image: image.reference.clone(),
                    what: "a manifest in the bundle".into(),
                    registry: "the bundle".into(),
                    expected: digest.to_string(),
                    actual: actual.to_string(),
                });
            }
            Ok(bytes)
        };
        let bad = |detail: String| RegistryError::BadManifest {
            image: image.reference.clone(),
            digest: image.digest.to_string(),
            media_type: image.media_type.clone(),
            detail,
        };
        let top = read(&image.digest)?;
        let mut manifests = Vec::new();
        let mut blobs = Vec::new();
        let mut add_manifest = |digest: &Digest, bytes: Vec<u8>, media_type: String| {
            let blob = Blob {
                digest: digest.clone(),
                size: bytes.len() as u64,
                media_type: media_type.clone(),
            };
            let (own, _) = image_blobs(&image.reference, &blob, &bytes)?;
            blobs.extend(own);
            manifests.push((digest.clone(), bytes, media_type));
            Ok::<(), RegistryError>(())
        };
        if media::is_index(&image.media_type) {
            let index: OciImageIndex =
                serde_json::from_slice(&top).map_err(|e| bad(e.to_string()))?;
            for entry in &index.manifests {
                let child = Digest::parse(&entry.digest).map_err(|e| bad(e.to_string()))?;
                let bytes = read(&child)?;
                let media_type = media_type_of(&bytes).unwrap_or_else(|| entry.media_type.clone());
                add_manifest(&child, bytes, media_type)?;
            }
            manifests.push((image.digest.clone(), top, image.media_type.clone()));
        } else {
            add_manifest(&image.digest, top, image.media_type.clone())?;
        }
        Ok(Planned {
            reference: image.reference.clone(),
            target: self.target(&image.reference)?,
            manifests,
            blobs,
        })
    }

    async fn exists(&self, image: &Planned, blob: &Blob) -> Result<bool, RegistryError> {
        self.connection
            .retrying(&image.reference, &image.target, "a blob check", || {
                self.connection
                    .client
                    .blob_exists(&image.target, blob.digest.as_str())
            })
            .await
    }

    async fn mount(
        &self,
        image: &Planned,
        from: &Planned,
        blob: &Blob,
    ) -> Result<bool, RegistryError> {
        Ok(self
            .connection
            .client
            .mount_blob(&image.target, &from.target, blob.digest.as_str())
            .await
            .is_ok())
    }

    /// Uploads one blob unless the registry has it: the bytes sent, or None.
    async fn upload(
        &self,
        layout: &Path,
        image: &Planned,
        blob: &Blob,
    ) -> Result<Option<u64>, RegistryError> {
        if self.exists(image, blob).await? {
            return Ok(None);
        }
        let source = BlobSource {
            path: layout.join(blob_path(&blob.digest)),
            offset: 0,
        };
        let label = blob_label(&image.reference, &blob.digest);
        upload_blob(
            &self.connection,
            &image.reference,
            &image.target,
            &source,
            blob,
            &label,
        )
        .await
        .map(Some)
    }

    /// Pushes the image's manifests by digest (children first), then the top one by tag.
    async fn push_manifests(&self, image: &Planned) -> Result<(), RegistryError> {
        let target = &image.target;
        for (position, (digest, bytes, media_type)) in image.manifests.iter().enumerate() {
            let by_digest = Reference::with_digest(
                target.registry().to_string(),
                target.repository().to_string(),
                digest.to_string(),
            );
            let last = position + 1 == image.manifests.len();
            let at = if last && target.tag().is_some() {
                target
            } else {
                &by_digest
            };
            let content_type: reqwest::header::HeaderValue =
                media_type.parse().map_err(|_| RegistryError::BadManifest {
                    image: image.reference.clone(),
                    digest: digest.to_string(),
                    media_type: media_type.clone(),
                    detail: "the media type is not a valid header value".into(),
                })?;
            self.connection
                .retrying(&image.reference, at, "a manifest push", || {
                    self.connection.client.push_manifest_raw(
                        at,
                        bytes.clone(),
                        content_type.clone(),
                    )
                })
                .await?;
        }
        Ok(())
    }
}

/// Where a blob's bytes are: `size` bytes of a file from `offset` on.
pub(super) struct BlobSource {
    /// The file.
    pub(super) path: PathBuf,
    /// Where the blob starts in it.
    pub(super) offset: u64,
}

/// Uploads `blob` from `source` to `target` (one streamed PUT), retrying
/// what may go away by itself; the bytes sent.
pub(super) async fn upload_blob(
    connection: &Connection,
    name: &str,
    target: &Reference,
    source: &BlobSource,
    blob: &Blob,
    label: &str,
) -> Result<u64, RegistryError> {
    let reporter = &connection.reporter;
    let mut failures = 0;
    loop {
        reporter.download_started(label, Some(blob.size), 0);
        let stream = file_stream(source, blob.size, Arc::clone(reporter), label.to_string());
        let sent = connection
            .client
            .push_blob_stream(target, stream, blob.digest.as_str(), Some(blob.size))
            .await;
        match sent {
            Ok(_) => {
                reporter.pushed(label, "uploaded");
                return Ok(blob.size);
            }
            Err(err) => {
                failures += 1;
                let (retry, error) = classify(name, target, &err, failures);
                if !retry {
                    return Err(error);
                }
                let wait = backoff(failures);
                reporter.retrying(label, failures, wait, &err.to_string());
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// `size` bytes of a file from an offset on, as a stream of chunks,
/// reporting progress as they go.
fn file_stream(
    source: &BlobSource,
    size: u64,
    reporter: Arc<dyn Reporter>,
    label: String,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, OciDistributionError>> + Send + 'static {
    let (path, offset) = (source.path.clone(), source.offset);
    futures_util::stream::unfold(
        (None, size),
        move |(file, left): (Option<tokio::fs::File>, u64)| {
            let path = path.clone();
            let reporter = Arc::clone(&reporter);
            let label = label.clone();
            async move {
                use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
                if left == 0 {
                    return None;
                }
                let mut file = match file {
                    Some(file) => file,
                    None => {
                        let opened = async {
                            let mut file = tokio::fs::File::open(&path).await?;
                            file.seek(std::io::SeekFrom::Start(offset)).await?;
                            Ok::<_, std::io::Error>(file)
                        };
                        match opened.await {
                            Ok(file) => file,
                            Err(err) => {
                                return Some((Err(OciDistributionError::IoError(err)), (None, 0)))
                            }
                        }
                    }
                };
                let want = usize::try_from(left).unwrap_or(usize::MAX).min(1024 * 1024);
                let mut buf = vec![0u8; want];
                match file.read(&mut buf).await {
                    Ok(0) => Some((
                        Err(OciDistributionError::IoError(
                            std::io::ErrorKind::UnexpectedEof.into(),
                        )),
                        (None, 0),
                    )),
                    Ok(n) => {
                        buf.truncate(n);
                        reporter.download_progress(&label, n as u64);
                        Some((Ok(bytes::Bytes::from(buf)), (Some(file), left - n as u64)))
                    }
                    Err(err) => Some((Err(OciDistributionError::IoError(err)), (None, 0))),
                }
            }
        },
    )
}
