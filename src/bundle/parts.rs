//! Splitting a bundle into parts for media with a file-size limit (FAT32's
//! 4 GiB, optical discs, data diodes), and joining them back, checked.
//!
//! `NAME` becomes `NAME.part-0001`, `NAME.part-0002`, ... and the signed part
//! index `NAME.parts` with `NAME.parts.minisig`. The index is in `sha256sum`
//! format, one line per part and a last one for the whole bundle, so by hand
//! `minisign -Vm NAME.parts -p KEY`, `sha256sum -c --ignore-missing NAME.parts`,
//! `cat NAME.part-* > NAME` and `sha256sum -c NAME.parts` reassemble it. The
//! signature's trusted comment carries the sizes (`ferry parts NAME: SIZE
//! bytes in parts of PART bytes`), so a part cut short is named as such.
//! Joining verifies the index's signature first, then every part as it is
//! copied; the output appears only when everything matched.

use super::atomic::{write_atomic, AtomicFile, Overwrite};
use super::hashing::Hashing;
use super::keyring::{Keyring, KeyringError};
use super::part_error::PartError;
pub use super::part_index::{part_name, Part, PartIndex};
use super::part_stream::PartStream;
use super::sign::{self, PublicKey, SecretKey, SignError};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The suffix of the part index next to the bundle.
pub const INDEX_SUFFIX: &str = ".parts";
/// The suffix of the index's signature.
pub const INDEX_SIGNATURE_SUFFIX: &str = ".parts.minisig";
/// More parts than this is a mistake (a part size in bytes, not GiB).
const MAX_PARTS: u64 = 9999;

/// Why a bundle could not be split or joined; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PartsError {
    /// A file could not be read or written.
    #[error("cannot access {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The part size is zero or gives more parts than ferry writes.
    #[error("a part size of {part_size} bytes would split {size} bytes into more than {MAX_PARTS} parts; give a size like 4G or 650M")]
    PartSize {
        /// The size asked for.
        part_size: u64,
        /// The bundle's size.
        size: u64,
    },
    /// The index's signature did not verify.
    #[error("the part index {index} is not signed by a trusted key; do not use these parts")]
    Signature {
        /// The index file.
        index: PathBuf,
        /// The cause.
        #[source]
        source: SignError,
    },
    /// The index is not what ferry writes.
    #[error("the part index {index} is malformed ({problem}); do not use these parts")]
    Malformed {
        /// The index file.
        index: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A part is missing, cut short or not the one listed.
    #[error(transparent)]
    Part(#[from] PartError),
    /// The output exists.
    #[error("{0} exists; remove it or choose another --output")]
    Exists(PathBuf),
    /// Signing the index failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// No trusted key is the one that signed the index.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

/// `NAME.parts`, the index file name of bundle `NAME`.
pub fn index_name(bundle: &str) -> String {
    format!("{bundle}{INDEX_SUFFIX}")
}

/// The signature file of the part index `index`.
pub fn signature_path(index: &Path) -> PathBuf {
    with_suffix(index, ".minisig")
}

/// The index file of `bundle`.
pub fn index_path(bundle: &Path) -> PathBuf {
    with_suffix(bundle, INDEX_SUFFIX)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Splits `bundle` into parts of `part_size` bytes next to it and writes
/// the index signed with `key`. Each file is written atomically; an
/// existing part or index is refused unless `replace`.
pub fn split(
    bundle: &Path,
    part_size: u64,
    key: &SecretKey,
    replace: bool,
) -> Result<PartIndex, PartsError> {
    let overwrite = if replace {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    let index = cut(bundle, part_size, |part_name, input| {
        let path = bundle.with_file_name(part_name);
        let mut out = AtomicFile::create(&path).map_err(io_err(&path))?;
        let mut hashed = Hashing::new(out.file());
        io::copy(input, &mut hashed).map_err(io_err(bundle))?;
        let (copied, sha256, _) = hashed.finish();
        out.commit(0o644, overwrite).map_err(refused_or(&path))?;
        Ok((copied, sha256))
    })?;
    if replace {
        remove_stale_parts(bundle, &index.bundle, index.parts.len() + 1)?;
    }
    let signature = sign_index(&index, key)?;
    let index_file = index_path(bundle);
    let signature_file = with_suffix(bundle, INDEX_SIGNATURE_SUFFIX);
    write_atomic(&index_file, index.to_text().as_bytes(), 0o644, overwrite)
        .map_err(refused_or(&index_file))?;
    write_atomic(&signature_file, signature.as_bytes(), 0o644, overwrite)
        .map_err(refused_or(&signature_file))?;
    Ok(index)
}

/// The index `bundle` would get if split into parts of `part_size` bytes,
/// without writing any (for `ferry publish`, which sends the parts as
/// ranges of the one file).
pub fn index_of(bundle: &Path, part_size: u64) -> Result<PartIndex, PartsError> {
    cut(bundle, part_size, |_, input| {
        let mut hashed = Hashing::new(io::sink());
        io::copy(input, &mut hashed).map_err(io_err(bundle))?;
        let (size, sha256, _) = hashed.finish();
        Ok((size, sha256))
    })
}

/// The minisign signature of `index`'s text with its trusted comment.
pub fn sign_index(index: &PartIndex, key: &SecretKey) -> Result<String, PartsError> {
    Ok(sign::sign(
        key,
        index.to_text().as_bytes(),
        &index.trusted_comment(),
    )?)
}

/// Reads `bundle` once, handing each part's bytes to `take` (which returns
/// their size and SHA-256), and hashing the whole on the way.
fn cut(
    bundle: &Path,
    part_size: u64,
    mut take: impl FnMut(&str, &mut dyn Read) -> Result<(u64, String), PartsError>,
) -> Result<PartIndex, PartsError> {
    let size = std::fs::metadata(bundle).map_err(io_err(bundle))?.len();
    if part_size == 0 || size.div_ceil(part_size) > MAX_PARTS {
        return Err(PartsError::PartSize { part_size, size });
    }
    let name = file_name(bundle);
    let mut input = Hashing::new(File::open(bundle).map_err(io_err(bundle))?);
    let mut parts = Vec::new();
    for number in 1..=size.div_ceil(part_size).max(1) as usize {
        let part_name = part_name(&name, number);
        let (size, sha256) = take(&part_name, &mut (&mut input).take(part_size))?;
        parts.push(Part {
            name: part_name,
            size,
            sha256,
        });
    }
    let (_, sha256, _) = input.finish();
    Ok(PartIndex {
        bundle: name,
        size,
        sha256,
        part_size,
        parts,
    })
}

/// Removes the parts numbered `first` and up that an earlier, longer split
/// left, so `cat NAME.part-*` never picks up a part of another bundle.
fn remove_stale_parts(bundle: &Path, name: &str, first: usize) -> Result<(), PartsError> {
    for number in first.. {
        let path = bundle.with_file_name(part_name(name, number));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(io_err(&path)(err)),
        }
    }
    Ok(())
}

/// Reads the index at `index`, picks the key of `keyring` its signature
/// names and verifies the signature with it; returns the index and that key.
pub fn read_index(index: &Path, keyring: &Keyring) -> Result<(PartIndex, PublicKey), PartsError> {
    let (text, signature) = read_index_files(index)?;
    let key = keyring.signer_of_file(index, &signature)?;
    let info = sign::verify(&key, text.as_bytes(), &signature).map_err(|source| {
        PartsError::Signature {
            index: index.to_path_buf(),
            source,
        }
    })?;
    if !sign::is_canonical(&signature, &info.trusted_comment) {
        return Err(PartsError::Malformed {
            index: index.to_path_buf(),
            problem: "its signature's unsigned lines are not the ones ferry writes".into(),
        });
    }
    Ok((parse_index(&text, &info.trusted_comment, index)?, key))
}

/// Reads the index at `index` without checking its signature (for
/// `ferry inspect` with no trusted key, which says it did not check).
pub fn read_index_unchecked(index: &Path) -> Result<PartIndex, PartsError> {
    let (text, signature) = read_index_files(index)?;
    let info = sign::describe_signature(&signature).map_err(|source| PartsError::Signature {
        index: index.to_path_buf(),
        source,
    })?;
    parse_index(&text, &info.trusted_comment, index)
}

/// The index `text` with its signed `comment`, or why it is not ferry's.
fn parse_index(text: &str, comment: &str, index: &Path) -> Result<PartIndex, PartsError> {
    PartIndex::parse(text, comment).map_err(|problem| PartsError::Malformed {
        index: index.to_path_buf(),
        problem,
    })
}

/// The index's text and its signature's.
fn read_index_files(index: &Path) -> Result<(String, String), PartsError> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(io_err(path));
    Ok((read(index)?, read(&signature_path(index))?))
}

/// Joins the parts listed by the verified `parts` (found next to `index`)
/// into `output`, checking each part's size and digest as it is copied and
/// the whole at the end; `output` appears only when all matched.
pub fn join(index: &Path, parts: &PartIndex, output: &Path) -> Result<(), PartsError> {
    if output.exists() {
        return Err(PartsError::Exists(output.to_path_buf()));
    }
    let mut stream = PartStream::open(index, parts)?;
    let mut out = AtomicFile::create(output).map_err(io_err(output))?;
    let mut whole = Hashing::new(out.file());
    if let Err(err) = io::copy(&mut stream, &mut whole) {
        return Err(match stream.blame() {
            Some(problem) => problem.into(),
            None => io_err(output)(err),
        });
    }
    let (_, sha256, _) = whole.finish();
    stream.check_whole(&sha256)?;
    out.commit(0o644, Overwrite::Refuse)
        .map_err(refused_or(output))
}

fn refused_or(path: &Path) -> impl Fn(io::Error) -> PartsError + '_ {
    move |source| match source.kind() {
        io::ErrorKind::AlreadyExists => PartsError::Exists(path.to_path_buf()),
        _ => PartsError::Io {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Turns an I/O error on `path` into a [`PartsError`].
fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PartsError {
    let path = path.to_path_buf();
    move |source| PartsError::Io { path, source }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
