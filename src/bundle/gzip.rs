//! Parallel, deterministic gzip: data is cut into pieces, each piece becomes
//! one complete gzip member, compressed on a pool of threads, and the
//! members come back in the order the pieces went in. Concatenated members
//! are a valid gzip stream that `gunzip`, `tar xzf` and `MultiGzDecoder`
//! read as one.
//!
//! A member depends only on its piece and the level (one fixed [`HEADER`]:
//! no flags, no name, mtime 0, no XFL hint, OS "unknown"), never on the
//! thread count or timing, so the same input gives the same bytes
//! everywhere. How the stream is cut into pieces is the caller's decision.

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};

/// The header of every gzip member ferry writes, whatever the level: magic,
/// CM deflate, FLG 0, MTIME 0, XFL 0, OS 255 ("unknown"). The reader
/// accepts no other.
pub(crate) const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// Compresses `data` into one self-contained gzip member: [`HEADER`], the
/// raw deflate data, CRC32 and length.
pub(crate) fn compress_member(data: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    out.extend_from_slice(&HEADER);
    let mut encoder = DeflateEncoder::new(out, Compression::new(level));
    encoder.write_all(data)?;
    let mut out = encoder.finish()?;
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Ok(out)
}

/// One compression job: its sequence number and the piece.
type Job = (u64, Vec<u8>, u32);
/// One finished job: its sequence number and the member (or why it failed).
type Done = (u64, io::Result<Vec<u8>>);

/// An ordered queue of work for a thread pool. Every item carries a tag of
/// the caller's; items come back, with their member if they had data,
/// strictly in the order they were pushed.
pub(crate) struct OrderedGzip<T> {
    jobs: Option<mpsc::Sender<Job>>,
    done: mpsc::Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    /// Pushed items not yet handed back: sequence number (None: nothing to
    /// compress) and tag.
    queue: VecDeque<(Option<u64>, T)>,
    finished: HashMap<u64, Vec<u8>>,
    next_seq: u64,
    /// More queued items than this and [`OrderedGzip::pop`] waits, so memory stays bounded.
    max_queued: usize,
}

/// An item handed back: its member (None if it had no data) and its tag.
pub(crate) type Ready<T> = (Option<Vec<u8>>, T);

impl<T> OrderedGzip<T> {
    /// Starts `threads` workers (at least one).
    pub(crate) fn start(threads: usize) -> io::Result<OrderedGzip<T>> {
        let threads = threads.max(1);
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let done_tx = done_tx.clone();
            let worker = thread::Builder::new()
                .name(format!("ferry-gzip-{index}"))
                .spawn(move || work(&job_rx, &done_tx))?;
            workers.push(worker);
        }
        Ok(OrderedGzip {
            jobs: Some(jobs),
            done,
            workers,
            queue: VecDeque::new(),
            finished: HashMap::new(),
            next_seq: 0,
            max_queued: 2 * threads + 2,
        })
    }

    /// Queues `data` for compression at its level (None: nothing to
    /// compress, only keep `tag` in order). Never waits.
    pub(crate) fn push(&mut self, data: Option<(Vec<u8>, u32)>, tag: T) -> io::Result<()> {
        let seq = match data {
            Some((piece, level)) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                let jobs = self.jobs.as_ref().ok_or_else(pool_gone)?;
                jobs.send((seq, piece, level)).map_err(|_| pool_gone())?;
                Some(seq)
            }
            None => None,
        };
        self.queue.push_back((seq, tag));
        Ok(())
    }

    /// The oldest item if its work is done. Waits for it when `all` is set
    /// (to drain the queue) or when too many items are queued; otherwise
    /// returns None while it is still being compressed, and at the end.
    pub(crate) fn pop(&mut self, all: bool) -> io::Result<Option<Ready<T>>> {
        while let Ok((seq, member)) = self.done.try_recv() {
            self.finished.insert(seq, member?);
        }
        loop {
            let Some((seq, _)) = self.queue.front() else {
                return Ok(None);
            };
            let member = match seq {
                None => None,
                Some(seq) => match self.finished.remove(seq) {
                    Some(member) => Some(member),
                    None if all || self.queue.len() > self.max_queued => {
                        let (seq, member) = self.done.recv().map_err(|_| pool_gone())?;
                        self.finished.insert(seq, member?);
                        continue;
                    }
                    None => return Ok(None),
                },
            };
            return Ok(self.queue.pop_front().map(|(_, tag)| (member, tag)));
        }
    }
}

impl<T> Drop for OrderedGzip<T> {
    fn drop(&mut self) {
        // Closing the job channel ends the workers once the queue is empty.
        self.jobs = None;
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// A worker: compresses jobs until the channel closes.
fn work(jobs: &Mutex<mpsc::Receiver<Job>>, done: &mpsc::Sender<Done>) {
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok((seq, piece, level)) = job else { return };
        if done.send((seq, compress_member(&piece, level))).is_err() {
            return;
        }
    }
}

fn pool_gone() -> io::Error {
    io::Error::other("a compression thread stopped unexpectedly")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;
    use std::io::Read;

    fn text(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| b"apiVersion: v1\nkind: ConfigMap\n"[(i * 7 + seed as usize) % 31])
            .collect()
    }

    /// Pushes `pieces` (None = a tag only) and returns the concatenated
    /// members and the tags in the order they came back.
    fn run(threads: usize, pieces: &[Option<Vec<u8>>]) -> (Vec<u8>, Vec<usize>) {
        let mut pool = OrderedGzip::start(threads).unwrap();
        let mut out = Vec::new();
        let mut tags = Vec::new();
        let mut take = |ready: Ready<usize>| {
            out.extend(ready.0.unwrap_or_default());
            tags.push(ready.1);
        };
        for (tag, piece) in pieces.iter().enumerate() {
            pool.push(piece.clone().map(|p| (p, 6)), tag).unwrap();
            while let Some(ready) = pool.pop(false).unwrap() {
                take(ready);
            }
        }
        while let Some(ready) = pool.pop(true).unwrap() {
            take(ready);
        }
        (out, tags)
    }

    #[test]
    fn members_come_back_in_order_and_gunzip_to_the_input() {
        let pieces: Vec<Option<Vec<u8>>> = (0..40)
            .map(|i| (i % 5 != 3).then(|| text(1000 + i * 3001, i as u8)))
            .collect();
        let (out, tags) = run(3, &pieces);
        assert_eq!(tags, (0..40).collect::<Vec<_>>());
        let mut decoded = Vec::new();
        MultiGzDecoder::new(&out[..])
            .read_to_end(&mut decoded)
            .unwrap();
        let expected: Vec<u8> = pieces.iter().flatten().flatten().copied().collect();
        assert_eq!(decoded.len(), expected.len());
        assert!(decoded == expected);
    }

    #[test]
    fn output_is_the_same_for_any_thread_count() {
        let pieces: Vec<Option<Vec<u8>>> = (0..12).map(|i| Some(text(50_000, i))).collect();
        let (one, _) = run(1, &pieces);
        let (four, _) = run(4, &pieces);
        assert!(one == four);
        let serial: Vec<u8> = pieces
            .iter()
            .flatten()
            .flat_map(|p| compress_member(p, 6).unwrap())
            .collect();
        assert!(one == serial);
    }

    #[test]
    fn standard_gunzip_reads_concatenated_members() {
        let dir = tempfile::tempdir().unwrap();
        let pieces: Vec<Option<Vec<u8>>> = (0..3).map(|i| Some(text(70_000, i))).collect();
        let (out, _) = run(2, &pieces);
        let path = dir.path().join("x.gz");
        std::fs::write(&path, &out).unwrap();
        let gunzip = std::process::Command::new("gzip")
            .arg("-dc")
            .arg(&path)
            .output()
            .unwrap();
        assert!(gunzip.status.success());
        let expected: Vec<u8> = pieces.iter().flatten().flatten().copied().collect();
        assert!(gunzip.stdout == expected);
    }
}
