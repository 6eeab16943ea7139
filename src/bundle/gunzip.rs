//! Strict reading of ferry's multi-member gzip: member by member, every
//! header compared byte for byte with the one header ferry writes
//! ([`gzip::HEADER`](super::gzip::HEADER)), every member's CRC32 and ISIZE
//! checked against its trailer, and nothing accepted after the last member.
//! The compressed bytes are hashed as they are read, so the file's SHA-256
//! is known once the end is reached, without a second pass.
//!
//! What the decompressed bytes mean (tar entries, the manifest) is for the
//! layers above; this module only answers for the compressed file.

use super::gzip::HEADER;
use flate2::{Crc, Decompress, FlushDecompress, Status};
use sha2::{Digest as _, Sha256};
use std::io::{self, Read};
use std::sync::{Arc, Mutex};

/// Compressed bytes read from the file at a time.
const INPUT_BUFFER: usize = 256 * 1024;
/// A member's trailer: CRC32 and ISIZE, little-endian.
const TRAILER: usize = 8;

/// What is wrong with the compressed file, and where (byte offsets in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GzipProblem {
    /// A header byte other than the one ferry writes.
    Header {
        /// Offset of the byte in the file.
        offset: u64,
        /// The byte found.
        found: u8,
        /// The byte ferry writes there.
        expected: u8,
    },
    /// Bytes where a member should start that do not start one: data
    /// appended after the last member, or a damaged member boundary.
    NotAMember {
        /// Offset where the next member should start.
        offset: u64,
    },
    /// The deflate data of a member does not decode.
    Deflate {
        /// Offset of the member's header.
        member: u64,
    },
    /// A member's CRC32 disagrees with its decompressed content.
    Crc {
        /// Offset of the trailer's CRC32.
        offset: u64,
    },
    /// A member's ISIZE disagrees with its decompressed length.
    Size {
        /// Offset of the trailer's ISIZE.
        offset: u64,
    },
    /// The file ends inside a member.
    Truncated {
        /// The file's length.
        offset: u64,
    },
}

/// Where the reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a member boundary (or the start of the file).
    Boundary,
    /// Inside a member's deflate data.
    Body,
    /// The end of the file was reached after a complete member.
    Done,
}

/// Reads the decompressed content of a multi-member gzip file, refusing
/// anything ferry would not have written. Errors are io errors for the tar
/// reader's sake; the reason is kept in the shared [`Problem`] slot.
pub(crate) struct Gunzip<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// File offset of `buf[0]`.
    buf_offset: u64,
    /// False once the inner reader returned end of file.
    more: bool,
    hasher: Sha256,
    state: State,
    inflate: Decompress,
    crc: Crc,
    member_start: u64,
    problem: Problem,
}

/// Shared slot for the first problem found, read by whoever turns the io
/// error the tar reader passes on into a verdict.
pub(crate) type Problem = Arc<Mutex<Option<GzipProblem>>>;

impl<R: Read> Gunzip<R> {
    /// Starts reading the gzip file `inner`, reporting problems into `problem`.
    pub(crate) fn new(inner: R, problem: Problem) -> Gunzip<R> {
        Gunzip {
            inner,
            buf: vec![0u8; INPUT_BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            buf_offset: 0,
            more: true,
            hasher: Sha256::new(),
            state: State::Boundary,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            member_start: 0,
            problem,
        }
    }

    /// The lower-case hex SHA-256 of the whole file, once it was read to its end.
    pub(crate) fn file_sha256(&self) -> Option<String> {
        (self.state == State::Done).then(|| hex::encode(self.hasher.clone().finalize()))
    }

    /// File offset of the next unread compressed byte.
    fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// Makes compressed bytes available unless the file has ended; the
    /// returned slice is empty only at the end of the file.
    fn fill(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end && self.more {
            self.buf_offset += self.end as u64;
            self.pos = 0;
            self.end = 0;
            loop {
                match self.inner.read(&mut self.buf) {
                    Ok(0) => {
                        self.more = false;
                        break;
                    }
                    Ok(n) => {
                        self.hasher.update(&self.buf[..n]);
                        self.end = n;
                        break;
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                }
            }
        }
        Ok(&self.buf[self.pos..self.end])
    }

    /// Records `problem` (the first one wins) and returns the io error for it.
    fn fail(&self, problem: GzipProblem) -> io::Error {
        let message = format!("{problem:?}");
        if let Ok(mut slot) = self.problem.lock() {
            slot.get_or_insert(problem);
        }
        io::Error::new(io::ErrorKind::InvalidData, message)
    }

    /// Reads exactly `N` bytes, or None when the file ends first.
    fn take<const N: usize>(&mut self) -> io::Result<Option<[u8; N]>> {
        let mut out = [0u8; N];
        let mut got = 0;
        while got < N {
            let avail = self.fill()?;
            if avail.is_empty() {
                return Ok(None);
            }
            let n = avail.len().min(N - got);
            out[got..got + n].copy_from_slice(&avail[..n]);
            got += n;
            self.pos += n;
        }
        Ok(Some(out))
    }

    /// At a boundary: the end of the file, or the next member's header.
    /// Returns false at the end of the file.
    fn start_member(&mut self) -> io::Result<bool> {
        let start = self.offset();
        if self.fill()?.is_empty() {
            self.state = State::Done;
            return Ok(false);
        }
        // Fewer bytes than a header, or no gzip magic: not a member at all.
        let header = match self.take::<{ HEADER.len() }>()? {
            Some(header) if header[..2] == HEADER[..2] => header,
            _ => return Err(self.fail(GzipProblem::NotAMember { offset: start })),
        };
        if let Some(i) = (2..HEADER.len()).find(|&i| header[i] != HEADER[i]) {
            return Err(self.fail(GzipProblem::Header {
                offset: start + i as u64,
                found: header[i],
                expected: HEADER[i],
            }));
        }
        self.member_start = start;
        self.inflate.reset(false);
        self.crc.reset();
        self.state = State::Body;
        Ok(true)
    }

    /// After the deflate data: the trailer must match what was inflated.
    fn end_member(&mut self) -> io::Result<()> {
        let at = self.offset();
        let Some(trailer) = self.take::<TRAILER>()? else {
            return Err(self.fail(GzipProblem::Truncated {
                offset: self.offset(),
            }));
        };
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if crc != self.crc.sum() {
            return Err(self.fail(GzipProblem::Crc { offset: at }));
        }
        if size != self.crc.amount() {
            return Err(self.fail(GzipProblem::Size { offset: at + 4 }));
        }
        self.state = State::Boundary;
        Ok(())
    }

    /// Inflates into `out` until something is produced or the member ends.
    fn inflate_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let member = self.member_start;
            let avail = self.fill()?;
            if avail.is_empty() {
                return Err(self.fail(GzipProblem::Truncated {
                    offset: self.offset(),
                }));
            }
            let (in_before, out_before) = (self.inflate.total_in(), self.inflate.total_out());
            let input = &self.buf[self.pos..self.end];
            let status = self
                .inflate
                .decompress(input, out, FlushDecompress::None)
                .map_err(|_| self.fail(GzipProblem::Deflate { member }))?;
            let consumed = (self.inflate.total_in() - in_before) as usize;
            let produced = (self.inflate.total_out() - out_before) as usize;
            self.pos += consumed;
            self.crc.update(&out[..produced]);
            if status == Status::StreamEnd {
                self.end_member()?;
                return Ok(produced);
            }
            if produced > 0 {
                return Ok(produced);
            }
            if consumed == 0 {
                // Neither input taken nor output made: never loop on it.
                return Err(self.fail(GzipProblem::Deflate { member }));
            }
        }
    }
}

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Boundary => {
                    if !self.start_member()? {
                        return Ok(0);
                    }
                }
                State::Body => {
                    let n = self.inflate_some(out)?;
                    // An empty member produces nothing: go on to the next.
                    if n > 0 {
                        return Ok(n);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::gzip::compress_member;

    fn read_all(bytes: &[u8]) -> (Result<Vec<u8>, GzipProblem>, Option<String>) {
        let problem = Problem::default();
        let mut reader = Gunzip::new(bytes, Arc::clone(&problem));
        let mut out = Vec::new();
        let result = reader.read_to_end(&mut out);
        let verdict = match result {
            Ok(_) => Ok(out),
            Err(_) => Err(problem
                .lock()
                .unwrap()
                .clone()
                .expect("a problem is recorded")),
        };
        (verdict, reader.file_sha256())
    }

    fn two_members() -> Vec<u8> {
        let mut bytes = compress_member(b"hello ", 6).unwrap();
        bytes.extend(compress_member(&[], 6).unwrap());
        bytes.extend(compress_member(&vec![7u8; 100_000], 0).unwrap());
        bytes
    }

    #[test]
    fn members_are_read_in_order_and_the_file_hashed() {
        let bytes = two_members();
        let (out, sha) = read_all(&bytes);
        let out = out.unwrap();
        assert_eq!(&out[..6], b"hello ");
        assert_eq!(out.len(), 100_006);
        assert_eq!(sha.unwrap(), hex::encode(Sha256::digest(&bytes)));
    }

    #[test]
    fn every_header_byte_is_checked_with_its_offset() {
        let bytes = two_members();
        let second = compress_member(b"hello ", 6).unwrap().len() as u64;
        for (member, start) in [(0u64, 0u64), (1, second)] {
            for i in 2..10u64 {
                let mut bad = bytes.clone();
                bad[(start + i) as usize] ^= 0x01;
                let (out, sha) = read_all(&bad);
                assert_eq!(
                    out.unwrap_err(),
                    GzipProblem::Header {
                        offset: start + i,
                        found: HEADER[i as usize] ^ 0x01,
                        expected: HEADER[i as usize],
                    },
                    "member {member} byte {i}"
                );
                assert!(sha.is_none());
            }
        }
    }

    #[test]
    fn trailer_and_end_of_file_are_checked() {
        let bytes = two_members();
        let len = bytes.len() as u64;
        let mut bad = bytes.clone();
        bad[len as usize - 8] ^= 0xff;
        assert_eq!(
            read_all(&bad).0.unwrap_err(),
            GzipProblem::Crc { offset: len - 8 }
        );
        let mut bad = bytes.clone();
        bad[len as usize - 1] ^= 0x01;
        assert_eq!(
            read_all(&bad).0.unwrap_err(),
            GzipProblem::Size { offset: len - 4 }
        );
        let cut = &bytes[..bytes.len() - 3];
        assert_eq!(
            read_all(cut).0.unwrap_err(),
            GzipProblem::Truncated { offset: len - 3 }
        );
        for tail in [&b"\0"[..], b"garbage", b"\x1f"] {
            let mut extra = bytes.clone();
            extra.extend_from_slice(tail);
            assert_eq!(
                read_all(&extra).0.unwrap_err(),
                GzipProblem::NotAMember { offset: len },
                "{tail:?}"
            );
        }
    }

    #[test]
    fn empty_input_reads_as_nothing() {
        let (out, sha) = read_all(&[]);
        assert!(out.unwrap().is_empty());
        assert!(sha.is_some());
    }
}
