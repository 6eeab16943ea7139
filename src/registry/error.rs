//! Why an image could not be pulled, naming the image and what to do.

/// An image that could not be resolved or pulled.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference does not parse.
    #[error(transparent)]
    Reference(#[from] crate::images::reference::ReferenceError),
    /// The registry refused the credentials (or wants some).
    #[error("{image}: the registry {registry} refused access ({detail}); log in (credentials in ~/.docker/config.json or REGISTRY_AUTH_FILE), or pull through a mirror with --registry-mirror")]
    Denied {
        /// The image.
        image: String,
        /// The registry asked.
        registry: String,
        /// What it said.
        detail: String,
    },
    /// The registry has no such image or blob.
    #[error("{image}: {what} not found on {registry}; check the reference, or leave it out with --skip-image {image}")]
    NotFound {
        /// The image.
        image: String,
        /// The manifest or blob.
        what: String,
        /// The registry asked.
        registry: String,
    },
    /// TLS with the registry failed (never retried).
    #[error("{image}: TLS with the registry {registry} failed: {problem}. If it uses a private CA, pass that CA with --ca-cert FILE (or set SSL_CERT_FILE to it); a registry without TLS is named with --registry-insecure")]
    Tls {
        /// The image.
        image: String,
        /// The registry asked.
        registry: String,
        /// What went wrong, in words.
        problem: String,
    },
    /// A `--ca-cert` file that cannot be used.
    #[error(transparent)]
    CaCert(#[from] crate::tls::CaFileError),
    /// The registry failed or the connection broke, on every attempt.
    #[error("{image}: {registry} failed {attempts} times ({detail}); check the network or the registry, then try again")]
    Unavailable {
        /// The image.
        image: String,
        /// The registry asked.
        registry: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// Content whose digest is not the one asked for.
    #[error("{image}: {what} from {registry} has digest {actual}, not {expected}; the registry or a proxy altered it")]
    DigestMismatch {
        /// The image.
        image: String,
        /// The manifest or blob.
        what: String,
        /// The registry asked.
        registry: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what came.
        actual: String,
    },
    /// A manifest or blob larger than ferry accepts, or than declared.
    #[error("{image}: {what} is larger than {limit} bytes; refusing it")]
    TooLarge {
        /// The image.
        image: String,
        /// The manifest or blob.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A manifest that is not what the registry said it is.
    #[error("{image}: the manifest {digest} is not a valid {media_type}: {detail}")]
    BadManifest {
        /// The image.
        image: String,
        /// Its digest.
        digest: String,
        /// The media type it claims.
        media_type: String,
        /// What is wrong.
        detail: String,
    },
    /// `--platform` leaves nothing of a multi-platform image.
    #[error("{image}: none of its platforms ({available}) is one of --platform {wanted}")]
    NoPlatform {
        /// The image.
        image: String,
        /// Its platforms.
        available: String,
        /// What was asked.
        wanted: String,
    },
    /// Building from an archive, and the archive lacks an image or part of one.
    #[error("{image}: {what} is not in the archive {}; run `ferry mirror --images --dest {}` (with the same --platform) where the registry is reachable, or leave it out with --skip-image {image}", dir.display(), dir.display())]
    NotArchived {
        /// The image.
        image: String,
        /// The manifest or blob missing.
        what: String,
        /// The archive.
        dir: std::path::PathBuf,
    },
    /// The credentials file could not be read.
    #[error("cannot read registry credentials from {path}")]
    AuthFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The download cache failed.
    #[error(transparent)]
    Cache(#[from] crate::fetch::CacheError),
    /// Local I/O on the cache failed.
    #[error("cannot write {path} in the download cache")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
