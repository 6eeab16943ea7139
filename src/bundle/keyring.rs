//! The public keys the air-gapped side trusts: `--pub` files plus every
//! `*.pub` file of a trusted-keys directory, and which of them a bundle's
//! signature names. More than one key makes rotation possible: trust the
//! new key beside the old, sign with the new, then remove the old.

use super::sign::{describe_signature, load_public_key, PublicKey, SignError};
use super::verify_error::VerifyError;
use std::path::{Path, PathBuf};

/// One trusted key and the file it came from.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key.
    pub key: PublicKey,
    /// Its file.
    pub file: PathBuf,
}

/// The trusted keys, without duplicates, in the order given (files, then
/// the directory's by name).
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    keys: Vec<TrustedKey>,
}

/// Why the trusted keys could not be loaded or none fits.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// A key file is unreadable or not a minisign public key.
    #[error(transparent)]
    Key(#[from] SignError),
    /// The trusted-keys directory cannot be listed.
    #[error("cannot read the trusted-keys directory {dir}")]
    Dir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The directory holds no `*.pub` file.
    #[error(
        "the trusted-keys directory {dir} holds no *.pub file; put the public keys to trust there"
    )]
    EmptyDir {
        /// The directory.
        dir: PathBuf,
    },
    /// None of the trusted keys signed the bundle.
    #[error("{bundle} is signed by key {found}, which is not trusted here (trusted: {}); if the signer rotated keys, add their new public key with --pub or to the trusted-keys directory", trusted.join(", "))]
    NotTrusted {
        /// The bundle.
        bundle: PathBuf,
        /// The signer's key id.
        found: String,
        /// The trusted key ids.
        trusted: Vec<String>,
    },
    /// The bundle's head could not be read.
    #[error(transparent)]
    Bundle(#[from] VerifyError),
}

impl Keyring {
    /// Loads every key of `files` and of `dir`'s `*.pub` files.
    pub fn load(files: &[PathBuf], dir: Option<&Path>) -> Result<Keyring, KeyringError> {
        let mut paths = files.to_vec();
        if let Some(dir) = dir {
            paths.extend(pub_files(dir)?);
        }
        let mut keyring = Keyring::default();
        for file in paths {
            let key = load_public_key(&file)?;
            if !keyring.ids().contains(&key.key_id()) {
                keyring.keys.push(TrustedKey { key, file });
            }
        }
        Ok(keyring)
    }

    /// True when no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted key ids, as minisign prints them.
    pub fn ids(&self) -> Vec<String> {
        self.keys.iter().map(|k| k.key.key_id()).collect()
    }

    /// The trusted key that the minisign `signature` of `file` names, the
    /// same way as [`Keyring::pick`].
    pub fn signer_of_file(&self, file: &Path, signature: &str) -> Result<PublicKey, KeyringError> {
        let key_id = describe_signature(signature).ok().map(|s| s.key_id);
        self.pick(file, key_id)
    }

    /// The trusted key that a signature of `file` with `key_id` names: with
    /// one key, that key (the verifier then says whether it signed); with
    /// several, the one with that id, or an error listing the trusted ones;
    /// with no id (no readable signature), the first. Only picks: the
    /// caller still verifies with the key returned.
    pub fn pick(&self, file: &Path, key_id: Option<String>) -> Result<PublicKey, KeyringError> {
        let first = match self.keys.as_slice() {
            [only] => return Ok(only.key.clone()),
            [first, ..] => Some(first.key.clone()),
            [] => None,
        };
        let Some(key_id) = key_id else {
            // No readable signature: the verifier says so with the first key.
            return first.ok_or_else(|| self.not_trusted(file, "(none)"));
        };
        self.keys
            .iter()
            .find(|k| k.key.key_id() == key_id)
            .map(|k| k.key.clone())
            .ok_or_else(|| self.not_trusted(file, &key_id))
    }

    fn not_trusted(&self, bundle: &Path, found: &str) -> KeyringError {
        KeyringError::NotTrusted {
            bundle: bundle.to_path_buf(),
            found: found.to_string(),
            trusted: self.ids(),
        }
    }
}

/// The `*.pub` files directly in `dir`, by name.
fn pub_files(dir: &Path) -> Result<Vec<PathBuf>, KeyringError> {
    let dir_err = |source| KeyringError::Dir {
        dir: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(dir_err)? {
        let path = entry.map_err(dir_err)?.path();
        if path.extension().is_some_and(|ext| ext == "pub") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(KeyringError::EmptyDir {
            dir: dir.to_path_buf(),
        });
    }
    files.sort();
    Ok(files)
}
