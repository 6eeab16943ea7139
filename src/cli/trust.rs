//! The trusted keys of a command (`--pub`, `--trusted-keys`) and the
//! freshness verdict on a verified bundle, shared by every command that
//! reads a bundle.

use crate::bundle::freshness::{self, Freshness};
use crate::bundle::input::BundleInput;
use crate::bundle::keyring::Keyring;
use crate::bundle::manifest::Manifest;
use crate::bundle::reader;
use crate::bundle::sign::PublicKey;
use crate::cli::args::TrustArgs;
use crate::cli::exit::UsageError;
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

/// The bundle `path` names (one file, or a split bundle whose index is
/// verified here) and the trusted key that signed it, for a command that
/// must verify.
pub fn signed_bundle(args: &TrustArgs, path: &Path) -> Result<(BundleInput, PublicKey)> {
    let keyring = required_keyring(args)?;
    let input = BundleInput::locate(path, Some(&keyring))?;
    let key = reader::signer(&input, &keyring)?;
    Ok((input, key))
}

/// The bundle `path` names and, when keys are trusted, the one that signed
/// it (for `inspect` and `guide`, which also show unverified bundles).
pub fn bundle_and_signer(
    args: &TrustArgs,
    path: &Path,
) -> Result<(BundleInput, Option<PublicKey>)> {
    let keyring = keyring(args)?;
    let input = BundleInput::locate(path, keyring.as_ref())?;
    let key = match &keyring {
        Some(keyring) => Some(reader::signer(&input, keyring)?),
        None => None,
    };
    Ok((input, key))
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
