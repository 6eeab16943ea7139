//! The trusted keys of a command (`--pub`, `--trusted-keys`) and the
//! freshness verdict on a verified bundle, shared by every command that
//! reads a bundle.

use crate::bundle::freshness::{self, Freshness};
use crate::bundle::keyring::Keyring;
use crate::bundle::manifest::Manifest;
use crate::bundle::reader;
use crate::bundle::sign::PublicKey;
use crate::cli::args::TrustArgs;
use crate::cli::exit::UsageError;
use crate::cli::remote::{self, Located};
use anyhow::Result;
use std::path::Path;

/// The trusted keys given, if any.
pub fn keyring(args: &TrustArgs) -> Result<Option<Keyring>> {
    if args.keys.is_empty() && args.trusted_keys.is_none() {
        return Ok(None);
    }
    Ok(Some(Keyring::load(
        &args.keys,
        args.trusted_keys.as_deref(),
    )?))
}

/// The trusted keys, for a command that must verify.
pub fn required_keyring(args: &TrustArgs) -> Result<Keyring> {
    keyring(args)?.ok_or_else(|| {
        UsageError(
            "no trusted key: pass --pub KEY (repeatable), or --trusted-keys DIR (or FERRY_TRUSTED_KEYS) naming a directory of *.pub files".into(),
        )
        .into()
    })
}

/// The bundle `path` names (one file, a split bundle whose index is
/// verified here, or an `oci://` bundle pulled now) and the trusted key
/// that signed it, for a command that must verify.
pub async fn signed_bundle(
    args: &TrustArgs,
    path: &Path,
    quiet: bool,
) -> Result<(Located, PublicKey)> {
    let keyring = required_keyring(args)?;
    let located = remote::locate(path, Some(&keyring), &args.oci, quiet).await?;
    let key = reader::signer(&located.input, &keyring)?;
    Ok((located, key))
}

/// The bundle `path` names and, when keys are trusted, the one that signed
/// it (for `inspect` and `guide`, which also show unverified bundles).
pub async fn bundle_and_signer(
    args: &TrustArgs,
    path: &Path,
    quiet: bool,
) -> Result<(Located, Option<PublicKey>)> {
    let keyring = keyring(args)?;
    let located = remote::locate(path, keyring.as_ref(), &args.oci, quiet).await?;
    let key = match &keyring {
        Some(keyring) => Some(reader::signer(&located.input, keyring)?),
        None => None,
    };
    Ok((located, key))
}

/// Refuses an expired bundle unless `allow_expired`; says on stderr when
/// one is used anyway.
pub fn check_fresh(manifest: &Manifest, allow_expired: bool) -> Result<Freshness> {
    let freshness = freshness::check(manifest, std::time::SystemTime::now(), allow_expired)?;
    if let Freshness::ExpiredButAllowed { expires } = &freshness {
        let when = expires.as_deref().unwrap_or("(no expiry recorded)");
        tracing::warn!("the bundle expired at {when}; used anyway (--allow-expired)");
    }
    Ok(freshness)
}
