//! `ferry bundle`: plan, download, pack and sign.

use super::parts::index_json;
use crate::archive::ArchiveSource;
use crate::bundle::parts::{self, PartIndex};
use crate::bundle::sign::SecretKey;
use crate::cli::args::BundleArgs;
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use crate::cli::output::{human_size, print_json};
use crate::cli::settings::{fetcher, image_options, load_signing_key, Globals};
use crate::pack;
use crate::pack::origin::Origin;
use anyhow::{Context as _, Result};
use serde_json::json;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

/// Builds the bundle and prints a summary.
pub async fn run(globals: &Globals, args: &BundleArgs) -> Result<()> {
    let profile = globals.profile()?;
    check_output(&args.output, &args.key, args.force)?;
    if args.split_size.is_some() {
        check_output(&parts::index_path(&args.output), &args.key, args.force)?;
    }
    let key = load_signing_key(&args.key)?;
    let progress = globals.progress();
    let http = globals.http(progress.clone(), args.github.ca_cert.as_deref())?;
    let archive = match &args.source {
        Some(dir) => Some(ArchiveSource::open(dir, &profile.repo_slug())?),
        None => None,
    };
    // From an archive, images come from its blob store, never a registry.
    let archived_images = archive.as_ref().map(ArchiveSource::images);
    let source = match archive {
        Some(archive) => Origin::Archive(Box::new(archive)),
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
    let images = image_options(
        &args.images,
        args.github.ca_cert.as_deref(),
        fetcher.cache(),
        archived_images,
        progress.clone(),
        args.jobs,
    )?;
    let options = pack::BuildOptions {
        replace: args.force,
        images: images.as_ref(),
        valid_for: args.expires,
        created: args.created,
    };
    let (manifest, summary) = pack::build_bundle(
        &source,
        &fetcher,
        &profile,
        &resolved,
        &key,
        &args.output,
        options,
    )
    .await?;
    let split = match args.split_size {
        Some(size) => Some(split_output(&args.output, size, &key)?),
        None => None,
    };
    let layout = manifest.images.as_ref();
    let image_count = layout.map_or(0, |l| l.images.len());
    let image_bytes: u64 = layout.map_or(0, |l| l.files.iter().map(|f| f.size).sum());
    let image_bytes_unshared: u64 = layout.map_or(0, |l| l.images.iter().map(|i| i.size).sum());
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
            "images": image_count,
            "image_bytes": image_bytes,
            "image_bytes_without_sharing": image_bytes_unshared,
            "parts": split.as_ref().map(index_json),
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
    if layout.is_some() {
        outln!(
            "{image_count} images, {} ({} before shared layers were stored once)",
            human_size(image_bytes),
            human_size(image_bytes_unshared)
        )?;
    }
    if let Some(index) = &split {
        outln!(
            "split into {} parts of at most {}: {} lists them (ferry join rebuilds the one file)",
            index.parts.len(),
            human_size(index.part_size),
            parts::index_path(&args.output).display()
        )?;
    }
    outln!("sha256 {}", summary.sha256)?;
    Ok(())
}

/// Splits the bundle just written into parts of `size` signed with `key`,
/// then removes the one file (the parts and index replace it).
fn split_output(output: &Path, size: u64, key: &SecretKey) -> Result<PartIndex> {
    let index = parts::split(output, size, key, true)?;
    std::fs::remove_file(output)
        .with_context(|| format!("cannot remove {} after splitting it", output.display()))?;
    Ok(index)
}

/// Refuses, before anything is downloaded, an output that cannot or must not
/// be written: a missing parent directory, a directory, an existing file
/// without `--force`, and ever the signing key itself.
fn check_output(output: &Path, key: &Path, force: bool) -> Result<()> {
    let out_dir = crate::bundle::atomic::parent_dir(output);
    if !out_dir.is_dir() {
        return Err(UsageError(format!(
            "the output directory {} does not exist",
            out_dir.display()
        ))
        .into());
    }
    if output.is_dir() || output.as_os_str().to_string_lossy().ends_with('/') {
        return Err(UsageError(format!(
            "--output {} is a directory; name the bundle file, e.g. {}",
            output.display(),
            output.join("bundle.ferry.tar.gz").display()
        ))
        .into());
    }
    let Ok(existing) = std::fs::symlink_metadata(output) else {
        return Ok(());
    };
    if is_same_file(output, key) {
        return Err(UsageError(format!(
            "--output {} is the signing key {}; pick another name for the bundle",
            output.display(),
            key.display()
        ))
        .into());
    }
    if !force {
        let what = if existing.file_type().is_symlink() {
            "exists (a symbolic link)"
        } else {
            "already exists"
        };
        return Err(UsageError(format!(
            "{} {what}; pass --force to replace it or pick another name",
            output.display()
        ))
        .into());
    }
    Ok(())
}

/// Do both paths name one file (same canonical path, or same device and inode)?
fn is_same_file(a: &Path, b: &Path) -> bool {
    if let (Ok(a), Ok(b)) = (a.canonicalize(), b.canonicalize()) {
        if a == b {
            return true;
        }
    }
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
