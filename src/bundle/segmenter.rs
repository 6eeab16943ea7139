//! The reading half of the parallel gunzip: reads the compressed bundle
//! (one file or its parts) front to back, hashes every byte, and cuts the
//! bytes into segments wherever ferry's member [`HEADER`] appears, so that
//! most segments are exactly one member and can be inflated on their own.
//!
//! A cut is a guess, not a finding: the same ten bytes may occur inside a
//! member (a stored image layer starts with a gzip header of its own), and a
//! damaged file may have no header where one belongs. Which segments really
//! are whole members is decided later, in file order (see `inflater`).
//! Segments never exceed [`MAX_SEGMENT`], so memory stays bounded whatever
//! the file holds.

use super::gzip::HEADER;
use memchr::memmem::Finder;
use sha2::{Digest as _, Sha256};
use std::io::{self, Read};

/// The longest segment: cut here when no header was found sooner.
pub(crate) const MAX_SEGMENT: usize = 2 << 20;
/// Compressed bytes read at a time.
const READ_BLOCK: usize = 128 * 1024;

/// What the segmenter hands on, in file order.
pub(crate) enum Piece {
    /// The next bytes of the file.
    Segment(Vec<u8>),
    /// The file ended; the lower-case hex SHA-256 of all of it.
    End(String),
    /// Reading failed here (every byte before was handed on first).
    Failed(io::Error),
}

/// Cuts a compressed stream into segments; see the module documentation.
pub(crate) struct Segmenter<R> {
    inner: R,
    hasher: Sha256,
    finder: Finder<'static>,
    /// Bytes read and not yet handed on.
    pending: Vec<u8>,
    /// Positions in `pending` before this were searched for a header.
    searched: usize,
    /// How the stream ended, once it did (taken when handed on).
    last: Option<Piece>,
    finished: bool,
}

impl<R: Read> Segmenter<R> {
    /// Starts reading `inner` from its first byte.
    pub(crate) fn new(inner: R) -> Segmenter<R> {
        Segmenter {
            inner,
            hasher: Sha256::new(),
            finder: Finder::new(&HEADER),
            pending: Vec::new(),
            searched: 1,
            last: None,
            finished: false,
        }
    }

    /// The next piece: segments in file order, then the end or the read
    /// error, then None.
    pub(crate) fn next_piece(&mut self) -> Option<Piece> {
        loop {
            if let Some(cut) = self.next_cut() {
                return Some(Piece::Segment(self.take(cut)));
            }
            if self.finished {
                if !self.pending.is_empty() {
                    let all = self.pending.len();
                    return Some(Piece::Segment(self.take(all)));
                }
                return self.last.take();
            }
            self.read_block();
        }
    }

    /// Where the next segment ends, if that is known yet: before the next
    /// header after the first byte, or at [`MAX_SEGMENT`].
    fn next_cut(&mut self) -> Option<usize> {
        let from = self.searched.max(1);
        if let Some(found) = self
            .pending
            .get(from..)
            .and_then(|rest| self.finder.find(rest))
        {
            return Some((from + found).min(MAX_SEGMENT));
        }
        // A header may still begin in the last few bytes: search them again.
        self.searched = self.pending.len().saturating_sub(HEADER.len() - 1);
        (self.pending.len() >= MAX_SEGMENT).then_some(MAX_SEGMENT)
    }

    /// Hands on the first `len` pending bytes.
    fn take(&mut self, len: usize) -> Vec<u8> {
        let rest = self.pending.split_off(len);
        self.searched = 1;
        std::mem::replace(&mut self.pending, rest)
    }

    /// Reads the next block into `pending`, or notes how the stream ended.
    fn read_block(&mut self) {
        let start = self.pending.len();
        self.pending.resize(start + READ_BLOCK, 0);
        let result = self.inner.read(&mut self.pending[start..]);
        let got = *result.as_ref().unwrap_or(&0);
        self.hasher.update(&self.pending[start..start + got]);
        self.pending.truncate(start + got);
        match result {
            Ok(0) => {
                let sha256 = hex::encode(self.hasher.clone().finalize());
                self.last = Some(Piece::End(sha256));
                self.finished = true;
            }
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => {
                self.last = Some(Piece::Failed(err));
                self.finished = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::gzip::compress_member;

    /// Reads `input` through a segmenter: the segments and how it ended.
    fn pieces(input: impl Read) -> (Vec<Vec<u8>>, Result<String, String>) {
        let mut segmenter = Segmenter::new(input);
        let mut segments = Vec::new();
        loop {
            match segmenter.next_piece() {
                Some(Piece::Segment(bytes)) => segments.push(bytes),
                Some(Piece::End(sha256)) => {
                    assert!(segmenter.next_piece().is_none());
                    return (segments, Ok(sha256));
                }
                Some(Piece::Failed(err)) => return (segments, Err(err.to_string())),
                None => panic!("ended without an end"),
            }
        }
    }

    /// Yields its bytes a few at a time, so headers straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn members_become_segments_and_the_file_is_hashed() {
        let members: Vec<Vec<u8>> = (0..5u8)
            .map(|i| compress_member(&vec![i; 10_000 * usize::from(i)], 6).unwrap())
            .collect();
        let file: Vec<u8> = members.concat();
        for step in [1, 7, 4096, READ_BLOCK] {
            let (segments, end) = pieces(Trickle(&file, step));
            assert!(segments == members, "read {step} bytes at a time");
            assert_eq!(end, Ok(hex::encode(Sha256::digest(&file))));
        }
    }

    #[test]
    fn segments_are_cut_at_every_header_and_at_the_size_bound() {
        let mut file = vec![9u8; 5];
        file.extend_from_slice(&HEADER);
        file.extend_from_slice(&HEADER);
        file.extend(vec![1u8; 2 * MAX_SEGMENT + 3]);
        let (segments, _) = pieces(&file[..]);
        let lens: Vec<usize> = segments.iter().map(Vec::len).collect();
        assert_eq!(lens, [5, 10, MAX_SEGMENT, MAX_SEGMENT, 13]);
        assert!(segments.concat() == file);
    }

    #[test]
    fn a_read_error_comes_after_every_byte_read_before_it() {
        struct Breaks(Vec<u8>);
        impl Read for Breaks {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("part 2 is damaged"));
                }
                let n = self.0.len().min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        let (segments, end) = pieces(Breaks(b"abc".to_vec()));
        assert_eq!(segments, [b"abc".to_vec()]);
        assert_eq!(end, Err("part 2 is damaged".to_string()));
        let (segments, end) = pieces(&[][..]);
        assert!(segments.is_empty());
        assert_eq!(end, Ok(hex::encode(Sha256::digest([]))));
    }
}
