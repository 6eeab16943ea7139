//! What the simulated registry holds, with no HTTP in sight: blobs stored
//! once by digest, repositories that each "have" the blobs pushed or
//! mounted into them, their manifests and tags, and upload sessions in
//! progress. Every operation checks what the distribution spec says a
//! registry checks and answers with a [`StoreError`] otherwise.

use bytes::Bytes;
use ferry_formats::oci::{media, Digest};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why an operation was refused, as the distribution spec's error codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StoreError {
    /// The repository does not exist.
    #[error("repository {0} is not known")]
    NameUnknown(String),
    /// The repository has no such blob.
    #[error("blob {0} is not known")]
    BlobUnknown(String),
    /// The repository has no such manifest or tag.
    #[error("manifest {0} is not known")]
    ManifestUnknown(String),
    /// No such upload session (for this repository).
    #[error("upload {0} is not known")]
    UploadUnknown(String),
    /// A chunk that does not continue the upload where it stands.
    #[error("the chunk starts at {got}, the upload holds {have} bytes")]
    RangeInvalid {
        /// Bytes received so far.
        have: u64,
        /// Where the chunk said it starts.
        got: u64,
    },
    /// The content does not have the digest it was given.
    #[error("the content's digest is {actual}, not {expected}")]
    DigestInvalid {
        /// The digest given.
        expected: String,
        /// The digest of the content.
        actual: String,
    },
    /// A manifest that cannot be read.
    #[error("invalid manifest: {0}")]
    ManifestInvalid(String),
    /// A manifest naming a blob or manifest the repository lacks.
    #[error("the manifest refers to {0}, which the repository lacks")]
    ManifestBlobUnknown(String),
}

impl StoreError {
    /// The spec's error code.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            StoreError::NameUnknown(_) => "NAME_UNKNOWN",
            StoreError::BlobUnknown(_) => "BLOB_UNKNOWN",
            StoreError::ManifestUnknown(_) => "MANIFEST_UNKNOWN",
            StoreError::UploadUnknown(_) => "BLOB_UPLOAD_UNKNOWN",
            StoreError::RangeInvalid { .. } => "BLOB_UPLOAD_INVALID",
            StoreError::DigestInvalid { .. } => "DIGEST_INVALID",
            StoreError::ManifestInvalid(_) => "MANIFEST_INVALID",
            StoreError::ManifestBlobUnknown(_) => "MANIFEST_BLOB_UNKNOWN",
        }
    }

    /// The HTTP status the spec gives it.
    pub(crate) fn status(&self) -> u16 {
        match self {
            StoreError::NameUnknown(_)
            | StoreError::BlobUnknown(_)
            | StoreError::ManifestUnknown(_)
            | StoreError::UploadUnknown(_) => 404,
            StoreError::RangeInvalid { .. } => 416,
            StoreError::DigestInvalid { .. }
            | StoreError::ManifestInvalid(_)
            | StoreError::ManifestBlobUnknown(_) => 400,
        }
    }
}

/// How a manifest is addressed: by tag or by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ManifestRef {
    /// A tag (`1.3.0`).
    Tag(String),
    /// A digest.
    Digest(Digest),
}

/// A stored manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Manifest {
    /// Its digest.
    pub(crate) digest: Digest,
    /// Its media type, served as `Content-Type`.
    pub(crate) media_type: String,
    /// Its bytes.
    pub(crate) bytes: Bytes,
}

/// One repository: what it has, and its tags.
#[derive(Debug, Default)]
struct Repository {
    /// The blobs pushed or mounted here (manifests included).
    blobs: HashSet<Digest>,
    /// The manifests by digest, with their media types.
    manifests: HashMap<Digest, String>,
    /// Tag to manifest digest.
    tags: BTreeMap<String, Digest>,
}

/// An upload in progress.
#[derive(Debug)]
struct Upload {
    repository: String,
    data: Vec<u8>,
}

/// The registry's contents.
#[derive(Debug, Default)]
pub(crate) struct Store {
    blobs: HashMap<Digest, Bytes>,
    repositories: BTreeMap<String, Repository>,
    uploads: HashMap<String, Upload>,
    next_upload: u64,
}

impl Store {
    /// The repository names, sorted.
    pub(crate) fn repositories(&self) -> Vec<String> {
        self.repositories.keys().cloned().collect()
    }

    /// A repository's tags, sorted (none for an unknown repository).
    pub(crate) fn tags(&self, repository: &str) -> Option<Vec<String>> {
        let repo = self.repositories.get(repository)?;
        Some(repo.tags.keys().cloned().collect())
    }

    fn repository(&self, name: &str) -> Result<&Repository, StoreError> {
        self.repositories
            .get(name)
            .ok_or_else(|| StoreError::NameUnknown(name.to_string()))
    }

    /// A blob of `repository`, if it has it.
    pub(crate) fn blob(&self, repository: &str, digest: &Digest) -> Result<Bytes, StoreError> {
        let repo = self.repository(repository)?;
        match self.blobs.get(digest) {
            Some(bytes) if repo.blobs.contains(digest) => Ok(bytes.clone()),
            _ => Err(StoreError::BlobUnknown(digest.to_string())),
        }
    }

    /// A manifest of `repository`, by tag or digest.
    pub(crate) fn manifest(
        &self,
        repository: &str,
        reference: &ManifestRef,
    ) -> Result<Manifest, StoreError> {
        let repo = self.repository(repository)?;
        let unknown = || {
            StoreError::ManifestUnknown(match reference {
                ManifestRef::Tag(tag) => tag.clone(),
                ManifestRef::Digest(digest) => digest.to_string(),
            })
        };
        let digest = match reference {
            ManifestRef::Tag(tag) => repo.tags.get(tag).ok_or_else(unknown)?,
            ManifestRef::Digest(digest) => digest,
        };
        let media_type = repo.manifests.get(digest).ok_or_else(unknown)?;
        let bytes = self.blobs.get(digest).ok_or_else(unknown)?;
        Ok(Manifest {
            digest: digest.clone(),
            media_type: media_type.clone(),
            bytes: bytes.clone(),
        })
    }

    /// Stores `bytes` as a blob that `repository` has (created if new).
    pub(crate) fn put_blob(&mut self, repository: &str, bytes: Bytes) -> Digest {
        let digest = Digest::of(&bytes);
        self.blobs.entry(digest.clone()).or_insert(bytes);
        self.give(repository, &digest);
        digest
    }

    /// Records that `repository` (created if new) has blob `digest`.
    fn give(&mut self, repository: &str, digest: &Digest) {
        self.repositories
            .entry(repository.to_string())
            .or_default()
            .blobs
            .insert(digest.clone());
    }

    /// Makes `from`'s blob `digest` one that `repository` has too; false
    /// when `from` does not have it.
    pub(crate) fn mount(&mut self, repository: &str, from: &str, digest: &Digest) -> bool {
        let present = self
            .repositories
            .get(from)
            .is_some_and(|repo| repo.blobs.contains(digest))
            && self.blobs.contains_key(digest);
        if present {
            self.give(repository, digest);
        }
        present
    }

    /// Opens an upload session into `repository`; returns its id.
    pub(crate) fn start_upload(&mut self, repository: &str) -> String {
        self.next_upload += 1;
        let id = format!("upload-{:08}", self.next_upload);
        self.uploads.insert(
            id.clone(),
            Upload {
                repository: repository.to_string(),
                data: Vec::new(),
            },
        );
        id
    }

    fn upload(&mut self, repository: &str, id: &str) -> Result<&mut Upload, StoreError> {
        match self.uploads.get_mut(id) {
            Some(upload) if upload.repository == repository => Ok(upload),
            _ => Err(StoreError::UploadUnknown(id.to_string())),
        }
    }

    /// Appends a chunk that says it starts at `start` (when it says so);
    /// returns the bytes the upload now holds.
    pub(crate) fn append(
        &mut self,
        repository: &str,
        id: &str,
        start: Option<u64>,
        chunk: &[u8],
    ) -> Result<u64, StoreError> {
        let upload = self.upload(repository, id)?;
        let have = upload.data.len() as u64;
        match start {
            Some(got) if got != have => Err(StoreError::RangeInvalid { have, got }),
            _ => {
                upload.data.extend_from_slice(chunk);
                Ok(upload.data.len() as u64)
            }
        }
    }

    /// The bytes an upload holds so far.
    pub(crate) fn uploaded(&mut self, repository: &str, id: &str) -> Result<u64, StoreError> {
        Ok(self.upload(repository, id)?.data.len() as u64)
    }

    /// Ends an upload with its last bytes, if the whole has `digest`. A
    /// wrong digest keeps the session open, as the spec allows a retry.
    pub(crate) fn finish(
        &mut self,
        repository: &str,
        id: &str,
        digest: &Digest,
        tail: &[u8],
    ) -> Result<(), StoreError> {
        let upload = self.upload(repository, id)?;
        upload.data.extend_from_slice(tail);
        let actual = Digest::of(&upload.data);
        if &actual != digest {
            return Err(StoreError::DigestInvalid {
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        let data = std::mem::take(&mut upload.data);
        self.uploads.remove(id);
        self.put_blob(repository, Bytes::from(data));
        Ok(())
    }

    /// Drops an upload session.
    pub(crate) fn cancel(&mut self, repository: &str, id: &str) -> Result<(), StoreError> {
        self.upload(repository, id)?;
        self.uploads.remove(id);
        Ok(())
    }

    /// Stores a manifest under its digest (and `reference` when a tag),
    /// once everything it refers to is in the repository.
    pub(crate) fn put_manifest(
        &mut self,
        repository: &str,
        reference: &ManifestRef,
        content_type: Option<&str>,
        bytes: Bytes,
    ) -> Result<Digest, StoreError> {
        let digest = Digest::of(&bytes);
        if let ManifestRef::Digest(expected) = reference {
            if expected != &digest {
                return Err(StoreError::DigestInvalid {
                    expected: expected.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        let document: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| StoreError::ManifestInvalid(e.to_string()))?;
        let media_type = match (content_type, document["mediaType"].as_str()) {
            (Some(header), _) if !header.is_empty() => header.to_string(),
            (_, Some(declared)) => declared.to_string(),
            _ => return Err(StoreError::ManifestInvalid("no media type".into())),
        };
        let has = self.repositories.get(repository);
        for needed in referenced(&media_type, &document)? {
            let present = has.is_some_and(|repo| {
                repo.blobs.contains(&needed) || repo.manifests.contains_key(&needed)
            });
            if !present {
                return Err(StoreError::ManifestBlobUnknown(needed.to_string()));
            }
        }
        self.put_blob(repository, bytes);
        let repo = self.repositories.entry(repository.to_string()).or_default();
        repo.manifests.insert(digest.clone(), media_type);
        if let ManifestRef::Tag(tag) = reference {
            repo.tags.insert(tag.clone(), digest.clone());
        }
        Ok(digest)
    }
}

/// The digests a manifest refers to: an index's manifests, an image
/// manifest's config and layers.
fn referenced(media_type: &str, document: &serde_json::Value) -> Result<Vec<Digest>, StoreError> {
    let entries: Vec<&serde_json::Value> = if media::is_index(media_type) {
        list(&document["manifests"])
    } else {
        std::iter::once(&document["config"])
            .chain(list(&document["layers"]))
            .collect()
    };
    entries
        .into_iter()
        .map(|entry| {
            let text = entry["digest"]
                .as_str()
                .ok_or_else(|| StoreError::ManifestInvalid("a descriptor has no digest".into()))?;
            Digest::parse(text).map_err(|e| StoreError::ManifestInvalid(e.to_string()))
        })
        .collect()
}

/// The elements of a JSON array (none for anything else).
fn list(value: &serde_json::Value) -> Vec<&serde_json::Value> {
    value
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}
