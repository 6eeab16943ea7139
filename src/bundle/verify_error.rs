//! Why a bundle was refused. Every message says what to do next; the
//! reader decides which one applies, the CLI maps them to exit codes.

use super::manifest::ManifestError;
use super::part_error::PartError;
use std::path::PathBuf;

/// A bundle that cannot be trusted or read.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A part of a split bundle is missing, cut short or not the listed one.
    #[error(transparent)]
    Part(#[from] PartError),
    /// The bundle path names nothing.
    #[error("there is no bundle at {path}; check the path (ferry bundle writes one, e.g. kyma-1.0.0-1.3.0.ferry.tar.gz)")]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The bundle path is a directory.
    #[error(
        "{path} is a directory; give the bundle file itself (the .ferry.tar.gz ferry bundle wrote)"
    )]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// The file is not a ferry bundle at all.
    #[error("this file is not a ferry bundle (a bundle is a tar.gz starting with manifest.json); check the file or re-download the bundle")]
    NotABundle,
    /// No `manifest.json.minisig` right after the manifest.
    #[error("the bundle has no manifest.json.minisig signature; ask the bundle's author for a signed bundle")]
    MissingSignature,
    /// The signature does not verify, or is not a minisign signature.
    #[error("the manifest signature does not verify: the bundle was altered or damaged; re-download the bundle")]
    BadSignature,
    /// Signed, but by a key other than the trusted one.
    #[error("the bundle is signed by key {found}, not by the trusted key {expected}; ask the bundle's author for their public key")]
    UntrustedKey {
        /// The trusted key's id.
        expected: String,
        /// The signer's key id.
        found: String,
    },
    /// An entry path that is absolute, climbs out or is otherwise unsafe.
    #[error("the bundle holds an entry with the unsafe path {path:?}; do not use this bundle")]
    UnsafePath {
        /// The path as found (lossy UTF-8).
        path: String,
    },
    /// A link, device, fifo or other non-file entry.
    #[error("bundle entry {path} is a {kind}, not a regular file; do not use this bundle")]
    NotRegularFile {
        /// The entry path.
        path: String,
        /// What it is (`symlink`, `hard link`, ...).
        kind: String,
    },
    /// The same path twice.
    #[error("bundle entry {path} appears twice; re-download the bundle")]
    DuplicateEntry {
        /// The entry path.
        path: String,
    },
    /// An entry the signed manifest does not list.
    #[error("bundle entry {path} is not in the signed manifest; do not use this bundle")]
    UnexpectedFile {
        /// The entry path.
        path: String,
    },
    /// Files the manifest lists that the archive lacks.
    #[error("the bundle lacks files its manifest lists: {}; re-download the bundle", paths.join(", "))]
    MissingFiles {
        /// The missing paths.
        paths: Vec<String>,
    },
    /// An entry whose size disagrees with the manifest.
    #[error("bundle entry {path} is {actual} bytes but the manifest says {expected}; re-download the bundle")]
    SizeMismatch {
        /// The entry path.
        path: String,
        /// Size in the manifest.
        expected: u64,
        /// Size in the archive.
        actual: u64,
    },
    /// An entry whose content disagrees with the manifest.
    #[error("bundle entry {path} has sha256 {actual} but the manifest says {expected}; re-download the bundle")]
    HashMismatch {
        /// The entry path.
        path: String,
        /// Hash in the manifest.
        expected: String,
        /// Hash of the content.
        actual: String,
    },
    /// No `SHA256SUMS.minisig` right after `SHA256SUMS`: a bundle from a ferry that signed only the manifest.
    #[error("the bundle has no SHA256SUMS.minisig signature after SHA256SUMS (it was made by an older ferry that signed only the manifest); rebuild it with this ferry")]
    MissingSumsSignature,
    /// The signature verifies, but its trusted comment is not the one the
    /// manifest implies (the signer's statement of product, range and date).
    #[error("the signature's trusted comment \"{found}\" does not describe this manifest (expected \"{expected}\"): the bundle was not made by ferry or was re-signed; ask the signer for the original bundle")]
    CommentMismatch {
        /// What the signature says.
        found: String,
        /// What the manifest implies.
        expected: String,
    },
    /// `SHA256SUMS.minisig` does not verify, or names another manifest.
    #[error("the SHA256SUMS signature does not verify or does not belong to this manifest: the bundle was altered or damaged; re-download the bundle")]
    BadSumsSignature,
    /// A signature that verifies but is not the exact text ferry writes.
    #[error("{name} verifies, but its unsigned lines (untrusted comment, base64 padding bits, line breaks) differ from what ferry writes: the bundle was altered; re-download it")]
    SignatureNotCanonical {
        /// The signature file.
        name: &'static str,
    },
    /// `SHA256SUMS` is not the one the manifest implies.
    #[error("SHA256SUMS does not match the signed manifest; re-download the bundle")]
    SumsMismatch,
    /// Data after the tar end-of-archive marker: unsigned content `tar -i` would extract.
    #[error("the bundle holds data after the end of its tar archive, which no signature covers (tar -i would extract it); do not use this bundle")]
    TrailingData,
    /// A non-zero byte in the padding that ends a tar entry's last block.
    #[error("byte {offset} of the unpacked archive, in the zero padding after an entry's content, is not zero: no signature covers it; the bundle was altered or not written by ferry, re-download it")]
    NonZeroPadding {
        /// Offset in the decompressed tar stream.
        offset: u64,
    },
    /// A gzip member header byte other than the one ferry writes.
    #[error("byte {offset} of the bundle is {found:#04x} where every gzip member header ferry writes has {expected:#04x}: the bundle was altered or not written by ferry; re-download the bundle")]
    GzipHeader {
        /// Offset of the byte in the bundle file.
        offset: u64,
        /// The byte found.
        found: u8,
        /// The byte ferry writes.
        expected: u8,
    },
    /// Bytes where a gzip member should start that do not start one.
    #[error("the bundle holds bytes at offset {offset} that do not start a gzip member: data appended after the last member, or a damaged member, which no signature covers; do not use this bundle")]
    NotAGzipMember {
        /// Offset in the bundle file.
        offset: u64,
    },
    /// A member's deflate data does not decode.
    #[error("the compressed data of the gzip member at offset {offset} of the bundle is damaged; re-download the bundle")]
    GzipDamaged {
        /// Offset of the member's header in the bundle file.
        offset: u64,
    },
    /// A member's trailer disagrees with its content.
    #[error("the gzip trailer's {field} at offset {offset} of the bundle does not match the member's content: the bundle was altered or damaged; re-download the bundle")]
    GzipTrailer {
        /// Offset of the field in the bundle file.
        offset: u64,
        /// `CRC32` or `ISIZE`.
        field: &'static str,
    },
    /// A tar header kind ferry never writes (PAX, GNU long link, a stray long name).
    #[error("the tar header at decompressed offset {offset} (named {name:?}) is a {kind}, which ferry never writes and which can rename or resize an entry for other tools; do not use this bundle")]
    UnsupportedHeader {
        /// Offset of the header in the decompressed tar stream.
        offset: u64,
        /// The header's own name field.
        name: String,
        /// What it is.
        kind: &'static str,
    },
    /// A GNU long name that does not start with the name in its entry's header.
    #[error("the GNU long name {long:?} at decompressed offset {offset} renames the entry whose header says {short:?} (ferry writes the long name's start there); do not use this bundle")]
    LongNameMismatch {
        /// Offset of the long name header in the decompressed tar stream.
        offset: u64,
        /// The long name.
        long: String,
        /// The name in the entry's header.
        short: String,
    },
    /// Two paths that are one on a case-insensitive or normalising filesystem.
    #[error("bundle paths {first:?} and {second:?} differ only in letter case or Unicode normalisation, so on a case-insensitive or normalising filesystem one would overwrite the other; do not use this bundle")]
    PathCollision {
        /// The path listed first.
        first: String,
        /// The path that collides with it.
        second: String,
    },
    /// The gzip or tar stream ends early.
    #[error("the bundle is truncated; re-download it")]
    Truncated,
    /// The archive holds more data than its manifest declares.
    #[error("the bundle decompresses to more than {limit} bytes, more than its manifest declares; do not use this bundle")]
    TooLarge {
        /// The limit that was exceeded, in decompressed bytes.
        limit: u64,
    },
    /// The compressed or tar data is damaged.
    #[error("the bundle's data is damaged; re-download the bundle")]
    Corrupt(#[source] std::io::Error),
    /// The extraction destination is in use.
    #[error(
        "{path} exists and is not an empty directory; choose another destination or remove it"
    )]
    DestinationExists {
        /// The destination.
        path: PathBuf,
    },
    /// A file could not be read or written.
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The signed manifest is unusable.
    #[error("the bundle's manifest is unusable")]
    Manifest(#[from] ManifestError),
}
