//! Where a bundle's bytes are: one file, or the parts of a split bundle
//! read in place through their signed index. Commands take whichever the
//! operator names (`NAME`, `NAME.parts` or `NAME.part-0001`) and the reader
//! streams it the same way.

use super::keyring::Keyring;
use super::part_error::PartError;
use super::part_stream::PartStream;
use super::parts::{self, PartIndex, PartsError, INDEX_SUFFIX};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A bundle as the operator named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleInput {
    /// One bundle file.
    File(PathBuf),
    /// A split bundle: its index file and what the index says.
    Parts(SplitBundle),
}

/// The parts of a split bundle, as their index lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitBundle {
    /// The index file, `NAME.parts`; the parts sit next to it.
    pub index: PathBuf,
    /// The index's content (its signature checked when a keyring was given).
    pub parts: PartIndex,
    /// Where it came from when not from these files (`oci://...`), for messages.
    pub origin: Option<String>,
}

/// A borrowed [`BundleInput`], what the reader's functions take; a plain
/// path converts into one.
#[derive(Debug, Clone, Copy)]
pub enum BundleRef<'a> {
    /// One bundle file.
    File(&'a Path),
    /// A split bundle.
    Parts(&'a SplitBundle),
}

impl<'a> BundleRef<'a> {
    /// The path the operator gave, for messages.
    pub fn path(self) -> &'a Path {
        match self {
            BundleRef::File(path) => path,
            BundleRef::Parts(split) => match &split.origin {
                Some(origin) => Path::new(origin),
                None => &split.index,
            },
        }
    }
}

impl<'a> From<&'a Path> for BundleRef<'a> {
    fn from(path: &'a Path) -> Self {
        BundleRef::File(path)
    }
}

impl<'a> From<&'a PathBuf> for BundleRef<'a> {
    fn from(path: &'a PathBuf) -> Self {
        BundleRef::File(path)
    }
}

impl<'a> From<&'a BundleInput> for BundleRef<'a> {
    fn from(input: &'a BundleInput) -> Self {
        match input {
            BundleInput::File(path) => BundleRef::File(path),
            BundleInput::Parts(split) => BundleRef::Parts(split),
        }
    }
}

impl BundleInput {
    /// The bundle `path` names: a part index (`NAME.parts`), any part of a
    /// split bundle (`NAME.part-0001`), a bundle file, or a bundle that
    /// is not there as one file but whose index is. A part index is read
    /// with its signature verified by `keyring`; without one (`inspect`
    /// with no trusted key) it is read unchecked, like the bundle then is.
    pub fn locate(path: &Path, keyring: Option<&Keyring>) -> Result<BundleInput, PartsError> {
        let Some(index) = index_named_by(path) else {
            return Ok(BundleInput::File(path.to_path_buf()));
        };
        let parts = match keyring {
            Some(keyring) => parts::read_index(&index, keyring)?.0,
            None => parts::read_index_unchecked(&index)?,
        };
        Ok(BundleInput::Parts(SplitBundle {
            index,
            parts,
            origin: None,
        }))
    }

    /// The path the operator gave, for messages.
    pub fn path(&self) -> &Path {
        BundleRef::from(self).path()
    }

    /// How it reads in messages: the path, and the part count when split.
    pub fn describe(&self) -> String {
        match self {
            BundleInput::File(path) => path.display().to_string(),
            BundleInput::Parts(split) => format!(
                "{} ({} parts read in place)",
                self.path().display(),
                split.parts.parts.len()
            ),
        }
    }
}

/// The part index that `path` names, if it names a split bundle.
fn index_named_by(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    if name.ends_with(INDEX_SUFFIX) {
        return Some(path.to_path_buf());
    }
    if let Some((bundle, number)) = name.rsplit_once(".part-") {
        if !bundle.is_empty() && number.len() == 4 && number.bytes().all(|b| b.is_ascii_digit()) {
            return Some(path.with_file_name(format!("{bundle}{INDEX_SUFFIX}")));
        }
    }
    let index = parts::index_path(path);
    (!path.exists() && index.is_file()).then_some(index)
}

/// The raw bytes of a bundle, from its file or its parts in order.
pub(crate) enum Reader {
    /// One file.
    File(File),
    /// Parts read in place.
    Parts(PartStream),
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Reader::File(file) => file.read(buf),
            Reader::Parts(parts) => parts.read(buf),
        }
    }
}

/// Opens the parts of `split`, every one checked to be there with its
/// listed size.
pub(crate) fn open_parts(split: &SplitBundle) -> Result<PartStream, PartError> {
    PartStream::open(&split.index, &split.parts)
}
