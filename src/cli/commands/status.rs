//! `ferry status`: the cluster's version and upgrade state, and the images
//! its workloads run.

use crate::cli::args::StatusArgs;
use crate::cli::output::outln;
use crate::cli::output::print_json;
use crate::cli::settings::Globals;
use crate::cluster::connect::{connect, ClusterTarget};
use crate::cluster::installer::InstallPhase;
use crate::upgrade::status::cluster_status;
use anyhow::Result;
use serde_json::json;

/// Prints the status.
pub async fn run(globals: &Globals, args: &StatusArgs) -> Result<()> {
    let profile = globals.profile()?;
    let client = connect(&ClusterTarget {
        kubeconfig: args.cluster.kubeconfig.clone(),
        context: args.cluster.context.clone(),
    })
    .await?;
    let status = cluster_status(&client, &profile.cluster).await?;
    let (state, description) = match &status.installer {
        None => ("absent".to_string(), String::new()),
        Some(InstallPhase::Pending) => ("Pending".to_string(), String::new()),
        Some(InstallPhase::InProgress { description }) => {
            ("InProgress".to_string(), description.clone())
        }
        Some(InstallPhase::Retrying { description, .. }) => {
            ("Error (retrying)".to_string(), description.clone())
        }
        Some(InstallPhase::Installed { .. }) => ("Installed".to_string(), String::new()),
        Some(InstallPhase::Failed { description, .. }) => {
            ("Error".to_string(), description.clone())
        }
    };
    let busy = !matches!(
        status.installer,
        None | Some(InstallPhase::Installed { .. })
    );
    let journal = &status.journal;
    if args.json {
        return print_json(&json!({
            "product": profile.name,
            "version": status.version,
            "image": status.image,
            "installer": { "state": state, "description": description },
            "upgrade_in_progress": busy || journal.lock.is_some(),
            "lock": journal.lock,
            "bundle_id": journal.bundle_id,
            "hops": journal.hops,
            "acknowledged": journal.acknowledged,
            "newest_bundle_created": journal
                .newest_bundle_created
                .map(crate::bundle::freshness::format_time),
            "events": journal.events,
            "images": status.images,
        }));
    }
    match &status.version {
        Some(version) => outln!(
            "{} {version} (installer image {})",
            profile.display_name,
            status.image.as_deref().unwrap_or("?")
        )?,
        None => outln!("{} is not installed", profile.display_name)?,
    }
    outln!(
        "installer: {state}{}",
        if description.is_empty() {
            String::new()
        } else {
            format!(", {description}")
        }
    )?;
    if let Some(lock) = &journal.lock {
        outln!(
            "upgrade in progress: locked by {} since {}",
            lock.holder,
            lock.acquired
        )?;
    }
    for hop in &journal.hops {
        outln!(
            "  hop {}: {:?} {}",
            hop.version,
            hop.status,
            hop.finished.as_deref().unwrap_or("")
        )?;
    }
    if !status.images.is_empty() {
        outln!("images:")?;
    }
    for image in &status.images {
        outln!("  {}  {}", image.image, image.workload)?;
    }
    Ok(())
}
