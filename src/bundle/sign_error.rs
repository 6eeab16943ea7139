//! Why a key or signature operation failed; each message says what to do.
//! The variants are produced by `sign`; the CLI decides how to show them.

use std::path::PathBuf;

/// Why a key or signature operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A key file could not be read or written.
    #[error("cannot access key file {path}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A key file is in the way.
    #[error("{path} already exists; choose another prefix or force overwriting it")]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// Key generation failed.
    #[error("could not generate a key pair")]
    Generate(#[source] minisign::PError),
    /// The secret key is encrypted and no password was given.
    #[error("secret key {path} is encrypted; give its password")]
    PasswordNeeded {
        /// The key file.
        path: PathBuf,
    },
    /// The password does not decrypt the secret key.
    #[error("the password does not decrypt secret key {path}; check the password")]
    WrongPassword {
        /// The key file.
        path: PathBuf,
    },
    /// The file is not a usable minisign secret key.
    #[error("{path} is not a minisign secret key ({reason}); point to the .key file made by `ferry keygen` or `minisign -G`")]
    InvalidSecretKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The text is not a minisign public key.
    #[error("{origin} is not a minisign public key; give the .pub file or its base64 line")]
    InvalidPublicKey {
        /// Where the text came from (a path, or "the given key").
        origin: String,
        /// The cause.
        #[source]
        source: minisign::PError,
    },
    /// The trusted comment would not fit on one line.
    #[error("a trusted comment must be a single line without control characters")]
    BadComment,
    /// The signature text is not a minisign signature.
    #[error("the signature is not a valid minisign signature; re-download the bundle")]
    MalformedSignature(#[source] minisign::PError),
    /// A signature line or global signature line of the wrong length.
    #[error("the signature is not a valid minisign signature (a signature line has the wrong length); re-download the bundle")]
    MalformedSignatureLines,
    /// The signature uses the legacy non-prehashed algorithm.
    #[error("the signature uses minisign's legacy algorithm, which ferry does not accept; ask the author to re-sign")]
    LegacySignature,
    /// Signed by a key other than the trusted one.
    #[error("signed by key {found}, but the trusted key is {expected}; ask the bundle's author for their public key")]
    UntrustedKey {
        /// The trusted key's id.
        expected: String,
        /// The signer's key id.
        found: String,
    },
    /// The signature does not match the data.
    #[error("the signature does not match the signed data; the data was altered: re-download the bundle")]
    BadSignature,
}
