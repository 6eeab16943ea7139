//! `ferry mirror`: fill or update an archive; `ferry mirror verify`: check one.

use crate::archive::{self, Archive, MirrorOptions};
use crate::cli::args::{MirrorArgs, MirrorCommand, MirrorVerifyArgs};
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use crate::cli::output::print_json;
use crate::cli::settings::Globals;
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
        assets: args.assets.clone(),
        jobs: usize::from(args.jobs),
    };
    progress.line(&format!(
        "mirroring {} into {}",
        profile.repo_slug(),
        dest.display()
    ));
    let report = archive::mirror(&archive, &source, http, &profile, &options).await?;
    if args.json {
        return print_json(&json!({
            "dest": dest,
            "releases": report.releases,
            "new_releases": report.new_releases,
            "added": report.added,
            "deleted_upstream": report.deleted_upstream,
        }));
    }
    for line in &report.added {
        outln!("added {line}")?;
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
        bail!(
            "the archive {} has {} problems; delete damaged blobs, then run `ferry mirror --dest {}` to fetch missing ones again",
            args.dir.display(),
            report.problems.len(),
            args.dir.display()
        );
    }
    Ok(())
}
