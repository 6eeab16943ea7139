//! The deterministic, atomic bundle writer: packs the signed manifest, the
//! checksum list and every payload file into one gzip'd tar.
//!
//! Entries come in a fixed order (`manifest.json`, its signature,
//! `SHA256SUMS`, its signature, then the payload sorted by path) with fixed
//! metadata, so the
//! same inputs give the same bytes. The tar bytes come from `tar_layout`;
//! `packer` compresses them as multi-member gzip on every core, hashing each
//! payload file on the way in against the manifest. Building the manifest
//! and fetching the files are the caller's job; reading bundles is `reader`'s.

use super::atomic::{parent_dir, sweep_stale, AtomicFile, Overwrite};
use super::manifest::{
    FileEntry, Manifest, MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME,
};
use super::members::MemberStore;
use super::packer::Packer;
use super::paths::{check_manifest_paths, PathProblem};
use super::sign::{sign, SecretKey, SignError};
use super::tar_layout::TarLayout;
pub use super::write_error::BundleError;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

/// One payload file to pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadFile {
    /// Bundle path, as in the manifest.
    pub path: String,
    /// Where the content is on disk.
    pub source: PathBuf,
}

/// What [`write_bundle`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Size of the bundle file.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the bundle file.
    pub sha256: String,
    /// Number of payload files packed.
    pub files: usize,
    /// How many of them were copied compressed from the member store.
    pub reused: usize,
}

/// The signed trusted comment of a bundle: one line naming product,
/// versions, variant and creation time. The reader requires exactly this
/// comment, so what `minisign -V` shows is bound to the manifest.
pub fn trusted_comment(manifest: &Manifest) -> String {
    let created = manifest
        .created
        .as_deref()
        .map(|created| format!(" created {created}"))
        .unwrap_or_default();
    format!(
        "ferry bundle {} {} -> {} ({}){created}",
        manifest.product, manifest.from, manifest.to, manifest.variant
    )
    .chars()
    .map(|c| if c.is_control() { ' ' } else { c })
    .collect()
}

/// The signed trusted comment of `SHA256SUMS.minisig`: the bundle's comment,
/// the file it signs and the SHA-256 of the `manifest_json` it belongs to, so
/// a checksum list cannot be paired with another bundle's manifest.
pub fn sums_trusted_comment(manifest: &Manifest, manifest_json: &[u8]) -> String {
    format!(
        "{}: SHA256SUMS of manifest.json sha256 {}",
        trusted_comment(manifest),
        hex::encode(Sha256::digest(manifest_json))
    )
}

/// The four metadata entries a bundle starts with, in archive order:
/// `manifest.json`, its signature, `SHA256SUMS` and its signature. Both
/// signatures are deterministic, so the same manifest and key give the same
/// bytes.
pub fn signed_head(
    manifest: &Manifest,
    key: &SecretKey,
) -> Result<[(&'static str, Vec<u8>); 4], SignError> {
    let json = manifest.to_json();
    let signature = sign(key, &json, &trusted_comment(manifest))?;
    let sums = manifest.sha256sums();
    let sums_signature = sign(key, sums.as_bytes(), &sums_trusted_comment(manifest, &json))?;
    Ok([
        (MANIFEST_NAME, json),
        (SIGNATURE_NAME, signature.into_bytes()),
        (SUMS_NAME, sums.into_bytes()),
        (SUMS_SIGNATURE_NAME, sums_signature.into_bytes()),
    ])
}

/// Optional help for [`write_bundle`].
#[derive(Clone, Copy, Default)]
pub struct WriteOptions<'a> {
    /// Where compressed payload is kept and reused by later bundles that
    /// carry the same files.
    pub store: Option<&'a dyn MemberStore>,
    /// Told `(done, total)` payload bytes as packing goes on.
    pub progress: Option<&'a dyn Fn(u64, u64)>,
    /// Replace an existing output file; by default one is refused.
    pub replace: bool,
}

/// Writes the bundle for `manifest` to `output`, atomically, signing the
/// manifest with `key`.
pub fn write_bundle(
    manifest: &Manifest,
    payload: &[PayloadFile],
    key: &SecretKey,
    output: &Path,
    options: WriteOptions<'_>,
) -> Result<WriteSummary, BundleError> {
    let files = match_payload(manifest, payload)?;
    let head = signed_head(manifest, key)?;
    let out_err = |source| BundleError::Io {
        path: output.to_path_buf(),
        source,
    };
    for stale in sweep_stale(parent_dir(output)) {
        tracing::info!("removed {}, left by an interrupted ferry", stale.display());
    }
    let mut out = AtomicFile::create(output).map_err(out_err)?;
    let mtime = u64::try_from(manifest.source_date_epoch).unwrap_or(0);
    let mut tar = TarLayout::new(mtime);
    let mut packer = Packer::start(
        BufWriter::new(out.file()),
        output,
        options.store,
        options.progress,
    )?;
    packer.expect(files.values().map(|(entry, _)| entry.size).sum());
    for (name, data) in &head {
        tar.entry(name, data).map_err(out_err)?;
    }
    for (path, (entry, source)) in &files {
        tar.header(path, entry.size).map_err(out_err)?;
        packer.tar_bytes(tar.take())?;
        packer.payload(path, entry, source)?;
    }
    tar.end().map_err(out_err)?;
    packer.tar_bytes(tar.take())?;
    let (bytes, sha256, reused) = packer.finish()?;
    let overwrite = if options.replace {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    out.commit(0o644, overwrite)
        .map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => BundleError::OutputExists {
                path: output.to_path_buf(),
            },
            _ => out_err(source),
        })?;
    Ok(WriteSummary {
        bytes,
        sha256,
        files: files.len(),
        reused,
    })
}

type Matched<'a> = BTreeMap<&'a str, (&'a FileEntry, &'a Path)>;

/// Pairs every manifest file with its source, sorted by bundle path.
fn match_payload<'a>(
    manifest: &'a Manifest,
    payload: &'a [PayloadFile],
) -> Result<Matched<'a>, BundleError> {
    check_manifest_paths(manifest).map_err(|problem| match problem {
        PathProblem::Unsafe(path) => BundleError::UnsafePath { path },
        PathProblem::Duplicate(path) => BundleError::DuplicatePath { path },
        PathProblem::Collision(first, second) => BundleError::PathCollision { first, second },
    })?;
    let entries: BTreeMap<&str, &FileEntry> =
        manifest.files().map(|f| (f.path.as_str(), f)).collect();
    let mut matched = BTreeMap::new();
    for file in payload {
        let entry = entries
            .get(file.path.as_str())
            .ok_or_else(|| BundleError::UnknownPayload {
                path: file.path.clone(),
            })?;
        if matched
            .insert(file.path.as_str(), (*entry, file.source.as_path()))
            .is_some()
        {
            return Err(BundleError::DuplicatePath {
                path: file.path.clone(),
            });
        }
    }
    let missing: Vec<String> = entries
        .keys()
        .filter(|path| !matched.contains_key(*path))
        .map(|path| path.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(BundleError::MissingPayload { paths: missing });
    }
    Ok(matched)
}
