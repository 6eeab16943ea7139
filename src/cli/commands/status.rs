//! `ferry status`: the cluster's version and upgrade state, and the images
//! its workloads run.

use crate::cli::args::StatusArgs;
use crate::cli::output::outln;
use crate::cli::output::print_json;
use crate::cli::settings::Globals;
use crate::cluster::connect::{connect, context_names, ClusterTarget};
use crate::cluster::installer::InstallPhase;
use crate::profile::Profile;
use crate::upgrade::status::cluster_status;
use anyhow::Result;
use futures_util::StreamExt as _;
use serde_json::json;
use std::path::Path;

/// Prints the status of one cluster, or a line for each of several.
pub async fn run(globals: &Globals, args: &StatusArgs) -> Result<()> {
    let profile = globals.profile()?;
    let kubeconfig = args.cluster.kubeconfig.as_deref();
    if args.all_contexts || args.cluster.context.len() > 1 {
        let contexts = match args.all_contexts {
            true => context_names(kubeconfig).await?,
            false => args.cluster.context.clone(),
        };
        return fleet_status(&profile, kubeconfig, &contexts, args.json).await;
    }
    let client = connect(&ClusterTarget {
        kubeconfig: args.cluster.kubeconfig.clone(),
        context: args.cluster.context.first().cloned(),
    })
    .await?;
    let status = cluster_status(&client, &profile.cluster).await?;
    let (state, description) = installer_words(&status.installer);
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

/// The installer's state and description, as status shows them.
fn installer_words(phase: &Option<InstallPhase>) -> (String, String) {
    match phase {
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
    }
}

/// A line per context: version, installer state and whether an upgrade
/// holds the cluster's lock; a cluster that cannot be read says why and
/// the others are still shown.
async fn fleet_status(
    profile: &Profile,
    kubeconfig: Option<&Path>,
    contexts: &[String],
    json: bool,
) -> Result<()> {
    let reads = contexts.iter().map(|context| async move {
        let target = ClusterTarget {
            kubeconfig: kubeconfig.map(Path::to_path_buf),
            context: Some(context.clone()),
        };
        let read = async {
            let client = connect(&target).await?;
            anyhow::Ok(cluster_status(&client, &profile.cluster).await?)
        };
        (context, read.await)
    });
    let statuses: Vec<_> = futures_util::stream::iter(reads)
        .buffered(8)
        .collect()
        .await;
    if json {
        let clusters: Vec<_> = statuses
            .iter()
            .map(|(context, read)| match read {
                Ok(status) => {
                    let (state, description) = installer_words(&status.installer);
                    json!({
                        "context": context,
                        "version": status.version,
                        "installer": { "state": state, "description": description },
                        "lock": status.journal.lock,
                        "hops": status.journal.hops,
                    })
                }
                Err(err) => json!({ "context": context, "error": format!("{err:#}") }),
            })
            .collect();
        return print_json(&json!({ "product": profile.name, "clusters": clusters }));
    }
    let width = contexts.iter().map(String::len).max().unwrap_or(0).max(7);
    outln!(
        "{:<width$}  {:<10}  {:<18}  UPGRADE",
        "CLUSTER",
        "VERSION",
        "INSTALLER"
    )?;
    for (context, read) in &statuses {
        match read {
            Ok(status) => {
                let (state, _) = installer_words(&status.installer);
                let upgrade = match &status.journal.lock {
                    Some(lock) => format!("locked by {} since {}", lock.holder, lock.acquired),
                    None => "-".to_string(),
                };
                outln!(
                    "{context:<width$}  {:<10}  {state:<18}  {upgrade}",
                    status.version.as_deref().unwrap_or("-")
                )?;
            }
            Err(err) => outln!("{context:<width$}  unreachable: {err:#}")?,
        }
    }
    Ok(())
}
