//! minisign keys and signatures: generating and loading key files, signing
//! the manifest and verifying a signature against a trusted public key.
//!
//! Key files and signatures use minisign's formats, so Debian's `minisign`
//! reads ferry's files and ferry reads `minisign`'s. Signatures are always
//! prehashed (Ed25519 over the data's BLAKE2b-512, minisign's default `ED`
//! algorithm) and deterministic: the same key, data and trusted comment give
//! the same text, which keeps bundles reproducible. The `minisign` crate's
//! own signer adds random noise, so signing uses `ring`'s RFC 8032 Ed25519;
//! the crate parses keys and signatures and verifies. Key storage and
//! password prompts are the CLI's business; what gets signed is the writer's.

use super::atomic::{write_atomic, Overwrite};
pub use super::sign_error::SignError;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use blake2::digest::consts::U32;
use blake2::{Blake2b, Blake2b512, Digest as _};
use std::ffi::OsString;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The untrusted comment on every signature ferry makes.
const UNTRUSTED_COMMENT: &str = "signature from ferry secret key";
/// The untrusted comment on every secret key ferry makes.
const SECRET_KEY_COMMENT: &str = "ferry secret key";
/// Largest key file ferry reads.
const KEY_FILE_CAP: u64 = 64 * 1024;

/// Algorithm tag of a prehashed (Ed25519ph) signature.
const SIGALG_PREHASHED: &[u8; 2] = b"ED";
/// Algorithm tag of an Ed25519 key.
const SIGALG_KEY: &[u8; 2] = b"Ed";
/// Key derivation tag of an unencrypted secret key.
const KDF_NONE: [u8; 2] = [0, 0];
/// Key derivation tag of a scrypt-encrypted secret key.
const KDF_SCRYPT: &[u8; 2] = b"Sc";

/// The two files [`generate_keypair`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFiles {
    /// The secret key file (`PREFIX.key`).
    pub secret: PathBuf,
    /// The public key file (`PREFIX.pub`).
    pub public: PathBuf,
    /// The key id, as minisign prints it (16 upper-case hex digits).
    pub key_id: String,
}

/// A decrypted secret key, ready to sign.
pub struct SecretKey {
    keynum: [u8; 8],
    pair: ring::signature::Ed25519KeyPair,
}

impl SecretKey {
    /// The key id, as minisign prints it.
    pub fn key_id(&self) -> String {
        key_id(&self.keynum)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.key_id())
    }
}

/// A trusted public key.
#[derive(Debug, Clone)]
pub struct PublicKey(minisign::PublicKey);

impl PublicKey {
    /// The key id, as minisign prints it.
    pub fn key_id(&self) -> String {
        key_id(self.0.keynum())
    }

    /// The key in minisign's `.pub` file format.
    pub fn to_file_text(&self) -> String {
        let id = self.key_id();
        format!(
            "untrusted comment: minisign public key {id}\n{}\n",
            self.0.to_base64()
        )
    }
}

/// What a signature says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The signer's key id, as minisign prints it.
    pub key_id: String,
    /// The signed trusted comment.
    pub trusted_comment: String,
}

/// Writes PREFIX.key (secret; encrypted with `password`, or unencrypted when None) and
/// PREFIX.pub, each atomically; refuses to overwrite existing files unless `force`.
pub fn generate_keypair(
    prefix: &Path,
    password: Option<&str>,
    force: bool,
) -> Result<KeyFiles, SignError> {
    let secret = with_suffix(prefix, ".key");
    let public = with_suffix(prefix, ".pub");
    if !force {
        for path in [&secret, &public] {
            if path.exists() {
                return Err(SignError::Exists { path: path.clone() });
            }
        }
    }
    let pair = match password {
        Some(password) => minisign::KeyPair::generate_encrypted_keypair(Some(password.into())),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(SignError::Generate)?;
    let secret_text = pair
        .sk
        .to_box(Some(SECRET_KEY_COMMENT))
        .map_err(SignError::Generate)?
        .into_string();
    let public_key = PublicKey(pair.pk);
    let overwrite = if force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    write_key(&secret, secret_text.as_bytes(), 0o600, overwrite)?;
    if let Err(err) = write_key(
        &public,
        public_key.to_file_text().as_bytes(),
        0o644,
        overwrite,
    ) {
        // Do not leave a secret key without its public half behind.
        let _ = std::fs::remove_file(&secret);
        return Err(err);
    }
    Ok(KeyFiles {
        secret,
        public,
        key_id: public_key.key_id(),
    })
}

/// Loads a secret key; an encrypted one needs `password` (error SignError::PasswordNeeded if None,
/// SignError::WrongPassword if it does not decrypt). Keys made by Debian's `minisign -G -W` must load.
pub fn load_secret_key(path: &Path, password: Option<&str>) -> Result<SecretKey, SignError> {
    let text = read_key_file(path)?;
    let raw = decode_secret_box(path, &text)?;
    let invalid = |reason: String| SignError::InvalidSecretKey {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = if raw[2..4] == KDF_NONE {
        // minisign 0.11 leaves the checksum of an unencrypted key zeroed;
        // the seed/public-key consistency check below still catches damage.
        if raw[126..158].iter().any(|b| *b != 0) && !checksum_ok(&raw) {
            return Err(invalid("checksum mismatch".into()));
        }
        raw
    } else if &raw[2..4] == KDF_SCRYPT {
        let password = password.ok_or_else(|| SignError::PasswordNeeded {
            path: path.to_path_buf(),
        })?;
        let sk_box =
            minisign::SecretKeyBox::from_string(&text).map_err(|e| invalid(e.to_string()))?;
        minisign::SecretKey::from_box(sk_box, Some(password.into()))
            .map_err(|e| match e.kind() {
                minisign::ErrorKind::Verify => SignError::WrongPassword {
                    path: path.to_path_buf(),
                },
                _ => invalid(e.to_string()),
            })?
            .to_bytes()
    } else {
        return Err(invalid("unknown key encryption".into()));
    };
    secret_from_bytes(&bytes).ok_or_else(|| invalid("damaged key material".into()))
}

/// Does the key's BLAKE2b-256 checksum over algorithm, key number and
/// secret match?
fn checksum_ok(raw: &[u8]) -> bool {
    let mut hasher = Blake2b::<U32>::new();
    hasher.update(&raw[..2]);
    hasher.update(&raw[54..126]);
    hasher.finalize().as_slice() == &raw[126..158]
}

/// Is this secret key file encrypted? (so the CLI knows whether to prompt)
pub fn secret_key_is_encrypted(path: &Path) -> Result<bool, SignError> {
    let text = read_key_file(path)?;
    let raw = decode_secret_box(path, &text)?;
    Ok(raw[2..4] != KDF_NONE)
}

/// Loads a minisign `.pub` file.
pub fn load_public_key(path: &Path) -> Result<PublicKey, SignError> {
    let text = read_key_file(path)?;
    parse_key_text(&text, path.display().to_string())
}

/// Parses a public key from `.pub` file text or a bare base64 line.
pub fn parse_public_key(text: &str) -> Result<PublicKey, SignError> {
    parse_key_text(text, "the given public key".into())
}

/// Deterministic minisign signature text (fixed untrusted comment; trusted comment given).
pub fn sign(key: &SecretKey, data: &[u8], trusted_comment: &str) -> Result<String, SignError> {
    if trusted_comment.chars().any(char::is_control) {
        return Err(SignError::BadComment);
    }
    let prehash = Blake2b512::digest(data);
    let signature = key.pair.sign(&prehash);
    let mut sig_line = Vec::with_capacity(74);
    sig_line.extend_from_slice(SIGALG_PREHASHED);
    sig_line.extend_from_slice(&key.keynum);
    sig_line.extend_from_slice(signature.as_ref());
    let mut global = signature.as_ref().to_vec();
    global.extend_from_slice(trusted_comment.as_bytes());
    let global_sig = key.pair.sign(&global);
    Ok(format!(
        "untrusted comment: {UNTRUSTED_COMMENT}\n{}\ntrusted comment: {trusted_comment}\n{}\n",
        BASE64.encode(&sig_line),
        BASE64.encode(global_sig.as_ref()),
    ))
}

/// Verifies; returns the signer's key id (hex, as minisign prints it) and the trusted comment.
pub fn verify(key: &PublicKey, data: &[u8], signature: &str) -> Result<SignatureInfo, SignError> {
    let sig_box = parse_signature(signature)?;
    let found = key_id(sig_box.keynum());
    let expected = key.key_id();
    if found != expected {
        return Err(SignError::UntrustedKey { expected, found });
    }
    if !sig_box.is_prehashed() {
        return Err(SignError::LegacySignature);
    }
    minisign::verify(&key.0, &sig_box, Cursor::new(data), true, false, false)
        .map_err(|_| SignError::BadSignature)?;
    describe(&sig_box)
}

/// True when `signature` is exactly the text [`sign`] writes for
/// `trusted_comment`: ferry's untrusted comment, canonical base64, no
/// extra lines. minisign leaves the untrusted comment unsigned and its
/// base64 has spare bits, so a bundle reader requires this on top of
/// [`verify`] to account for every byte.
pub fn is_canonical(signature: &str, trusted_comment: &str) -> bool {
    let lines: Vec<&str> = signature.split('\n').collect();
    let [untrusted, sig, trusted, global, ""] = lines.as_slice() else {
        return false;
    };
    let canonical = |line: &str| {
        BASE64
            .decode(line)
            .is_ok_and(|bytes| BASE64.encode(bytes) == line)
    };
    *untrusted == format!("untrusted comment: {UNTRUSTED_COMMENT}")
        && canonical(sig)
        && *trusted == format!("trusted comment: {trusted_comment}")
        && canonical(global)
}

/// Reads key id and trusted comment from a signature without verifying (for `inspect`).
pub fn describe_signature(signature: &str) -> Result<SignatureInfo, SignError> {
    describe(&parse_signature(signature)?)
}

fn describe(sig_box: &minisign::SignatureBox) -> Result<SignatureInfo, SignError> {
    Ok(SignatureInfo {
        key_id: key_id(sig_box.keynum()),
        trusted_comment: sig_box
            .trusted_comment()
            .map_err(SignError::MalformedSignature)?,
    })
}

/// Bytes of a minisign signature line (algorithm, key number, signature)
/// and of its global signature line, once base64-decoded.
const SIGNATURE_LINE_BYTES: usize = 2 + 8 + 64;
const GLOBAL_SIGNATURE_BYTES: usize = 64;

fn parse_signature(signature: &str) -> Result<minisign::SignatureBox, SignError> {
    let sig_box =
        minisign::SignatureBox::from_string(signature).map_err(SignError::MalformedSignature)?;
    // The minisign crate indexes a short global signature out of bounds
    // when verifying (a panic, not an error): check both lines' lengths.
    let decoded_len = |line: Option<&str>| {
        line.and_then(|line| BASE64.decode(line.trim()).ok())
            .map(|bytes| bytes.len())
    };
    let lines: Vec<&str> = signature.lines().collect();
    let sig = decoded_len(lines.get(1).copied());
    let global = decoded_len(lines.get(3).copied());
    if sig != Some(SIGNATURE_LINE_BYTES) || global != Some(GLOBAL_SIGNATURE_BYTES) {
        return Err(SignError::MalformedSignatureLines);
    }
    Ok(sig_box)
}

/// Formats a key number the way minisign prints key ids (hex, no zero padding).
fn key_id(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    for (dst, src) in bytes.iter_mut().zip(keynum) {
        *dst = *src;
    }
    format!("{:X}", u64::from_le_bytes(bytes))
}

fn parse_key_text(text: &str, origin: String) -> Result<PublicKey, SignError> {
    let invalid = |source| SignError::InvalidPublicKey {
        origin: origin.clone(),
        source,
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // A `.pub` file is a comment line then the key; a bare key is one line.
    // Anything else is handed on as an empty key, which minisign rejects.
    let line = match lines.as_slice() {
        [line] => line,
        [comment, line, ..] if comment.starts_with("untrusted comment:") => line,
        _ => "",
    };
    let key = minisign::PublicKey::from_base64(line).map_err(invalid)?;
    if key.to_bytes().get(..2) != Some(SIGALG_KEY.as_slice()) {
        return Err(invalid(minisign::PError::new(
            minisign::ErrorKind::Encoding,
            "unsupported key algorithm",
        )));
    }
    Ok(PublicKey(key))
}

/// Decodes a secret key file's base64 line and checks it has the layout of
/// an Ed25519 minisign key (158 bytes, algorithm `Ed`).
fn decode_secret_box(path: &Path, text: &str) -> Result<Vec<u8>, SignError> {
    let invalid = |reason: &str| SignError::InvalidSecretKey {
        path: path.to_path_buf(),
        reason: reason.into(),
    };
    let line = text.lines().nth(1).ok_or_else(|| invalid("no key line"))?;
    let raw = BASE64
        .decode(line.trim())
        .map_err(|_| invalid("the key line is not base64"))?;
    if raw.len() != 158 || &raw[..2] != SIGALG_KEY {
        return Err(invalid("not an Ed25519 key"));
    }
    Ok(raw)
}

/// Builds a signing key from minisign's decrypted secret key bytes:
/// algorithm, kdf and checksum tags, salt, limits, key number, the 64-byte
/// Ed25519 secret (seed then public key), checksum.
fn secret_from_bytes(bytes: &[u8]) -> Option<SecretKey> {
    let keynum: [u8; 8] = bytes.get(54..62)?.try_into().ok()?;
    let seed = bytes.get(62..94)?;
    let public = bytes.get(94..126)?;
    let pair = ring::signature::Ed25519KeyPair::from_seed_and_public_key(seed, public).ok()?;
    Some(SecretKey { keynum, pair })
}

fn read_key_file(path: &Path) -> Result<String, SignError> {
    let io_err = |source| SignError::Io {
        path: path.to_path_buf(),
        source,
    };
    let len = std::fs::metadata(path).map_err(io_err)?.len();
    if len > KEY_FILE_CAP {
        return Err(io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{len} bytes is too large for a key file"),
        )));
    }
    std::fs::read_to_string(path).map_err(io_err)
}

fn write_key(path: &Path, data: &[u8], mode: u32, overwrite: Overwrite) -> Result<(), SignError> {
    write_atomic(path, data, mode, overwrite).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            SignError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            SignError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(prefix.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}
