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

/// One part of a split bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its file name, next to the index.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
}

/// What the signed part index says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartIndex {
    /// The bundle's file name.
    pub bundle: String,
    /// The bundle's size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the whole bundle.
    pub sha256: String,
    /// The size of every part but the last.
    pub part_size: u64,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

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
    /// A part the index lists is not there.
    #[error("part {number} of {count} ({path}) is missing: copy it next to the index")]
    Missing {
        /// 1-based part number.
        number: usize,
        /// How many parts there are.
        count: usize,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A part has the wrong size: cut short, or another bundle's.
    #[error("part {number} of {count} ({path}) is {found} bytes where the index says {expected}: it was cut short or belongs to another bundle; copy it again")]
    PartCutShort {
        /// 1-based part number.
        number: usize,
        /// How many parts there are.
        count: usize,
        /// The part file.
        path: PathBuf,
        /// Its size per the index.
        expected: u64,
        /// Its size on disk.
        found: u64,
    },
    /// A part has the wrong content: damaged, reordered or another bundle's.
    #[error("part {number} of {count} ({path}) has sha256 {found} where the index says {expected}: it is damaged, out of order or from another bundle; copy it again")]
    PartDigest {
        /// 1-based part number.
        number: usize,
        /// How many parts there are.
        count: usize,
        /// The part file.
        path: PathBuf,
        /// Its digest per the index.
        expected: String,
        /// Its digest on disk.
        found: String,
    },
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

impl PartIndex {
    /// The index text: `sha256sum` lines for every part, then the bundle.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for part in &self.parts {
            text.push_str(&format!("{}  {}\n", part.sha256, part.name));
        }
        text.push_str(&format!("{}  {}\n", self.sha256, self.bundle));
        text
    }

    /// The trusted comment that binds the sizes to the index.
    pub fn trusted_comment(&self) -> String {
        format!(
            "ferry parts {}: {} bytes in parts of {} bytes",
            self.bundle, self.size, self.part_size
        )
    }

    /// Parses the index `text` with its signed `comment`, checking that
    /// they describe the same parts.
    fn parse(text: &str, comment: &str, index: &Path) -> Result<PartIndex, PartsError> {
        let malformed = |problem: String| PartsError::Malformed {
            index: index.to_path_buf(),
            problem,
        };
        let mut lines: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            let (sha256, name) = line
                .split_once("  ")
                .filter(|(sha, name)| is_sha256(sha) && is_plain_name(name))
                .ok_or_else(|| malformed(format!("line {:?}", line)))?;
            lines.push((sha256.to_string(), name.to_string()));
        }
        let (sha256, bundle) = lines
            .pop()
            .ok_or_else(|| malformed("no lines".to_string()))?;
        let (size, part_size) = parse_comment(comment, &bundle)
            .ok_or_else(|| malformed(format!("trusted comment {comment:?}")))?;
        let count = size.div_ceil(part_size).max(1);
        if lines.len() as u64 != count {
            return Err(malformed(format!(
                "{} part lines for {count} parts",
                lines.len()
            )));
        }
        let parts = lines
            .into_iter()
            .enumerate()
            .map(|(i, (sha256, name))| {
                let expected = part_name(&bundle, i + 1);
                let size = if (i as u64) + 1 < count {
                    part_size
                } else {
                    size - part_size * (count - 1)
                };
                (name == expected)
                    .then_some(Part { name, size, sha256 })
                    .ok_or_else(|| malformed(format!("part {} is not named {expected}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PartIndex {
            bundle,
            size,
            sha256,
            part_size,
            parts,
        })
    }
}

/// `NAME.part-0001` for part 1 of `NAME`.
pub fn part_name(bundle: &str, number: usize) -> String {
    format!("{bundle}.part-{number:04}")
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
    let size = std::fs::metadata(bundle).map_err(io_err(bundle))?.len();
    if part_size == 0 || size.div_ceil(part_size) > MAX_PARTS {
        return Err(PartsError::PartSize { part_size, size });
    }
    let name = file_name(bundle);
    let overwrite = if replace {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    // The whole bundle's digest is taken as the parts are copied.
    let mut input = Hashing::new(File::open(bundle).map_err(io_err(bundle))?);
    let mut parts = Vec::new();
    let count = size.div_ceil(part_size).max(1);
    for number in 1..=count as usize {
        let part_name = part_name(&name, number);
        let path = bundle.with_file_name(&part_name);
        let mut out = AtomicFile::create(&path).map_err(io_err(&path))?;
        let mut hashed = Hashing::new(out.file());
        let copied =
            io::copy(&mut (&mut input).take(part_size), &mut hashed).map_err(io_err(bundle))?;
        let (_, sha256, _) = hashed.finish();
        out.commit(0o644, overwrite).map_err(refused_or(&path))?;
        parts.push(Part {
            name: part_name,
            size: copied,
            sha256,
        });
    }
    let (_, sha256, _) = input.finish();
    let index = PartIndex {
        bundle: name,
        size,
        sha256,
        part_size,
        parts,
    };
    let text = index.to_text();
    let signature = sign::sign(key, text.as_bytes(), &index.trusted_comment())?;
    let index_file = index_path(bundle);
    let signature_file = with_suffix(bundle, INDEX_SIGNATURE_SUFFIX);
    write_atomic(&index_file, text.as_bytes(), 0o644, overwrite)
        .map_err(refused_or(&index_file))?;
    write_atomic(&signature_file, signature.as_bytes(), 0o644, overwrite)
        .map_err(refused_or(&signature_file))?;
    Ok(index)
}

/// Reads the index at `index`, picks the key of `keyring` its signature
/// names and verifies the signature with it; returns the index and that key.
pub fn read_index(index: &Path, keyring: &Keyring) -> Result<(PartIndex, PublicKey), PartsError> {
    let read = |path: &Path| std::fs::read_to_string(path).map_err(io_err(path));
    let text = read(index)?;
    let signature = read(&with_suffix(index, ".minisig"))?;
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
    Ok((PartIndex::parse(&text, &info.trusted_comment, index)?, key))
}

/// Joins the parts listed by the verified `parts` (found next to `index`)
/// into `output`, checking each part's size and digest as it is copied and
/// the whole at the end; `output` appears only when all matched.
pub fn join(index: &Path, parts: &PartIndex, output: &Path) -> Result<(), PartsError> {
    if output.exists() {
        return Err(PartsError::Exists(output.to_path_buf()));
    }
    let mut out = AtomicFile::create(output).map_err(io_err(output))?;
    let mut whole = Hashing::new(out.file());
    for (i, part) in parts.parts.iter().enumerate() {
        let path = index.with_file_name(&part.name);
        let (number, count) = (i + 1, parts.parts.len());
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Err(PartsError::Missing {
                    number,
                    count,
                    path,
                })
            }
            Err(err) => return Err(io_err(&path)(err)),
        };
        let found = file.metadata().map_err(io_err(&path))?.len();
        if found != part.size {
            return Err(PartsError::PartCutShort {
                number,
                count,
                path,
                expected: part.size,
                found,
            });
        }
        let mut hashed = Hashing::new(&mut whole);
        io::copy(&mut file.take(part.size), &mut hashed).map_err(io_err(&path))?;
        let (_, sha256, _) = hashed.finish();
        if sha256 != part.sha256 {
            return Err(PartsError::PartDigest {
                number,
                count,
                path,
                expected: part.sha256.clone(),
                found: sha256,
            });
        }
    }
    let (_, sha256, _) = whole.finish();
    if sha256 != parts.sha256 {
        return Err(PartsError::Malformed {
            index: index.to_path_buf(),
            problem: format!(
                "the joined parts have sha256 {sha256}, not the bundle's {}",
                parts.sha256
            ),
        });
    }
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

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file name with no directory part, as the index may name.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// `(size, part_size)` from `ferry parts NAME: SIZE bytes in parts of PART bytes`.
fn parse_comment(comment: &str, bundle: &str) -> Option<(u64, u64)> {
    let rest = comment.strip_prefix(&format!("ferry parts {bundle}: "))?;
    let (size, rest) = rest.split_once(" bytes in parts of ")?;
    let part = rest.strip_suffix(" bytes")?;
    let (size, part): (u64, u64) = (size.parse().ok()?, part.parse().ok()?);
    (part > 0).then_some((size, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str, comment: &str) -> Result<PartIndex, PartsError> {
        PartIndex::parse(text, comment, Path::new("b.parts"))
    }

    #[test]
    fn the_index_round_trips_and_derives_part_sizes_from_the_comment() {
        let text = format!("{SHA}  b.part-0001\n{SHA}  b.part-0002\n{SHA}  b\n");
        let index = parse(&text, "ferry parts b: 150 bytes in parts of 100 bytes").unwrap();
        let sizes: Vec<u64> = index.parts.iter().map(|p| p.size).collect();
        assert_eq!(sizes, [100, 50]);
        assert_eq!(index.to_text(), text);
        assert_eq!(
            index.trusted_comment(),
            "ferry parts b: 150 bytes in parts of 100 bytes"
        );
    }

    #[test]
    fn an_index_that_is_not_ferrys_is_malformed() {
        let two = format!("{SHA}  b.part-0001\n{SHA}  b.part-0002\n{SHA}  b\n");
        for (text, comment) in [
            (
                two.clone(),
                "ferry parts b: 350 bytes in parts of 100 bytes",
            ),
            (
                two.clone(),
                "ferry parts c: 150 bytes in parts of 100 bytes",
            ),
            (two.clone(), "ferry parts b: 150 bytes in parts of 0 bytes"),
            (
                two.replace("b.part-0002", "../b.part-0002"),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                two.replace("b.part-0002", "b.part-0003"),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                two.replacen("00", "0", 1),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                String::new(),
                "ferry parts b: 0 bytes in parts of 100 bytes",
            ),
        ] {
            let err = parse(&text, comment).unwrap_err();
            assert!(
                matches!(err, PartsError::Malformed { .. }),
                "{text:?} {comment}: {err}"
            );
        }
    }
}
