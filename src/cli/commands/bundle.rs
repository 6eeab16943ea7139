//! `ferry bundle`: plan, download, pack and sign.

use crate::archive::ArchiveSource;
use crate::cli::args::BundleArgs;
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use crate::cli::output::{human_size, print_json};
use crate::cli::settings::{fetcher, load_signing_key, Globals};
use crate::pack;
use crate::source::origin::Origin;
use anyhow::Result;
use serde_json::json;

/// Builds the bundle and prints a summary.
pub async fn run(globals: &Globals, args: &BundleArgs) -> Result<()> {
    let profile = globals.profile()?;
    let out_dir = args
        .output
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !out_dir.is_dir() {
        return Err(UsageError(format!(
            "the output directory {} does not exist",
            out_dir.display()
        ))
        .into());
    }
    let key = load_signing_key(&args.key)?;
    let progress = globals.progress();
    let http = globals.http(progress.clone())?;
    let source = match &args.source {
        Some(dir) => Origin::Archive(Box::new(ArchiveSource::open(dir, &profile.repo_slug())?)),
        None => args.github.origin(&profile, http.clone()),
    };
    let range = &args.range;
    let resolved =
        pack::resolve_plan(&source, &profile, &range.from, &range.to, range.variant).await?;
    let fetcher = fetcher(http, args.cache.as_deref(), args.jobs)?;
    progress.line(&format!(
        "bundling {} {} -> {}: {} hops",
        profile.name,
        range.from,
        range.to,
        resolved.plan.hops.len()
    ));
    let (manifest, summary) =
        pack::build_bundle(&source, &fetcher, &profile, &resolved, &key, &args.output).await?;
    if args.json {
        return print_json(&json!({
            "output": args.output,
            "bytes": summary.bytes,
            "sha256": summary.sha256,
            "files": summary.files,
            "reused_files": summary.reused,
            "payload_bytes": manifest.payload_size(),
            "from": manifest.from,
            "to": manifest.to,
            "hops": manifest.hops.iter().map(|h| &h.version).collect::<Vec<_>>(),
        }));
    }
    outln!(
        "wrote {} ({}, {} files, {} hops: {})",
        args.output.display(),
        human_size(summary.bytes),
        summary.files,
        manifest.hops.len(),
        manifest
            .hops
            .iter()
            .map(|h| h.version.to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    )?;
    if summary.reused > 0 {
        outln!(
            "{} of the files were already compressed in the cache",
            summary.reused
        )?;
    }
    outln!("sha256 {}", summary.sha256)?;
    Ok(())
}
