//! `ferry inspect`: what a bundle says it holds, with its signature checked
//! when a trusted key is given.

use crate::bundle::freshness::{self, FreshnessError};
use crate::bundle::manifest::Manifest;
use crate::bundle::reader;
use crate::cli::args::{InspectArgs, TrustArgs};
use crate::cli::output::{human_size, list_or_dash, outln, print_json};
use crate::cli::remote::Located;
use crate::cli::settings::Globals;
use crate::cli::trust::bundle_and_signer;
use anyhow::Result;
use std::path::Path;

/// A manifest as read for showing (by `guide` and `images`).
pub(super) struct Shown {
    /// The manifest.
    pub manifest: Manifest,
    /// True when the signature was checked against a trusted key.
    pub verified: bool,
    /// Where the bundle was read from.
    pub located: Located,
}

/// Reads the whole bundle (see [`reader::inspect_bundle`]); with trusted
/// keys, refuses it unless one of them signed the manifest.
async fn read_whole(
    globals: &Globals,
    bundle: &Path,
    trust: &TrustArgs,
) -> Result<reader::InspectedBundle> {
    let (located, key) = bundle_and_signer(trust, bundle, globals.quiet).await?;
    Ok(reader::inspect_bundle(&located.input, key.as_ref())?)
}

/// Reads the manifest; with trusted keys, refuses it unless one signed it.
pub(super) async fn read_manifest(
    globals: &Globals,
    bundle: &Path,
    trust: &TrustArgs,
) -> Result<Shown> {
    let (located, key) = bundle_and_signer(trust, bundle, globals.quiet).await?;
    let manifest = match &key {
        Some(key) => reader::read_signed_manifest(&located.input, key)?.0,
        None => reader::read_unverified(&located.input)?.0,
    };
    Ok(Shown {
        manifest,
        verified: key.is_some(),
        located,
    })
}

/// `created ..., valid until ...`, saying EXPIRED when it is.
fn validity_line(manifest: &Manifest) -> String {
    let now = std::time::SystemTime::now();
    let (Some(created), Some(expires)) = (&manifest.created, &manifest.expires) else {
        return "no creation or expiry time (made by a ferry before 0.2)".to_string();
    };
    match freshness::check(manifest, now, false) {
        Ok(_) => format!("created {created}, valid until {expires}"),
        Err(FreshnessError::Expired { .. }) => {
            format!("created {created}, EXPIRED at {expires} (verify and apply refuse it without --allow-expired)")
        }
        Err(err) => format!("created {created}: {err}"),
    }
}

/// Prints the manifest.
pub async fn run(globals: &Globals, args: &InspectArgs) -> Result<()> {
    let reader::InspectedBundle {
        manifest,
        signer,
        verified,
        sha256,
    } = read_whole(globals, &args.bundle, &args.trust).await?;
    if args.json {
        let mut value = serde_json::to_value(&manifest)?;
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "signature".to_string(),
                serde_json::json!({
                    "verified": verified,
                    "key_id": signer.as_ref().map(|s| &s.key_id),
                    "trusted_comment": signer.as_ref().map(|s| &s.trusted_comment),
                }),
            );
            object.insert("sha256".to_string(), serde_json::json!(sha256));
        }
        return print_json(&value);
    }
    outln!(
        "{}: {} {} -> {} ({} variant), {} hops, {} payload",
        args.bundle.display(),
        manifest.product,
        manifest.from,
        manifest.to,
        manifest.variant,
        manifest.hops.len(),
        human_size(manifest.payload_size())
    )?;
    match (signer, verified) {
        (Some(signer), true) => outln!(
            "signature verified: signed by trusted key {} \"{}\" (payload not read: ferry verify checks every file)",
            signer.key_id, signer.trusted_comment
        )?,
        (Some(signer), false) => outln!(
            "signed by key {} \"{}\" (NOT CHECKED: pass --pub KEY, or run ferry verify --pub KEY)",
            signer.key_id, signer.trusted_comment
        )?,
        (None, _) => outln!("NOT SIGNED")?,
    }
    outln!("sha256 {sha256} (the bundle file; every gzip member checked)")?;
    outln!("repository {}", manifest.repo)?;
    outln!("{}", validity_line(&manifest))?;
    outln!()?;
    outln!("base {} (merge base for overrides)", manifest.base.version)?;
    for file in &manifest.base.files {
        outln!("   {:>10}  {}", human_size(file.size), file.path)?;
    }
    for (number, hop) in manifest.hops.iter().enumerate() {
        outln!()?;
        let pre = if hop.prerelease { " (pre-release)" } else { "" };
        outln!(
            "{}. {} -> {}{pre}  tag {}",
            number + 1,
            hop.previous,
            hop.version,
            hop.tag
        )?;
        if let Some(commit) = &hop.commit {
            outln!("   commit {commit}")?;
        }
        outln!("   guides: {}", list_or_dash(&hop.guides))?;
        for file in &hop.files {
            outln!("   {:>10}  {}", human_size(file.size), file.path)?;
        }
        print_hop_images(&manifest, hop)?;
    }
    if let Some(layout) = &manifest.images {
        let stored: u64 = layout.files.iter().map(|f| f.size).sum();
        let unshared: u64 = layout.images.iter().map(|i| i.size).sum();
        outln!()?;
        outln!(
            "images: {} in one OCI layout (images/), {} stored; {} if each image kept its own layers ({} saved)",
            layout.images.len(),
            human_size(stored),
            human_size(unshared),
            human_size(unshared.saturating_sub(stored))
        )?;
    }
    Ok(())
}

/// A hop's images: reference, size, digest and why each is in.
fn print_hop_images(manifest: &Manifest, hop: &crate::bundle::manifest::Hop) -> Result<()> {
    if hop.images.is_empty() {
        return Ok(());
    }
    outln!("   images: {}", hop.images.len())?;
    let bundled = manifest
        .images
        .as_ref()
        .map(|l| &l.images[..])
        .unwrap_or_default();
    for image in &hop.images {
        match bundled.iter().find(|b| b.reference == image.reference) {
            Some(found) => outln!(
                "   {:>10}  {}  {}",
                human_size(found.size),
                image.reference,
                found.digest
            )?,
            None => outln!(
                "     skipped  {} (the site must provide it)",
                image.reference
            )?,
        }
        for reason in &image.reasons {
            outln!("                 from {reason}")?;
        }
    }
    Ok(())
}
