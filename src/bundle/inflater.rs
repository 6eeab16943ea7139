//! The bundle's decompressed stream, inflated on every core. A reading
//! thread cuts the compressed file into segments where members seem to
//! start (`segmenter`), a pool of threads inflates each segment that is one
//! whole member ([`whole_member`]), and the reader's thread takes the
//! results strictly in file order.
//!
//! The speculation is checked, never trusted. A pool result is used only
//! for a segment that starts exactly where the previous member ended, and
//! it only exists when the segment is one member passing every check.
//! Anything else (a cut inside a member, damage, bytes after the end) is
//! read again from its true boundary by the strict, sequential [`Gunzip`],
//! which also names the problem; once that reader stands between members at
//! the start of a segment, the pool's results are used again. So the bytes,
//! the errors and their order are exactly those of [`Gunzip`] reading the
//! file from its start, and memory stays bounded by the segments in flight.

use super::gunzip::{whole_member, Gunzip, Problem};
use super::segmenter::{Piece, Segmenter};
use std::io::{self, Read};
use std::sync::mpsc::{self, sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// Segments between the reading thread and the reader, each with its
/// content once inflated: this bounds memory.
const IN_FLIGHT: usize = 16;
/// The most content a pool thread inflates from one segment: a member ferry
/// writes holds at most 1 MiB and its tar padding. Larger members are read
/// by the strict reader.
const MAX_MEMBER: usize = 2 << 20;
/// Pool threads at most, whatever the machine has.
const MAX_THREADS: usize = 8;

/// Content buffers handed back by the reader for the pool to fill again,
/// so the pool does not allocate (and fault in) a fresh megabyte a member.
#[derive(Clone, Default)]
struct Spares(Arc<Mutex<Vec<Vec<u8>>>>);

impl Spares {
    /// Keeps `buffer` for reuse, unless enough are kept already.
    fn give(&self, buffer: Vec<u8>) {
        if let Ok(mut spares) = self.0.lock() {
            if spares.len() < IN_FLIGHT && buffer.capacity() > 0 {
                spares.push(buffer);
            }
        }
    }

    /// A kept buffer, or a new empty one.
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut spares| spares.pop())
            .unwrap_or_default()
    }
}

/// A segment back from the pool: its bytes, and its content if it was one
/// whole member.
struct Outcome {
    bytes: Vec<u8>,
    member: Option<Vec<u8>>,
}

/// One job for the pool: a segment and where its outcome goes.
type Job = (Vec<u8>, SyncSender<Outcome>);

/// What the reading thread passes on, in file order.
enum Item {
    /// A segment, whose outcome arrives here.
    Segment(Receiver<Outcome>),
    /// The file ended; its SHA-256.
    End(String),
    /// Reading the file failed here.
    Failed(io::Error),
}

/// Where the reader of the stream stands.
enum Mode {
    /// Between members at the start of the next segment (`at` in the
    /// file): the pool's outcome decides.
    Pooled { items: Receiver<Item>, at: u64 },
    /// The strict reader has the stream until it is between members again.
    Strict(Box<Gunzip<Feed>>),
    /// The file ended after a complete member.
    Ended,
    /// A thread of the pipeline went away.
    Broken,
}

/// The decompressed stream; see the module documentation.
pub(crate) struct Inflated {
    mode: Mode,
    problem: Problem,
    spares: Spares,
    /// Content of a pooled member not yet read.
    current: Vec<u8>,
    pos: usize,
    /// The file's SHA-256, set when it ended cleanly.
    sha256: Option<String>,
    threads: Vec<JoinHandle<()>>,
}

impl Inflated {
    /// Starts reading `reader` (the compressed file from its first byte) on
    /// a thread of its own and inflating on a pool, reporting problems into
    /// `problem`.
    pub(crate) fn spawn<R>(reader: R, problem: Problem) -> io::Result<Inflated>
    where
        R: Read + Send + 'static,
    {
        let pool_size = thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(MAX_THREADS);
        let (jobs, job_queue) = mpsc::channel::<Job>();
        let job_queue = Arc::new(Mutex::new(job_queue));
        let (send_item, items) = sync_channel(IN_FLIGHT);
        let mut inflated = Inflated {
            mode: Mode::Pooled { items, at: 0 },
            problem,
            spares: Spares::default(),
            current: Vec::new(),
            pos: 0,
            sha256: None,
            threads: Vec::with_capacity(pool_size + 1),
        };
        for index in 0..pool_size {
            let job_queue = Arc::clone(&job_queue);
            let spares = inflated.spares.clone();
            let worker = thread::Builder::new()
                .name(format!("ferry-inflate-{index}"))
                .spawn(move || inflate_jobs(&job_queue, &spares))?;
            inflated.threads.push(worker);
        }
        let reading = thread::Builder::new()
            .name("ferry-read".into())
            .spawn(move || read_segments(reader, &jobs, &send_item))?;
        inflated.threads.push(reading);
        Ok(inflated)
    }

    /// The SHA-256 of the whole file, once the stream ended and every gzip
    /// member checked out.
    pub(crate) fn file_sha256(&self) -> Option<String> {
        self.sha256.clone()
    }

    /// Moves the stream on by one step; Some(n) when `buf` got `n` bytes
    /// straight from the strict reader.
    fn step(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        match std::mem::replace(&mut self.mode, Mode::Broken) {
            Mode::Pooled { items, at } => match items.recv() {
                Ok(Item::Segment(outcome)) => {
                    let outcome = outcome.recv().map_err(|_| pipeline_gone())?;
                    match outcome.member {
                        Some(content) => {
                            let at = at + outcome.bytes.len() as u64;
                            self.spares
                                .give(std::mem::replace(&mut self.current, content));
                            self.pos = 0;
                            self.mode = Mode::Pooled { items, at };
                        }
                        None => {
                            let feed = Feed::new(items, outcome.bytes);
                            let strict = Gunzip::at_boundary(feed, Arc::clone(&self.problem), at);
                            self.mode = Mode::Strict(Box::new(strict));
                        }
                    }
                    Ok(None)
                }
                Ok(Item::End(sha256)) => {
                    self.sha256 = Some(sha256);
                    self.mode = Mode::Ended;
                    Ok(None)
                }
                Ok(Item::Failed(err)) => Err(err),
                Err(_) => Err(pipeline_gone()),
            },
            Mode::Strict(strict) if strict.is_between_members() && strict.get_ref().used_up() => {
                let at = strict.offset();
                let items = strict.into_inner().items;
                self.mode = Mode::Pooled { items, at };
                Ok(None)
            }
            Mode::Strict(mut strict) => {
                // An error is final (the mode stays Broken).
                let n = strict.read(buf)?;
                if n == 0 {
                    self.sha256 = strict.into_inner().end;
                    self.mode = Mode::Ended;
                } else {
                    self.mode = Mode::Strict(strict);
                }
                Ok(Some(n))
            }
            Mode::Ended => {
                self.mode = Mode::Ended;
                Ok(Some(0))
            }
            Mode::Broken => Err(pipeline_gone()),
        }
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.pos < self.current.len() {
                let n = buf.len().min(self.current.len() - self.pos);
                buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if let Some(n) = self.step(buf)? {
                return Ok(n);
            }
        }
    }
}

impl Drop for Inflated {
    /// Stops every thread before the stream is gone, so nothing reads the
    /// file (or the parts, which the reader may still hash to name a bad
    /// one) behind the reader's back.
    fn drop(&mut self) {
        // Dropping the item queue stops the reading thread, and with it
        // the job queue and so the pool.
        self.mode = Mode::Broken;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The reading thread: segments the file, queues each segment for the pool
/// and its outcome for the reader, in file order. Stops when the reader
/// went away.
fn read_segments(reader: impl Read, jobs: &mpsc::Sender<Job>, items: &SyncSender<Item>) {
    let mut segmenter = Segmenter::new(reader);
    while let Some(piece) = segmenter.next_piece() {
        let item = match piece {
            Piece::Segment(bytes) => {
                let (send_outcome, outcome) = sync_channel(1);
                if jobs.send((bytes, send_outcome)).is_err() {
                    return;
                }
                Item::Segment(outcome)
            }
            Piece::End(sha256) => Item::End(sha256),
            Piece::Failed(err) => Item::Failed(err),
        };
        if items.send(item).is_err() {
            return;
        }
    }
}

/// A pool thread: inflates segments until the job queue closes.
fn inflate_jobs(jobs: &Mutex<Receiver<Job>>, spares: &Spares) {
    loop {
        let job = match jobs.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok((bytes, outcome)) = job else { return };
        let mut content = spares.take();
        let member = if whole_member(&bytes, MAX_MEMBER, &mut content) {
            Some(content)
        } else {
            spares.give(content);
            None
        };
        // The reader may have stopped wanting it; that is fine.
        let _ = outcome.send(Outcome { bytes, member });
    }
}

fn pipeline_gone() -> io::Error {
    io::Error::other("a thread reading the bundle stopped unexpectedly")
}

/// The strict reader's input: the segments' bytes in file order, straight
/// from the reading thread.
struct Feed {
    items: Receiver<Item>,
    segment: Vec<u8>,
    pos: usize,
    /// The file's SHA-256, once its end was reached.
    end: Option<String>,
}

impl Feed {
    fn new(items: Receiver<Item>, segment: Vec<u8>) -> Feed {
        Feed {
            items,
            segment,
            pos: 0,
            end: None,
        }
    }

    /// True when every byte of the current segment was read.
    fn used_up(&self) -> bool {
        self.pos == self.segment.len()
    }
}

impl Read for Feed {
    /// Never returns bytes of two segments at once, so a reader that holds
    /// no unread byte stands at a segment's start.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.used_up() {
            if self.end.is_some() {
                return Ok(0);
            }
            match self.items.recv() {
                Ok(Item::Segment(outcome)) => {
                    self.segment = outcome.recv().map_err(|_| pipeline_gone())?.bytes;
                    self.pos = 0;
                }
                Ok(Item::End(sha256)) => self.end = Some(sha256),
                Ok(Item::Failed(err)) => return Err(err),
                Err(_) => return Err(pipeline_gone()),
            }
        }
        let n = buf.len().min(self.segment.len() - self.pos);
        buf[..n].copy_from_slice(&self.segment[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::gunzip::GzipProblem;
    use crate::bundle::gzip::{compress_member, HEADER};
    use sha2::{Digest as _, Sha256};

    /// What reading `bytes` to the end gives: the content or the problem.
    type Verdict = Result<Vec<u8>, Option<GzipProblem>>;

    fn verdict(result: io::Result<usize>, out: Vec<u8>, problem: &Problem) -> Verdict {
        match result {
            Ok(_) => Ok(out),
            Err(_) => Err(problem.lock().unwrap().clone()),
        }
    }

    /// Reads `bytes` through the pool; also the file hash it reports.
    pub(crate) fn pooled(bytes: &[u8]) -> (Verdict, Option<String>) {
        let problem = Problem::default();
        let mut inflated =
            Inflated::spawn(io::Cursor::new(bytes.to_vec()), Arc::clone(&problem)).unwrap();
        let mut out = Vec::new();
        let result = inflated.read_to_end(&mut out);
        (verdict(result, out, &problem), inflated.file_sha256())
    }

    /// Reads `bytes` with the sequential strict reader alone.
    pub(crate) fn sequential(bytes: &[u8]) -> Verdict {
        let problem = Problem::default();
        let mut out = Vec::new();
        let result = Gunzip::new(bytes, Arc::clone(&problem)).read_to_end(&mut out);
        verdict(result, out, &problem)
    }

    /// Content that holds ferry's member header (as a stored image layer
    /// made by Go's gzip does), so the segmenter cuts inside its member.
    fn with_false_headers(len: usize) -> Vec<u8> {
        let mut content: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        for at in [0, len / 3, len / 2] {
            if at + HEADER.len() <= len {
                content[at..at + HEADER.len()].copy_from_slice(&HEADER);
            }
        }
        content
    }

    fn file_of(members: &[(Vec<u8>, u32)]) -> Vec<u8> {
        members
            .iter()
            .flat_map(|(content, level)| compress_member(content, *level).unwrap())
            .collect()
    }

    #[test]
    fn false_headers_and_oversized_members_read_as_the_sequential_reader_does() {
        let members = vec![
            (b"first".to_vec(), 6),
            (with_false_headers(100_000), 0),
            (with_false_headers(70_000), 6),
            (Vec::new(), 6),
            // Over the pool's limit, and stored: several segments long.
            (with_false_headers(MAX_MEMBER + 1_000_000), 0),
            (b"last".to_vec(), 6),
        ];
        let file = file_of(&members);
        let expected: Vec<u8> = members.iter().flat_map(|(c, _)| c.clone()).collect();
        let (got, sha256) = pooled(&file);
        assert!(got.as_ref().is_ok_and(|out| *out == expected));
        assert_eq!(sha256, Some(hex::encode(Sha256::digest(&file))));
    }

    #[test]
    fn damage_anywhere_is_named_as_the_sequential_reader_names_it() {
        let members = vec![
            (b"first".to_vec(), 6),
            (with_false_headers(50_000), 0),
            (with_false_headers(50_000), 6),
        ];
        let file = file_of(&members);
        let step = file.len() / 97;
        for at in (0..file.len()).step_by(step.max(1)) {
            let mut bad = file.clone();
            bad[at] ^= 0x5a;
            let (got, sha256) = pooled(&bad);
            assert_eq!(got, sequential(&bad), "byte {at}");
            assert_eq!(sha256.is_some(), got.is_ok(), "byte {at}");
        }
        for cut in [1, 9, 10, 11, file.len() / 2, file.len() - 8, file.len() - 1] {
            assert_eq!(
                pooled(&file[..cut]).0,
                sequential(&file[..cut]),
                "cut at {cut}"
            );
        }
        let mut extra = file.clone();
        extra.extend_from_slice(&HEADER);
        let (got, sha256) = pooled(&extra);
        assert_eq!(
            got,
            Err(Some(GzipProblem::Truncated {
                offset: extra.len() as u64
            }))
        );
        assert!(sha256.is_none());
    }

    #[test]
    fn dropping_the_stream_early_stops_every_thread() {
        let file = file_of(&vec![(with_false_headers(300_000), 6); 40]);
        let problem = Problem::default();
        let mut inflated = Inflated::spawn(io::Cursor::new(file), problem).unwrap();
        let mut first = [0u8; 10];
        inflated.read_exact(&mut first).unwrap();
        assert_eq!(first, HEADER);
        // Joins the reading thread and the pool; a leak would hang here.
        drop(inflated);
    }

    /// The fuzz target of the speculation: any file built from members
    /// (stored or deflated, with false headers or without), then damaged,
    /// reads through the pool exactly as through the sequential reader.
    #[test]
    fn fuzz_parallel_inflate_matches_the_sequential_reader() {
        use proptest::prelude::*;
        let member = (0..40_000usize, any::<bool>(), any::<bool>());
        let input = (
            proptest::collection::vec(member, 1..6),
            crate::fuzz::edits(),
        );
        crate::fuzz::runner(64)
            .run(&input, |(members, edits)| {
                let members: Vec<(Vec<u8>, u32)> = members
                    .into_iter()
                    .map(|(len, stored, false_headers)| {
                        let content = match false_headers {
                            true => with_false_headers(len),
                            false => (0..len).map(|i| (i % 7) as u8).collect(),
                        };
                        (content, if stored { 0 } else { 6 })
                    })
                    .collect();
                let bytes = crate::fuzz::apply(&edits, &file_of(&members));
                let (got, sha256) = pooled(&bytes);
                prop_assert_eq!(sha256.is_some(), got.is_ok());
                prop_assert_eq!(got, sequential(&bytes));
                Ok(())
            })
            .unwrap();
    }
}
