//! The tar bytes of a bundle apart from payload content: whole small
//! entries (manifest, signature, checksums), the header of each payload
//! entry, the zero padding after its content and the end-of-archive marker,
//! all with ferry's fixed metadata (mode 0644, uid/gid 0, one mtime).
//!
//! Payload content is streamed by the writer between a header from here and
//! its padding, so the writer can compress it on its own.

use std::io;

/// Mode of every archive entry.
const ENTRY_MODE: u32 = 0o644;
/// Tar's block size: content is padded to a multiple of it.
const BLOCK: u64 = 512;

/// Collects tar bytes until the writer takes them.
pub(crate) struct TarLayout {
    builder: tar::Builder<Vec<u8>>,
    mtime: u64,
}

impl TarLayout {
    /// An empty layout whose entries all carry `mtime`.
    pub(crate) fn new(mtime: u64) -> TarLayout {
        TarLayout {
            builder: tar::Builder::new(Vec::new()),
            mtime,
        }
    }

    /// Appends a whole entry: header, `data` and padding.
    pub(crate) fn entry(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        let mut header = self.header_for(data.len() as u64);
        self.builder.append_data(&mut header, name, data)
    }

    /// Appends only the header (with a long-name record if `path` needs one)
    /// of an entry of `size` bytes; its content and [`padding`] follow.
    pub(crate) fn header(&mut self, path: &str, size: u64) -> io::Result<()> {
        let mut header = self.header_for(size);
        // Nothing is copied, so the builder writes the header and no padding.
        self.builder.append_data(&mut header, path, io::empty())
    }

    /// Appends the end-of-archive marker; nothing may follow it.
    pub(crate) fn end(&mut self) -> io::Result<()> {
        self.builder.finish()
    }

    /// Takes the bytes appended so far.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(self.builder.get_mut())
    }

    fn header_for(&self, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        header.set_mode(ENTRY_MODE);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(self.mtime);
        header
    }
}

/// The zero bytes that follow `size` bytes of content in a tar archive.
pub(crate) fn padding(size: u64) -> usize {
    ((BLOCK - size % BLOCK) % BLOCK) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn pieces_put_together_make_the_archive_tar_would_write() {
        let long = format!("hops/1.2.3/assets/{}.yaml", "x".repeat(120));
        let files: [(&str, &[u8]); 3] = [("a.txt", b"hello"), (&long, &[7u8; 1024]), ("e", b"")];

        let mut layout = TarLayout::new(42);
        layout.entry("manifest.json", b"{}").unwrap();
        let mut ours = layout.take();
        for (path, data) in files {
            layout.header(path, data.len() as u64).unwrap();
            ours.extend(layout.take());
            ours.extend_from_slice(data);
            ours.extend(vec![0; padding(data.len() as u64)]);
        }
        layout.end().unwrap();
        ours.extend(layout.take());

        let mut archive = tar::Archive::new(&ours[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            assert_eq!(entry.header().mtime().unwrap(), 42);
            assert_eq!(entry.header().mode().unwrap(), 0o644);
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            seen.push((entry.path().unwrap().display().to_string(), data));
        }
        let expected: Vec<(String, Vec<u8>)> = std::iter::once(("manifest.json", &b"{}"[..]))
            .chain(files)
            .map(|(p, d)| (p.to_string(), d.to_vec()))
            .collect();
        assert_eq!(seen, expected);
        assert_eq!(ours.len() % 512, 0);
    }

    #[test]
    fn padding_fills_to_the_block() {
        assert_eq!(padding(0), 0);
        assert_eq!(padding(1), 511);
        assert_eq!(padding(512), 0);
        assert_eq!(padding(513), 511);
    }
}
