//! The bundle's decompressed stream, inflated on a thread of its own: one
//! thread reads the file (or its parts), hashes it and inflates and checks
//! every gzip member; the reader's thread walks the tar entries and hashes
//! the payload. Chunks pass through a small bounded channel, so memory
//! stays flat and the order of bytes and errors is exactly the file's.

use super::gunzip::Gunzip;
use super::input::Reader;
use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

/// Decompressed bytes per chunk.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the two threads.
const IN_FLIGHT: usize = 8;

enum Chunk {
    Data(Vec<u8>),
    /// The stream ended; the file's SHA-256 when every member checked out.
    End(Option<String>),
    Failed(io::Error),
}

/// The decompressed stream, read from the inflating thread.
pub(crate) struct Inflated {
    chunks: Option<Receiver<Chunk>>,
    thread: Option<JoinHandle<()>>,
    current: Vec<u8>,
    pos: usize,
    /// Set once the stream ended: the file's SHA-256, if it checked out.
    ended: Option<Option<String>>,
}

impl Inflated {
    /// Starts inflating `gunzip` on its own thread.
    pub(crate) fn spawn(mut gunzip: Gunzip<Reader>) -> io::Result<Inflated> {
        let (send, chunks) = sync_channel(IN_FLIGHT);
        let thread = std::thread::Builder::new()
            .name("ferry-inflate".into())
            .spawn(move || loop {
                let mut buf = vec![0u8; CHUNK];
                let chunk = match gunzip.read(&mut buf) {
                    Ok(0) => Chunk::End(gunzip.file_sha256()),
                    Ok(n) => {
                        buf.truncate(n);
                        Chunk::Data(buf)
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => Chunk::Failed(err),
                };
                let last = !matches!(chunk, Chunk::Data(_));
                // The reader went away (it had what it needed): stop.
                if send.send(chunk).is_err() || last {
                    return;
                }
            })?;
        Ok(Inflated {
            chunks: Some(chunks),
            thread: Some(thread),
            current: Vec::new(),
            pos: 0,
            ended: None,
        })
    }

    /// The SHA-256 of the whole file, once the stream ended and every gzip
    /// member checked out.
    pub(crate) fn file_sha256(&self) -> Option<String> {
        self.ended.clone().flatten()
    }
}

impl Read for Inflated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.ended.is_some() {
                return Ok(0);
            }
            let next = self.chunks.as_ref().and_then(|chunks| chunks.recv().ok());
            match next {
                Some(Chunk::Data(data)) => {
                    self.current = data;
                    self.pos = 0;
                }
                Some(Chunk::End(sha256)) => self.ended = Some(sha256),
                Some(Chunk::Failed(err)) => return Err(err),
                None => return Err(io::Error::other("the inflating thread stopped")),
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Drop for Inflated {
    /// Stops the thread before the stream is gone, so nothing reads the
    /// file (or the parts, which the reader may still hash to name a bad
    /// one) behind the reader's back.
    fn drop(&mut self) {
        drop(self.chunks.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
