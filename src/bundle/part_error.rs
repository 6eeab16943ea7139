//! What is wrong with one part of a split bundle: shared by `parts` (join)
//! and the reader (parts read in place), so both name a bad part the same
//! way.

use std::path::PathBuf;

/// A part that is missing, cut short or not the one the signed index lists.
#[derive(Debug, thiserror::Error)]
pub enum PartError {
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
    CutShort {
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
    #[error("part {number} of {count} ({path}) has sha256 {found} where the index says {expected}: {}; copy it again", why_digest(*.same_as))]
    Digest {
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
        /// The number of the part whose digest it has, when it is another
        /// part of the same bundle (the parts were renamed or reordered).
        same_as: Option<usize>,
    },
    /// A part could not be read.
    #[error("cannot read part {number} of {count} ({path})")]
    Io {
        /// 1-based part number.
        number: usize,
        /// How many parts there are.
        count: usize,
        /// The part file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Every part matched, yet the whole is not the bundle the index names.
    #[error("the parts listed by {index} join to sha256 {found}, not the bundle's {expected}; the index is wrong, do not use these parts")]
    Whole {
        /// The index file.
        index: PathBuf,
        /// The bundle's digest per the index.
        expected: String,
        /// The digest of the joined parts.
        found: String,
    },
}

fn why_digest(same_as: Option<usize>) -> String {
    match same_as {
        Some(other) => {
            format!("it holds part {other}'s bytes, so the parts were renamed or put out of order")
        }
        None => "it is damaged or from another bundle".to_string(),
    }
}
