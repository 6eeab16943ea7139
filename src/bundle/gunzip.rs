//! Strict reading of ferry's multi-member gzip: member by member, every
//! header compared byte for byte with the one header ferry writes
//! ([`gzip::HEADER`](super::gzip::HEADER)), every member's CRC32 and ISIZE
//! checked against its trailer, and nothing accepted after the last member.
//! [`whole_member`] makes the same checks on one member on its own, so that
//! members can be inflated on several threads (see `inflater`).
//!
//! What the decompressed bytes mean (tar entries, the manifest) is for the
//! layers above; this module only answers for the compressed file.

use super::gzip::HEADER;
use flate2::{Crc, Decompress, FlushDecompress, Status};
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
    #[cfg(test)]
    pub(crate) fn new(inner: R, problem: Problem) -> Gunzip<R> {
        Gunzip::at_boundary(inner, problem, 0)
    }

    /// Starts reading at a member boundary `offset` bytes into the file
    /// (`inner` yields the bytes from there), so problems carry file offsets.
    pub(crate) fn at_boundary(inner: R, problem: Problem, offset: u64) -> Gunzip<R> {
        Gunzip {
            inner,
            buf: vec![0u8; INPUT_BUFFER].into_boxed_slice(),
            pos: 0,
            end: 0,
            buf_offset: offset,
            more: true,
            state: State::Boundary,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            member_start: 0,
            problem,
        }
    }

    /// True when the reader stands between two members and holds no unread
    /// byte: whatever `inner` yields next starts a member (or must be the end).
    pub(crate) fn is_between_members(&self) -> bool {
        self.state == State::Boundary && self.pos == self.end
    }

    /// True once the file ended cleanly after a complete member.
    #[cfg(test)]
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// File offset of the next unread compressed byte.
    pub(crate) fn offset(&self) -> u64 {
        self.buf_offset + self.pos as u64
    }

    /// The inner reader.
    pub(crate) fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader back.
    pub(crate) fn into_inner(self) -> R {
        self.inner
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

/// Inflates `bytes` into `out` (emptied first) if they are exactly one
/// member as ferry writes it: [`HEADER`], deflate data that ends right
/// before an 8-byte trailer, and a trailer whose CRC32 and ISIZE match, with
/// at most `max_output` bytes of content. False for anything else, without
/// saying why: the caller then reads the same bytes with [`Gunzip`], which
/// names the problem. Whenever this returns true, [`Gunzip`] starting at the
/// same boundary would return the same content and stop at the end of `bytes`.
pub(crate) fn whole_member(bytes: &[u8], max_output: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    let Some(body_end) = bytes.len().checked_sub(TRAILER) else {
        return false;
    };
    if body_end < HEADER.len() || bytes[..HEADER.len()] != HEADER {
        return false;
    }
    let trailer = &bytes[body_end..];
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
    if size > max_output {
        return false;
    }
    let body = &bytes[HEADER.len()..body_end];
    // One spare byte, so content longer than ISIZE shows as such.
    out.reserve_exact(size + 1);
    let mut inflate = Decompress::new(false);
    let whole = matches!(
        inflate.decompress_vec(body, out, FlushDecompress::Finish),
        Ok(Status::StreamEnd)
    );
    if !whole || inflate.total_in() != body.len() as u64 || out.len() != size {
        return false;
    }
    let mut check = Crc::new();
    check.update(out);
    check.sum() == crc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::gzip::compress_member;

    /// Reads `bytes` to the end: the content, or the problem recorded, and
    /// whether the reader finished cleanly.
    fn read_all(bytes: &[u8]) -> (Result<Vec<u8>, GzipProblem>, bool) {
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
        (verdict, reader.is_done())
    }

    fn two_members() -> Vec<u8> {
        let mut bytes = compress_member(b"hello ", 6).unwrap();
        bytes.extend(compress_member(&[], 6).unwrap());
        bytes.extend(compress_member(&vec![7u8; 100_000], 0).unwrap());
        bytes
    }

    #[test]
    fn members_are_read_in_order_to_a_clean_end() {
        let bytes = two_members();
        let (out, done) = read_all(&bytes);
        let out = out.unwrap();
        assert_eq!(&out[..6], b"hello ");
        assert_eq!(out.len(), 100_006);
        assert!(out[6..].iter().all(|&b| b == 7));
        assert!(done);
    }

    #[test]
    fn every_header_byte_is_checked_with_its_offset() {
        let bytes = two_members();
        let second = compress_member(b"hello ", 6).unwrap().len() as u64;
        for (member, start) in [(0u64, 0u64), (1, second)] {
            for i in 2..10u64 {
                let mut bad = bytes.clone();
                bad[(start + i) as usize] ^= 0x01;
                let (out, done) = read_all(&bad);
                assert_eq!(
                    out.unwrap_err(),
                    GzipProblem::Header {
                        offset: start + i,
                        found: HEADER[i as usize] ^ 0x01,
                        expected: HEADER[i as usize],
                    },
                    "member {member} byte {i}"
                );
                assert!(!done);
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
        let (out, done) = read_all(&[]);
        assert!(out.unwrap().is_empty());
        assert!(done);
    }

    #[test]
    fn problems_found_after_a_later_start_carry_file_offsets() {
        let bytes = two_members();
        let second = compress_member(b"hello ", 6).unwrap().len();
        let problem = Problem::default();
        let mut bad = bytes[second..].to_vec();
        bad[3] ^= 0x01;
        let mut reader = Gunzip::at_boundary(&bad[..], Arc::clone(&problem), second as u64);
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        let found = problem.lock().unwrap().clone();
        assert_eq!(
            found,
            Some(GzipProblem::Header {
                offset: second as u64 + 3,
                found: HEADER[3] ^ 0x01,
                expected: HEADER[3],
            })
        );
    }

    #[test]
    fn a_whole_member_inflates_on_its_own() {
        let content: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        for level in [0, 6] {
            let member = compress_member(&content, level).unwrap();
            let mut out = b"left over".to_vec();
            assert!(whole_member(&member, 1 << 20, &mut out));
            assert!(out == content);
            assert!(!whole_member(&member, 299_999, &mut out), "over the cap");
        }
        let empty = compress_member(&[], 6).unwrap();
        let mut out = vec![1, 2, 3];
        assert!(whole_member(&empty, 10, &mut out));
        assert!(out.is_empty());
    }

    #[test]
    fn anything_but_exactly_one_good_member_is_left_to_the_strict_reader() {
        let member = compress_member(b"some content, some content", 6).unwrap();
        let mut two = member.clone();
        two.extend_from_slice(&member);
        let mut trailing = member.clone();
        trailing.push(0);
        let mut cases = vec![
            ("two members", two),
            ("a trailing byte", trailing),
            ("cut short", member[..member.len() - 1].to_vec()),
            ("only a header", HEADER.to_vec()),
        ];
        for (what, at) in [
            ("header", 9),
            ("deflate data", 12),
            ("crc", member.len() - 6),
        ] {
            let mut bad = member.clone();
            bad[at] ^= 0x01;
            cases.push((what, bad));
        }
        let mut bad = member.clone();
        let last = bad.len() - 4;
        bad[last] ^= 0x01;
        cases.push(("isize", bad));
        for (what, bytes) in cases {
            assert!(!whole_member(&bytes, 1 << 20, &mut Vec::new()), "{what}");
            // A buffer with room to spare must not let longer content through.
            assert!(
                !whole_member(&bytes, 1 << 20, &mut Vec::with_capacity(1 << 20)),
                "{what}"
            );
        }
    }
}
