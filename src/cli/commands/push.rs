//! `ferry push`: verify a bundle, then push its images to the site registry.

use crate::bundle::reader::verify_and_extract;
use crate::cli::args::PushArgs;
use crate::cli::exit::UsageError;
use crate::cli::output::{human_size, outln, print_json};
use crate::cli::settings::Globals;
use crate::cli::trust::{check_fresh, signed_bundle};
use crate::registry::{PushSettings, Pusher};
use anyhow::{Context, Result};

/// Verifies, pushes and prints a summary.
pub async fn run(globals: &Globals, args: &PushArgs) -> Result<()> {
    let (located, key) = signed_bundle(&args.trust, &args.bundle, globals.quiet).await?;
    let bundle = &located.input;
    let progress = globals.progress();
    let pusher = Pusher::new(
        PushSettings {
            site: args.registry.clone(),
            insecure: args.registry_insecure.clone(),
            ca_cert: args.ca_cert.clone(),
            jobs: usize::from(args.jobs),
        },
        progress.clone(),
    )?;
    let work = tempfile::tempdir().context("cannot create a working directory")?;
    let root = work.path().join("bundle");
    let verified = verify_and_extract(bundle, &key, &root)?;
    check_fresh(&verified.manifest, args.allow_expired)?;
    let Some(layout) = &verified.manifest.images else {
        return Err(UsageError(format!(
            "{} carries no images: build it with ferry bundle --images",
            args.bundle.display()
        ))
        .into());
    };
    progress.line(&format!(
        "verified {}; pushing {} images to {}",
        bundle.describe(),
        layout.images.len(),
        args.registry
    ));
    let report = pusher.push(&root.join("images"), &layout.images).await?;
    if args.json {
        return print_json(&serde_json::json!({
            "registry": args.registry,
            "images": report.images,
            "uploaded": report.uploaded,
            "uploaded_bytes": report.uploaded_bytes,
            "mounted": report.mounted,
            "present": report.present,
        }));
    }
    outln!(
        "pushed {} images to {}: {} blobs uploaded ({}), {} mounted, {} already there",
        report.images,
        args.registry,
        report.uploaded,
        human_size(report.uploaded_bytes),
        report.mounted,
        report.present
    )
}
