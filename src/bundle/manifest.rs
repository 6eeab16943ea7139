//! The bundle manifest: what a bundle holds, hop by hop, with every file's
//! size, SHA-256 and source. Signing `manifest.json` signs the whole bundle.
//!
//! This module owns the types and their canonical JSON form; writing and
//! reading the tar archive live in `writer` and `reader`.

use crate::recipe::{ClusterSpec, Step, Variant};
use crate::version::Version;
use serde::{Deserialize, Serialize};

/// The manifest schema this ferry writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// Name of the manifest entry inside a bundle.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Name of the manifest's minisign signature entry.
pub const SIGNATURE_NAME: &str = "manifest.json.minisig";
/// Name of the `sha256sum -c` checksum list entry.
pub const SUMS_NAME: &str = "SHA256SUMS";
/// Name of the checksum list's minisign signature entry.
pub const SUMS_SIGNATURE_NAME: &str = "SHA256SUMS.minisig";

/// The whole bundle description, serialized as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest schema version ([`SCHEMA_VERSION`]).
    pub schema: u32,
    /// Product name from the profile (`kyma`).
    pub product: String,
    /// Source repository, `owner/name`.
    pub repo: String,
    /// The version the cluster starts from.
    pub from: Version,
    /// The version the last hop lands on.
    pub to: Version,
    /// Which variants' assets the bundle carries.
    pub variant: Variant,
    /// Timestamp every archive entry carries (seconds since the epoch).
    pub source_date_epoch: i64,
    /// When the bundle was made (RFC 3339, UTC): the build's clock, or
    /// `SOURCE_DATE_EPOCH`. Absent only in bundles of ferry before 0.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// After this (RFC 3339, UTC) the air-gapped side refuses the bundle
    /// unless told otherwise (`--allow-expired`): a freeze defence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// How the air-gapped side reads the version and watches the installer.
    pub cluster: ClusterSpec,
    /// The starting release's files: the base for three-way override merges.
    pub base: BaseRelease,
    /// The hops, in the order they must be applied.
    pub hops: Vec<Hop>,
    /// The container images the hops need, as one OCI image layout (absent
    /// in a bundle built without images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<ImageLayout>,
}

/// The bundle's OCI image layout under `images/`: every image of every hop,
/// each blob stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageLayout {
    /// The images, sorted by reference.
    pub images: Vec<BundledImage>,
    /// The layout's files: `images/oci-layout`, `images/index.json` and
    /// every blob (`images/blobs/sha256/<hex>`).
    pub files: Vec<FileEntry>,
}

/// One image in the layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundledImage {
    /// The reference the manifests (and the layout's `index.json`) name it by.
    pub reference: String,
    /// The digest its tag resolved to when the bundle was made.
    pub digest: crate::oci::Digest,
    /// Manifest or index media type.
    pub media_type: String,
    /// Bytes of all its blobs (manifests included), counted once each.
    pub size: u64,
    /// Its platforms (`linux/amd64`), for a multi-platform image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// An image a hop needs, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HopImage {
    /// The reference (an entry of [`ImageLayout::images`]).
    pub reference: String,
    /// Where it was found (a manifest's workload, a file in another image, the profile).
    pub reasons: Vec<String>,
    /// Left out of the bundle on purpose (`--skip-image`): the site must
    /// provide it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

/// The release the cluster runs before the first hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseRelease {
    /// Its version.
    pub version: Version,
    /// Its git tag.
    pub tag: String,
    /// Its files (assets only).
    pub files: Vec<FileEntry>,
}

/// One upgrade hop: the release it lands on and everything needed to get there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hop {
    /// The version this hop lands on.
    pub version: Version,
    /// The version this hop starts from.
    pub previous: Version,
    /// The release's git tag.
    pub tag: String,
    /// The commit the tag points at, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// When the release was published (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// True when the release is a pre-release pinned by the profile.
    pub prerelease: bool,
    /// Why the profile pinned this release, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_reason: Option<String>,
    /// Names of the migration guides to follow before this hop.
    pub guides: Vec<String>,
    /// The ordered recipe.
    pub steps: Vec<Step>,
    /// Every file of this hop.
    pub files: Vec<FileEntry>,
    /// The images this hop needs (in the bundle's image layout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<HopImage>,
}

/// What a bundled file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A release asset.
    Asset,
    /// A migration guide.
    Guide,
    /// The release notes.
    Notes,
    /// A file from the repository at the release tag.
    RepoFile,
    /// A file of the OCI image layout (a blob, `index.json`, `oci-layout`).
    Image,
}

/// One payload file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path inside the bundle (`hops/1.2.2/assets/kyma-installer-cluster.yaml`).
    pub path: String,
    /// What the file is.
    pub kind: FileKind,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Where it came from (a stable URL, never a short-lived storage link).
    pub source: String,
}

impl Manifest {
    /// Every payload file, base first, then hop by hop, then the image
    /// layout, in manifest order.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.base
            .files
            .iter()
            .chain(self.hops.iter().flat_map(|hop| hop.files.iter()))
            .chain(self.images.iter().flat_map(|layout| layout.files.iter()))
    }

    /// Total payload size in bytes.
    pub fn payload_size(&self) -> u64 {
        self.files().map(|f| f.size).sum()
    }

    /// Canonical JSON bytes (pretty, trailing newline): what gets signed.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Parses manifest JSON, rejecting unknown schema versions.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
        if manifest.schema != SCHEMA_VERSION {
            return Err(ManifestError::Schema(manifest.schema));
        }
        Ok(manifest)
    }

    /// The `SHA256SUMS` text for the payload, in `sha256sum -c` format, sorted by path.
    pub fn sha256sums(&self) -> String {
        let mut files: Vec<&FileEntry> = self.files().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect()
    }

    /// The hop whose version matches `selector`: an exact version (`1.2.2`) or a minor (`1.2`).
    pub fn find_hop(&self, selector: &str) -> Option<&Hop> {
        if let Ok(version) = selector.parse::<Version>() {
            return self.hops.iter().find(|hop| hop.version == version);
        }
        let minor = crate::version::Minor::parse(selector)?;
        self.hops
            .iter()
            .find(|hop| hop.version.minor_key() == minor)
    }
}

/// A manifest that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not valid manifest JSON.
    #[error("manifest.json is not a valid ferry manifest")]
    Parse(#[source] serde_json::Error),
    /// Written by an incompatible ferry.
    #[error("manifest schema {0} is not supported (this ferry reads schema {SCHEMA_VERSION}); use a matching ferry release")]
    Schema(u32),
}
