//! `ferry mirror`: fill or update an archive; `ferry mirror verify`: check one.

use crate::archive::{self, Archive, MirrorOptions};
use crate::cli::args::{MirrorArgs, MirrorCommand, MirrorVerifyArgs};
use crate::cli::exit::{ReportedInJson, UsageError};
use crate::cli::output::outln;
use crate::cli::output::{human_size, print_json};
use crate::cli::settings::{image_options, Globals};
use crate::pack;
use anyhow::{bail, Result};
use serde_json::json;

/// Mirrors into `--dest`, or runs `verify`.
pub async fn run(globals: &Globals, args: &MirrorArgs) -> Result<()> {
    if let Some(MirrorCommand::Verify(verify_args)) = &args.command {
        return verify(verify_args);
    }
    let Some(dest) = &args.dest else {
        return Err(UsageError(
            "ferry mirror needs --dest DIR (or: ferry mirror verify DIR)".into(),
        )
        .into());
    };
    let profile = globals.profile()?;
    let progress = globals.progress();
    let http = globals.http(progress.clone(), args.github.ca_cert.as_deref())?;
    let source = args.github.source(&profile, http.clone());
    let archive = Archive::create(dest)?;
    let options = MirrorOptions {
        since: args.since.clone(),
        until: args.until.clone(),
        assets: args.assets.clone(),
        jobs: usize::from(args.jobs),
    };
    progress.line(&format!(
        "mirroring {} into {}",
        profile.repo_slug(),
        dest.display()
    ));
    let report = archive::mirror(&archive, &source, http, &profile, &options).await?;
    let images = image_options(
        &args.images,
        args.github.ca_cert.as_deref(),
        archive.cache(),
        None,
        progress.clone(),
        args.jobs,
    )?;
    let image_report = match &images {
        Some(images) => {
            progress.line("finding and pulling each release's container images");
            Some(pack::mirror_images(images, &profile, &archive, &options).await?)
        }
        None => None,
    };
    if args.json {
        let images = image_report.as_ref().map(|r| {
            json!({
                "images": r.images,
                "bytes": r.bytes,
                "added": r.added,
            })
        });
        return print_json(&json!({
            "dest": dest,
            "releases": report.releases,
            "new_releases": report.new_releases,
            "added": report.added,
            "deleted_upstream": report.deleted_upstream,
            "images": images,
        }));
    }
    for line in &report.added {
        outln!("added {line}")?;
    }
    if let Some(images) = &image_report {
        for line in &images.added {
            outln!("added {line}")?;
        }
        outln!(
            "{} images, {} of distinct blobs in the archive",
            images.images,
            human_size(images.bytes)
        )?;
    }
    for line in &report.deleted_upstream {
        outln!("deleted upstream (kept) {line}")?;
    }
    outln!(
        "{} releases ({} new), {} files added, {} assets newly deleted upstream",
        report.releases,
        report.new_releases.len(),
        report.added.len(),
        report.deleted_upstream.len()
    )?;
    Ok(())
}

fn verify(args: &MirrorVerifyArgs) -> Result<()> {
    let report = archive::verify(&args.dir)?;
    if args.json {
        print_json(&json!({
            "ok": report.problems.is_empty(),
            "blobs": report.blobs,
            "releases": report.releases,
            "entries": report.entries,
            "problems": report.problems.iter().map(|p| json!({
                "release": p.release,
                "file": p.file,
                "problem": p.problem,
            })).collect::<Vec<_>>(),
        }))?;
    } else {
        for p in &report.problems {
            let release = p.release.as_deref().unwrap_or("(no release)");
            outln!("{release}: {}: {}", p.file, p.problem)?;
        }
        outln!(
            "checked {} blobs and {} entries of {} releases: {} problems",
            report.blobs,
            report.entries,
            report.releases,
            report.problems.len()
        )?;
    }
    if !report.problems.is_empty() {
        let message = format!(
            "the archive {} has {} problems; delete damaged blobs, then run `ferry mirror --dest {}` to fetch missing ones again",
            args.dir.display(),
            report.problems.len(),
            args.dir.display()
        );
        if args.json {
            return Err(ReportedInJson(message).into());
        }
        bail!(message);
    }
    Ok(())
}
