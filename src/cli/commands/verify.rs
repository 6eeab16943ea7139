//! `ferry verify`: signature and every file, or a non-zero exit.

use crate::bundle::freshness::Freshness;
use crate::bundle::input::BundleInput;
use crate::bundle::reader;
use crate::cli::args::VerifyArgs;
use crate::cli::output::{human_size, outln, print_json};
use crate::cli::settings::Globals;
use crate::cli::trust::{check_fresh, signed_bundle};
use anyhow::Result;
use serde_json::json;

/// Verifies and prints what was proven.
pub async fn run(globals: &Globals, args: &VerifyArgs) -> Result<()> {
    let (located, key) = signed_bundle(&args.trust, &args.bundle, globals.quiet).await?;
    let bundle = &located.input;
    let verified = reader::verify_bundle(bundle, &key)?;
    let manifest = &verified.manifest;
    let freshness = check_fresh(manifest, args.allow_expired)?;
    let expired = matches!(freshness, Freshness::ExpiredButAllowed { .. });
    let images = manifest
        .images
        .as_ref()
        .map_or(0, |layout| layout.images.len());
    if args.json {
        return print_json(&json!({
            "ok": true,
            "key_id": verified.signer.key_id,
            "trusted_comment": verified.signer.trusted_comment,
            "product": manifest.product,
            "from": manifest.from,
            "to": manifest.to,
            "hops": manifest.hops.iter().map(|h| &h.version).collect::<Vec<_>>(),
            "files": manifest.files().count(),
            "payload_bytes": verified.payload_bytes,
            "images": images,
            "created": manifest.created,
            "expires": manifest.expires,
            "expired": expired,
            "sha256": verified.sha256,
            "parts": parts_count(bundle),
        }));
    }
    outln!(
        "OK: {} verified: signed by key {} ({}), {} files, {} checked",
        bundle.describe(),
        verified.signer.key_id,
        verified.signer.trusted_comment,
        manifest.files().count(),
        human_size(verified.payload_bytes)
    )?;
    if images > 0 {
        outln!("{images} container images in images/, every blob checked")?;
    }
    let created = manifest.created.as_deref().unwrap_or("(not recorded)");
    match &freshness {
        Freshness::Valid { expires } => outln!("created {created}, valid until {expires}")?,
        Freshness::ExpiredButAllowed { expires } => outln!(
            "created {created}, EXPIRED at {}: accepted only because of --allow-expired",
            expires.as_deref().unwrap_or("(no expiry recorded)")
        )?,
    }
    outln!("sha256 {}", verified.sha256)?;
    Ok(())
}

/// How many parts the bundle was read from; None for one file.
fn parts_count(bundle: &BundleInput) -> Option<usize> {
    match bundle {
        BundleInput::File(_) => None,
        BundleInput::Parts(split) => Some(split.parts.parts.len()),
    }
}
