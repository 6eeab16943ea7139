//! The one-pass, distrustful bundle verifier and extractor.
//!
//! Nothing in the archive is trusted until the manifest's signature verifies
//! with the trusted key; then `SHA256SUMS` must be exactly what the manifest
//! implies and its own signature (`SHA256SUMS.minisig`, which the by-hand
//! procedure relies on) must verify too; after that every entry must be a
//! regular file with
//! a safe path that the manifest lists, once, with the listed size and
//! SHA-256, hashed while it streams by. Decompressed bytes are metered
//! against what the manifest declares, so a bomb is stopped early. Applying
//! a verified bundle is the upgrade runner's business.

use super::atomic::parent_dir;
use super::input::BundleRef;
use super::keyring::{Keyring, KeyringError};
use super::manifest::{
    FileEntry, Manifest, MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME,
};
use super::paths::{check_manifest_paths, is_reserved, PathProblem};
use super::scan::{self, Item, Kind, Meter, Stream, ENTRY_OVERHEAD, SLACK};
use super::sign::{self, PublicKey, SignError, SignatureInfo};
use super::verify_error::VerifyError;
use super::writer::{sums_trusted_comment, trusted_comment};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

/// Largest `manifest.json` ferry reads.
pub const MANIFEST_CAP: u64 = 16 * 1024 * 1024;
/// Largest `manifest.json.minisig` ferry reads.
pub const SIGNATURE_CAP: u64 = 16 * 1024;
/// Largest payload file [`read_payload_file`] returns.
pub const PAYLOAD_READ_CAP: u64 = 64 * 1024 * 1024;

/// Decompressed bytes allowed before the manifest is known.
const HEAD_LIMIT: u64 = MANIFEST_CAP + SIGNATURE_CAP + 2 * ENTRY_OVERHEAD + SLACK;

/// A bundle whose every byte checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    /// The signed manifest.
    pub manifest: Manifest,
    /// Who signed it, and the signed comment.
    pub signer: SignatureInfo,
    /// Total payload bytes read and verified.
    pub payload_bytes: u64,
    /// Lower-case hex SHA-256 of the bundle file (what `sha256sum` prints),
    /// hashed during the one pass.
    pub sha256: String,
}

/// A bundle's manifest and signature as `ferry inspect` shows them, read
/// with the rest of the file (gzip checked, payload not hashed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InspectedBundle {
    /// The manifest (signed by the trusted key when one was given).
    pub manifest: Manifest,
    /// The signer, when the bundle carries a readable signature.
    pub signer: Option<SignatureInfo>,
    /// True when the signature was checked against a trusted key.
    pub verified: bool,
    /// Lower-case hex SHA-256 of the bundle file.
    pub sha256: String,
}

/// Verifies the bundle at `path` against the trusted `key`, reading it once.
pub fn verify_bundle<'a>(
    bundle: impl Into<BundleRef<'a>>,
    key: &PublicKey,
) -> Result<VerifiedBundle, VerifyError> {
    verify_into(bundle.into(), key, None)
}

/// Verifies and, only if everything checks out, leaves the payload extracted under `dest`
/// (extract into a temp dir next to dest while hashing, rename at the end).
///
/// `dest` must not exist or be an empty directory. Besides the payload it
/// receives `manifest.json`, its signature and `SHA256SUMS`, so
/// `sha256sum -c SHA256SUMS` works there. It is a working copy (apply and
/// push extract into a temporary directory): the files are not fsynced.
pub fn verify_and_extract<'a>(
    bundle: impl Into<BundleRef<'a>>,
    key: &PublicKey,
    dest: &Path,
) -> Result<VerifiedBundle, VerifyError> {
    let dest_err = |source| VerifyError::Io {
        path: dest.to_path_buf(),
        source,
    };
    if dest.exists() {
        let empty_dir =
            dest.is_dir() && std::fs::read_dir(dest).map_err(dest_err)?.next().is_none();
        if !empty_dir {
            return Err(VerifyError::DestinationExists {
                path: dest.to_path_buf(),
            });
        }
    }
    let temp = tempfile::Builder::new()
        .prefix(".ferry-extract-")
        .tempdir_in(parent_dir(dest))
        .map_err(dest_err)?;
    let verified = verify_into(bundle.into(), key, Some(temp.path()))?;
    std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(dest_err)?;
    std::fs::rename(temp.path(), dest).map_err(dest_err)?;
    // The directory now lives at `dest`; nothing is left to clean up.
    let _ = temp.keep();
    Ok(verified)
}

/// Reads the manifest and checks its signature with the trusted `key`,
/// without reading the payload (for `ferry inspect` and `ferry guide`,
/// which then hash what they show against the manifest).
pub fn read_signed_manifest<'a>(
    bundle: impl Into<BundleRef<'a>>,
    key: &PublicKey,
) -> Result<(Manifest, SignatureInfo), VerifyError> {
    read_with(bundle.into(), |mut bundle| {
        let meter = &*bundle.meter;
        let mut entries = scan::entries(&mut bundle.archive, meter)?;
        let (json, _, signer) = read_signed_head(&mut entries, meter, key)?;
        let manifest = Manifest::from_json(&json)?;
        check_comment(&manifest, &signer)?;
        Ok((manifest, signer))
    })
}

/// The signature's trusted comment must be the one the manifest implies.
fn check_comment(manifest: &Manifest, signer: &SignatureInfo) -> Result<(), VerifyError> {
    let expected = trusted_comment(manifest);
    if signer.trusted_comment != expected {
        return Err(VerifyError::CommentMismatch {
            found: signer.trusted_comment.clone(),
            expected,
        });
    }
    Ok(())
}

/// Reads the manifest (its signature checked when `key` is given), then the
/// rest of the file to its end, so every gzip member and the end of the
/// archive are checked and the file's SHA-256 is known; payload files are
/// not hashed (that is `verify`'s work).
pub fn inspect_bundle<'a>(
    bundle: impl Into<BundleRef<'a>>,
    key: Option<&PublicKey>,
) -> Result<InspectedBundle, VerifyError> {
    read_with(bundle.into(), |mut bundle| {
        let meter = std::rc::Rc::clone(&bundle.meter);
        let (manifest, signer) = {
            let mut entries = scan::entries(&mut bundle.archive, &meter)?;
            let (json, signer) = match key {
                Some(key) => {
                    let (json, _, signer) = read_signed_head(&mut entries, &meter, key)?;
                    (json, Some(signer))
                }
                None => {
                    let json = read_manifest_entry(&mut entries, &meter)?;
                    let signer = read_signature_entry(&mut entries, &meter)?
                        .and_then(|bytes| String::from_utf8(bytes).ok())
                        .and_then(|text| sign::describe_signature(&text).ok());
                    (json, signer)
                }
            };
            let manifest = Manifest::from_json(&json)?;
            meter.set_limit(budget(&manifest, json.len() as u64 + SIGNATURE_CAP));
            scan::skip_rest(&mut entries, &meter)?;
            (manifest, signer)
        };
        let sha256 = scan::drain(bundle)?;
        Ok(InspectedBundle {
            manifest,
            signer,
            verified: key.is_some(),
            sha256,
        })
    })
}

/// The first two entries, manifest and signature, with the signature
/// checked against `key`: the manifest's bytes, the signature's, the signer.
fn read_signed_head(
    entries: &mut tar::Entries<'_, Stream>,
    meter: &Meter,
    key: &PublicKey,
) -> Result<(Vec<u8>, Vec<u8>, SignatureInfo), VerifyError> {
    let json = read_manifest_entry(entries, meter)?;
    let signature = read_signature_entry(entries, meter)?.ok_or(VerifyError::MissingSignature)?;
    let text = std::str::from_utf8(&signature).map_err(|_| VerifyError::BadSignature)?;
    let signer = sign::verify(key, &json, text).map_err(signature_error)?;
    if !sign::is_canonical(text, &signer.trusted_comment) {
        return Err(VerifyError::SignatureNotCanonical {
            name: SIGNATURE_NAME,
        });
    }
    Ok((json, signature, signer))
}

/// The key of `keyring` that `bundle`'s signature names (see
/// [`Keyring::pick`]); the bundle's head is read only when there is a choice.
pub fn signer<'a>(
    bundle: impl Into<BundleRef<'a>>,
    keyring: &Keyring,
) -> Result<PublicKey, KeyringError> {
    let bundle = bundle.into();
    let key_id = match keyring.ids().len() {
        0 | 1 => None,
        _ => read_unverified(bundle)?.1.map(|signature| signature.key_id),
    };
    keyring.pick(bundle.path(), key_id)
}

/// Reads manifest + signature description without verifying (for `ferry inspect`).
/// The signature is None when the bundle has none, or none that parses.
pub fn read_unverified<'a>(
    bundle: impl Into<BundleRef<'a>>,
) -> Result<(Manifest, Option<SignatureInfo>), VerifyError> {
    read_with(bundle.into(), |mut bundle| {
        let meter = &*bundle.meter;
        let mut entries = scan::entries(&mut bundle.archive, meter)?;
        let json = read_manifest_entry(&mut entries, meter)?;
        let signature = read_signature_entry(&mut entries, meter)?
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| sign::describe_signature(&text).ok());
        Ok((Manifest::from_json(&json)?, signature))
    })
}

/// Reads one payload file (capped size), checking its hash against the manifest.
///
/// The manifest is not signature-checked here: verify the bundle first.
pub fn read_payload_file<'a>(
    bundle: impl Into<BundleRef<'a>>,
    entry: &str,
) -> Result<Vec<u8>, VerifyError> {
    read_with(bundle.into(), |mut bundle| {
        let meter = &*bundle.meter;
        let mut entries = scan::entries(&mut bundle.archive, meter)?;
        let json = read_manifest_entry(&mut entries, meter)?;
        let manifest = Manifest::from_json(&json)?;
        let expected = manifest
            .files()
            .find(|file| file.path == entry)
            .ok_or_else(|| VerifyError::UnexpectedFile {
                path: entry.to_string(),
            })?;
        if expected.size > PAYLOAD_READ_CAP {
            return Err(VerifyError::TooLarge {
                limit: PAYLOAD_READ_CAP,
            });
        }
        meter.set_limit(budget(&manifest, json.len() as u64 + SIGNATURE_CAP));
        while let Some(mut found) = scan::next_entry(&mut entries, meter)? {
            if found.path != entry.as_bytes() {
                continue;
            }
            if let Kind::Other(kind) = scan::kind(&found) {
                return Err(VerifyError::NotRegularFile {
                    path: entry.to_string(),
                    kind: kind.to_string(),
                });
            }
            let mut data = Vec::new();
            scan::stream_checked(
                &mut found.entry,
                expected,
                Some(&mut data as &mut dyn std::io::Write),
                Path::new(entry),
                meter,
            )?;
            return Ok(data);
        }
        Err(VerifyError::MissingFiles {
            paths: vec![entry.to_string()],
        })
    })
}

/// Opens `input` and runs `read` over it; when `read` refuses the bundle
/// and it comes in parts, a part that is not the listed one is named instead.
fn read_with<T>(
    input: BundleRef<'_>,
    read: impl FnOnce(scan::Bundle) -> Result<T, VerifyError>,
) -> Result<T, VerifyError> {
    let bundle = scan::open(input, HEAD_LIMIT)?;
    let meter = std::rc::Rc::clone(&bundle.meter);
    read(bundle).map_err(|err| meter.blame(err))
}

/// The whole verification; extracts into `out_dir` when given.
fn verify_into(
    input: BundleRef<'_>,
    key: &PublicKey,
    out_dir: Option<&Path>,
) -> Result<VerifiedBundle, VerifyError> {
    read_with(input, |mut bundle| {
        let meter = std::rc::Rc::clone(&bundle.meter);
        let verified = {
            let mut entries = scan::entries(&mut bundle.archive, &meter)?;
            let (json, signature, signer) = read_signed_head(&mut entries, &meter, key)?;
            let manifest = Manifest::from_json(&json)?;
            check_comment(&manifest, &signer)?;
            check_manifest_paths(&manifest).map_err(|problem| match problem {
                PathProblem::Unsafe(path) => VerifyError::UnsafePath { path },
                PathProblem::Duplicate(path) => VerifyError::DuplicateEntry { path },
                PathProblem::Collision(first, second) => {
                    VerifyError::PathCollision { first, second }
                }
            })?;
            meter.set_limit(budget(
                &manifest,
                (json.len() + signature.len()) as u64 + SIGNATURE_CAP,
            ));
            let (sums, sums_signature) = read_sums(&mut entries, &manifest, &json, key, &meter)?;
            if let Some(dir) = out_dir {
                write_new(dir, MANIFEST_NAME, &json)?;
                write_new(dir, SIGNATURE_NAME, &signature)?;
                write_new(dir, SUMS_NAME, &sums)?;
                write_new(dir, SUMS_SIGNATURE_NAME, &sums_signature)?;
            }
            let payload_bytes = check_payload(&mut entries, &manifest, &meter, out_dir)?;
            (manifest, signer, payload_bytes)
        };
        let (manifest, signer, payload_bytes) = verified;
        let sha256 = scan::drain(bundle)?;
        Ok(VerifiedBundle {
            manifest,
            signer,
            payload_bytes,
            sha256,
        })
    })
}

/// Checks every entry after the signature, then that none is missing.
/// Returns the payload bytes verified.
fn check_payload(
    entries: &mut tar::Entries<'_, Stream>,
    manifest: &Manifest,
    meter: &Meter,
    out_dir: Option<&Path>,
) -> Result<u64, VerifyError> {
    let expected: HashMap<&str, &FileEntry> =
        manifest.files().map(|f| (f.path.as_str(), f)).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut payload_bytes = 0u64;
    while let Some(mut entry) = scan::next_entry(entries, meter)? {
        let path = match scan::kind(&entry) {
            Kind::Dir => {
                scan::safe_path(&entry, true)?;
                continue;
            }
            Kind::Other(kind) => {
                return Err(VerifyError::NotRegularFile {
                    path: String::from_utf8_lossy(&entry.path).into_owned(),
                    kind: kind.to_string(),
                })
            }
            Kind::File => scan::safe_path(&entry, false)?,
        };
        if is_reserved(&path) || !seen.insert(path.clone()) {
            return Err(VerifyError::DuplicateEntry { path });
        }
        let file = expected
            .get(path.as_str())
            .ok_or_else(|| VerifyError::UnexpectedFile { path: path.clone() })?;
        match out_dir {
            Some(dir) => extract(&mut entry, file, dir, meter)?,
            None => scan::stream_checked(&mut entry.entry, file, None, Path::new(&path), meter)?,
        }
        payload_bytes += file.size;
    }
    let mut missing: Vec<String> = manifest
        .files()
        .map(|f| f.path.clone())
        .filter(|path| !seen.contains(path))
        .collect();
    missing.sort();
    if !missing.is_empty() {
        return Err(VerifyError::MissingFiles { paths: missing });
    }
    Ok(payload_bytes)
}

/// The third and fourth entries: `SHA256SUMS`, exactly what the manifest
/// implies, and its signature by the trusted key with the trusted comment
/// that ties it to this manifest. Returns both as read.
fn read_sums(
    entries: &mut tar::Entries<'_, Stream>,
    manifest: &Manifest,
    json: &[u8],
    key: &PublicKey,
    meter: &Meter,
) -> Result<(Vec<u8>, Vec<u8>), VerifyError> {
    let expected = manifest.sha256sums();
    let sums = match scan::next_entry(entries, meter)? {
        Some(mut entry) if is_file_named(&entry, SUMS_NAME) => {
            if entry.entry.size() != expected.len() as u64 {
                return Err(VerifyError::SumsMismatch);
            }
            scan::read_small(&mut entry.entry, expected.len() as u64, meter)?
        }
        _ => {
            return Err(VerifyError::MissingFiles {
                paths: vec![SUMS_NAME.to_string()],
            })
        }
    };
    if sums != expected.as_bytes() {
        return Err(VerifyError::SumsMismatch);
    }
    let signature = match scan::next_entry(entries, meter)? {
        Some(mut entry) if is_file_named(&entry, SUMS_SIGNATURE_NAME) => {
            scan::read_small(&mut entry.entry, SIGNATURE_CAP, meter)?
        }
        _ => return Err(VerifyError::MissingSumsSignature),
    };
    let text = std::str::from_utf8(&signature).map_err(|_| VerifyError::BadSumsSignature)?;
    let signer = sign::verify(key, &sums, text).map_err(|err| match signature_error(err) {
        VerifyError::BadSignature => VerifyError::BadSumsSignature,
        other => other,
    })?;
    if signer.trusted_comment != sums_trusted_comment(manifest, json) {
        return Err(VerifyError::BadSumsSignature);
    }
    if !sign::is_canonical(text, &signer.trusted_comment) {
        return Err(VerifyError::SignatureNotCanonical {
            name: SUMS_SIGNATURE_NAME,
        });
    }
    Ok((sums, signature))
}

/// Streams one verified entry into a new file under `dir`.
fn extract(
    item: &mut Item<'_>,
    file: &FileEntry,
    dir: &Path,
    meter: &Meter,
) -> Result<(), VerifyError> {
    let target = dir.join(&file.path);
    let mut out = create_new(&target)?;
    scan::stream_checked(
        &mut item.entry,
        file,
        Some(&mut out as &mut dyn std::io::Write),
        &target,
        meter,
    )
}

/// Creates a new file (and its parent directories) under the extraction directory.
fn create_new(target: &Path) -> Result<File, VerifyError> {
    let io_err = |source| VerifyError::Io {
        path: target.to_path_buf(),
        source,
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io_err)?;
    }
    File::create_new(target).map_err(io_err)
}

fn write_new(dir: &Path, name: &str, data: &[u8]) -> Result<(), VerifyError> {
    let target = dir.join(name);
    let mut file = create_new(&target)?;
    file.write_all(data).map_err(|source| VerifyError::Io {
        path: target,
        source,
    })
}

/// The first entry, which must be a regular `manifest.json` within its cap.
fn read_manifest_entry(
    entries: &mut tar::Entries<'_, Stream>,
    meter: &Meter,
) -> Result<Vec<u8>, VerifyError> {
    let mut entry = match scan::next_entry(entries, meter) {
        // Not even one readable tar header in a gzip stream, or no gzip at all.
        Err(VerifyError::Corrupt(_))
        | Err(VerifyError::NotAGzipMember { offset: 0 })
        | Ok(None) => return Err(VerifyError::NotABundle),
        other => other?.ok_or(VerifyError::NotABundle)?,
    };
    if !is_file_named(&entry, MANIFEST_NAME) {
        return Err(VerifyError::NotABundle);
    }
    scan::read_small(&mut entry.entry, MANIFEST_CAP, meter)
}

/// The second entry when it is the signature; None otherwise.
fn read_signature_entry(
    entries: &mut tar::Entries<'_, Stream>,
    meter: &Meter,
) -> Result<Option<Vec<u8>>, VerifyError> {
    match scan::next_entry(entries, meter)? {
        Some(mut entry) if is_file_named(&entry, SIGNATURE_NAME) => {
            scan::read_small(&mut entry.entry, SIGNATURE_CAP, meter).map(Some)
        }
        _ => Ok(None),
    }
}

fn is_file_named(item: &Item<'_>, name: &str) -> bool {
    matches!(scan::kind(item), Kind::File) && item.path == name.as_bytes()
}

/// Decompressed bytes a bundle with this manifest may hold: the metadata
/// entries, the payload, per-entry overhead and some slack.
fn budget(manifest: &Manifest, head_bytes: u64) -> u64 {
    let files = manifest.files().count() as u64;
    manifest
        .files()
        .fold(head_bytes, |total, f| total.saturating_add(f.size))
        .saturating_add(manifest.sha256sums().len() as u64)
        .saturating_add(files.saturating_add(4).saturating_mul(ENTRY_OVERHEAD))
        .saturating_add(SLACK)
}

fn signature_error(err: SignError) -> VerifyError {
    match err {
        SignError::UntrustedKey { expected, found } => {
            VerifyError::UntrustedKey { expected, found }
        }
        _ => VerifyError::BadSignature,
    }
}
