//! `ferry apply`: the air-gapped upgrade.

use crate::bundle::sign;
use crate::cli::args::ApplyArgs;
use crate::cli::console::TerminalConsole;
use crate::cli::exit::UsageError;
use crate::cli::output::print_json;
use crate::cli::settings::Globals;
use crate::cluster::connect::ClusterTarget;
use crate::upgrade::gate::GuidePolicy;
use crate::upgrade::merge::Prefer;
use crate::upgrade::runner::{apply, ApplyOutcome, ApplyRequest};
use anyhow::Result;
use serde_json::json;

/// Runs the upgrade and prints its outcome.
pub async fn run(globals: &Globals, args: &ApplyArgs) -> Result<()> {
    let prefer = match args.prefer.as_deref() {
        None => None,
        Some("release") => Some(Prefer::Release),
        Some("cluster") => Some(Prefer::Cluster),
        Some(other) => {
            return Err(
                UsageError(format!("--prefer takes release or cluster, not `{other}`")).into(),
            )
        }
    };
    let key = sign::load_public_key(&args.public_key)?;
    let console = TerminalConsole::new(args.json, globals.quiet);
    let request = ApplyRequest {
        bundle: args.bundle.clone(),
        key,
        target: ClusterTarget {
            kubeconfig: args.cluster.kubeconfig.clone(),
            context: args.cluster.context.clone(),
        },
        variant: args.variant,
        guides: GuidePolicy {
            accept_all: args.accept_guides,
            accepted: args.accept_guide.clone(),
            interactive: true,
        },
        confirm: !args.yes,
        dry_run: args.dry_run,
        timeout: args.timeout,
        current: args.current.clone(),
        prefer,
        break_lock: args.break_lock,
    };
    let outcome = apply(&request, &console).await?;
    let (state, version, hops) = match &outcome {
        ApplyOutcome::UpToDate(version) => ("up-to-date", version.to_string(), Vec::new()),
        ApplyOutcome::DryRun(hops) => ("dry-run", String::new(), hops.clone()),
        ApplyOutcome::Applied(hops) => (
            "applied",
            hops.last().map(|v| v.to_string()).unwrap_or_default(),
            hops.clone(),
        ),
    };
    if args.json {
        return print_json(&json!({ "outcome": state, "version": version, "hops": hops }));
    }
    match outcome {
        ApplyOutcome::UpToDate(_) => {}
        ApplyOutcome::DryRun(_) => println!("dry run finished: the cluster was not changed"),
        ApplyOutcome::Applied(_) => println!("upgrade finished: the cluster runs {version}"),
    }
    Ok(())
}
