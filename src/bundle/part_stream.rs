//! The parts of a split bundle read in place, in order, as one stream: no
//! joined copy on disk. Every part must be where its signed index says and
//! have the listed size (checked before the first byte is read) and the
//! listed SHA-256 (checked as its last byte passes). When a reader above
//! refuses the stream mid-part, [`PartStream::blame`] hashes the rest of
//! that part so the verdict names the part that does not belong.

use super::part_error::PartError;
use super::part_index::{Part, PartIndex};
use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A handle to the parts being read; clones share the position, so the
/// reader's meter can ask who is to blame while the inflating thread owns
/// the stream.
#[derive(Clone)]
pub(crate) struct PartStream {
    cursor: Arc<Mutex<Cursor>>,
}

struct Cursor {
    index: PathBuf,
    parts: Vec<Part>,
    whole: String,
    /// The part being read (0-based), `parts.len()` at the end.
    current: usize,
    file: Option<File>,
    /// Bytes of the current part read so far, and their hash.
    done: u64,
    hasher: Sha256,
    /// The first problem found, kept for [`PartStream::blame`].
    problem: Option<PartError>,
}

impl PartStream {
    /// Opens the parts that `index` (the signed index at `index_path`)
    /// lists, next to it; refuses at once when one is missing or has
    /// another size than listed.
    pub(crate) fn open(index_path: &Path, index: &PartIndex) -> Result<PartStream, PartError> {
        let count = index.parts.len();
        for (i, part) in index.parts.iter().enumerate() {
            let path = index_path.with_file_name(&part.name);
            let found = match std::fs::metadata(&path) {
                Ok(meta) => meta.len(),
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    return Err(PartError::Missing {
                        number: i + 1,
                        count,
                        path,
                    })
                }
                Err(source) => {
                    return Err(PartError::Io {
                        number: i + 1,
                        count,
                        path,
                        source,
                    })
                }
            };
            if found != part.size {
                return Err(PartError::CutShort {
                    number: i + 1,
                    count,
                    path,
                    expected: part.size,
                    found,
                });
            }
        }
        Ok(PartStream {
            cursor: Arc::new(Mutex::new(Cursor {
                index: index_path.to_path_buf(),
                parts: index.parts.clone(),
                whole: index.sha256.clone(),
                current: 0,
                file: None,
                done: 0,
                hasher: Sha256::new(),
                problem: None,
            })),
        })
    }

    /// The part to blame for a refusal: the problem already found, or the
    /// part being read when the rest of it does not hash as listed. None
    /// when every part read so far is the one the index lists.
    pub(crate) fn blame(&self) -> Option<PartError> {
        let mut cursor = self.lock();
        if cursor.problem.is_none() && cursor.current < cursor.parts.len() {
            let mut sink = vec![0u8; 64 * 1024];
            while cursor.current < cursor.parts.len() && cursor.problem.is_none() {
                let before = cursor.current;
                match cursor.read_part(&mut sink) {
                    Ok(_) if cursor.current != before => break,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
        cursor.problem.take()
    }

    /// Checks, once the stream ended, that the whole has the digest the
    /// index lists for the bundle (`sha256`, taken by the reader).
    pub(crate) fn check_whole(&self, sha256: &str) -> Result<(), PartError> {
        let cursor = self.lock();
        if sha256 == cursor.whole {
            return Ok(());
        }
        Err(PartError::Whole {
            index: cursor.index.clone(),
            expected: cursor.whole.clone(),
            found: sha256.to_string(),
        })
    }
}

impl PartStream {
    /// The cursor; a thread that panicked while holding it left it as it was.
    fn lock(&self) -> MutexGuard<'_, Cursor> {
        self.cursor
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Read for PartStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut cursor = self.lock();
        while cursor.current < cursor.parts.len() {
            let n = cursor.read_part(buf)?;
            if n > 0 {
                return Ok(n);
            }
        }
        Ok(0)
    }
}

impl Cursor {
    fn path(&self, i: usize) -> PathBuf {
        self.index.with_file_name(&self.parts[i].name)
    }

    /// Reads from the current part (opening it first), moving to the next
    /// once it is complete and its digest checked; 0 bytes with no error
    /// means the current part just ended.
    fn read_part(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (number, count) = (self.current + 1, self.parts.len());
        let size = self.parts[self.current].size;
        if self.file.is_none() {
            let path = self.path(self.current);
            let file = File::open(&path).map_err(|source| {
                let kind = source.kind();
                let problem = match kind {
                    io::ErrorKind::NotFound => PartError::Missing {
                        number,
                        count,
                        path,
                    },
                    _ => PartError::Io {
                        number,
                        count,
                        path,
                        source,
                    },
                };
                self.fail(problem)
            })?;
            self.file = Some(file);
        }
        let want = usize::try_from(size - self.done)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = if want == 0 {
            0
        } else {
            let read = self
                .file
                .as_mut()
                .map_or(Ok(0), |file| file.read(&mut buf[..want]));
            match read {
                Ok(0) => {
                    let problem = PartError::CutShort {
                        number,
                        count,
                        path: self.path(self.current),
                        expected: size,
                        found: self.done,
                    };
                    return Err(self.fail(problem));
                }
                Ok(n) => n,
                Err(source) => {
                    let problem = PartError::Io {
                        number,
                        count,
                        path: self.path(self.current),
                        source,
                    };
                    return Err(self.fail(problem));
                }
            }
        };
        self.hasher.update(&buf[..n]);
        self.done += n as u64;
        if self.done == size {
            self.end_part()?;
        }
        Ok(n)
    }

    /// Checks the digest of the part just read and moves to the next.
    fn end_part(&mut self) -> io::Result<()> {
        let found = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let i = self.current;
        if found != self.parts[i].sha256 {
            let same_as = self
                .parts
                .iter()
                .position(|p| p.sha256 == found)
                .map(|other| other + 1);
            let problem = PartError::Digest {
                number: i + 1,
                count: self.parts.len(),
                path: self.path(i),
                expected: self.parts[i].sha256.clone(),
                found,
                same_as,
            };
            return Err(self.fail(problem));
        }
        self.current += 1;
        self.file = None;
        self.done = 0;
        Ok(())
    }

    /// Keeps `problem` for [`PartStream::blame`] and returns it as an I/O
    /// error for the reader above.
    fn fail(&mut self, problem: PartError) -> io::Error {
        let error = io::Error::other(problem.to_string());
        self.problem.get_or_insert(problem);
        error
    }
}

impl std::fmt::Debug for PartStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cursor = self.lock();
        f.debug_struct("PartStream")
            .field("index", &cursor.index)
            .field("part", &cursor.current)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Three parts of `b` (4, 4 and 2 bytes) and their index, in `dir`.
    fn parts(dir: &Path) -> (PathBuf, PartIndex) {
        let data: [&[u8]; 3] = [b"abcd", b"efgh", b"ij"];
        let parts = data
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                let name = format!("b.part-{:04}", i + 1);
                std::fs::write(dir.join(&name), bytes).unwrap();
                Part {
                    name,
                    size: bytes.len() as u64,
                    sha256: sha(bytes),
                }
            })
            .collect();
        let index = PartIndex {
            bundle: "b".into(),
            size: 10,
            sha256: sha(b"abcdefghij"),
            part_size: 4,
            parts,
        };
        (dir.join("b.parts"), index)
    }

    #[test]
    fn the_parts_read_as_one_stream_and_a_foreign_part_is_blamed_mid_read() {
        let dir = tempfile::tempdir().unwrap();
        let (index_path, index) = parts(dir.path());
        let mut all = Vec::new();
        let stream = PartStream::open(&index_path, &index).unwrap();
        stream.clone().read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abcdefghij");
        stream.check_whole(&sha(&all)).unwrap();
        assert!(matches!(
            stream.check_whole(&sha(b"other")),
            Err(PartError::Whole { .. })
        ));
        assert!(stream.blame().is_none());

        // Part 2 replaced by part 3's bytes padded to size: refused only
        // at its end, but blamed as soon as the reader above asks.
        std::fs::write(dir.path().join("b.part-0002"), b"EFGH").unwrap();
        let mut stream = PartStream::open(&index_path, &index).unwrap();
        let mut five = [0u8; 5];
        stream.read_exact(&mut five).unwrap();
        match stream.blame() {
            Some(PartError::Digest {
                number, same_as, ..
            }) => assert_eq!((number, same_as), (2, None)),
            other => panic!("{other:?}"),
        }

        // Parts swapped: named as the other part's bytes.
        std::fs::write(dir.path().join("b.part-0002"), b"abcd").unwrap();
        let err = PartStream::open(&index_path, &index)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("holds part 1's bytes"), "{err}");

        std::fs::remove_file(dir.path().join("b.part-0003")).unwrap();
        assert!(matches!(
            PartStream::open(&index_path, &index),
            Err(PartError::Missing { number: 3, .. })
        ));
    }
}
