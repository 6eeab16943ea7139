//! `ferry apply`: the air-gapped upgrade.

use crate::cli::args::ApplyArgs;
use crate::cli::console::TerminalConsole;
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use crate::cli::output::print_json;
use crate::cli::settings::Globals;
use crate::cli::trust::signed_bundle;
use crate::cluster::connect::ClusterTarget;
use crate::upgrade::fleet::contexts_from;
use crate::upgrade::gate::GuidePolicy;
use crate::upgrade::merge::Prefer;
use crate::upgrade::runner::{apply, ApplyOutcome, ApplyRequest, SiteRegistry};
use anyhow::{Context as _, Result};
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
    let contexts = contexts(args)?;
    let (located, key) = signed_bundle(&args.trust, &args.bundle, globals.quiet).await?;
    let request = ApplyRequest {
        bundle: located.input.clone(),
        key,
        allow_expired: args.allow_expired,
        target: ClusterTarget {
            kubeconfig: args.cluster.kubeconfig.clone(),
            context: contexts.first().cloned(),
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
        registry: args.registry.as_ref().map(|site| SiteRegistry {
            site: site.clone(),
            insecure: args.registry_insecure.clone(),
            ca_cert: args.ca_cert.clone(),
        }),
    };
    if contexts.len() > 1 || args.contexts_from.is_some() {
        return super::fleet::run(globals, args, &contexts, &request).await;
    }
    let console = TerminalConsole::new(args.json, globals.quiet);
    let outcome = apply(&request, &console).await?;
    let (state, from, version, hops) = outcome.summary();
    if args.json {
        return print_json(&json!({
            "outcome": state,
            "from": from,
            "version": version,
            "hops": hops,
            "dry_run": args.dry_run,
        }));
    }
    // The work is done: a reader that went away can no longer hurt it.
    match outcome {
        ApplyOutcome::UpToDate(_) => Ok(()),
        ApplyOutcome::DryRun { .. } => outln!(
            "dry run finished: the cluster was not changed (it would go from {from} to {version})"
        ),
        ApplyOutcome::Applied { .. } => outln!("upgrade finished: the cluster runs {version}"),
    }
}

/// The contexts to upgrade: every --context, then the --contexts-from
/// file's; empty means the kubeconfig's current context.
fn contexts(args: &ApplyArgs) -> Result<Vec<String>> {
    let mut contexts = args.cluster.context.clone();
    if let Some(file) = &args.contexts_from {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read --contexts-from {}", file.display()))?;
        let listed = contexts_from(&text).map_err(|problem| {
            UsageError(format!("--contexts-from {}: {problem}", file.display()))
        })?;
        if listed.is_empty() {
            return Err(UsageError(format!(
                "--contexts-from {} lists no context; put one kubeconfig context per line",
                file.display()
            ))
            .into());
        }
        contexts.extend(listed);
    }
    if let Some(twice) = contexts
        .iter()
        .enumerate()
        .find_map(|(i, c)| contexts[..i].contains(c).then_some(c))
    {
        return Err(UsageError(format!(
            "context {twice} is given twice; each cluster is upgraded once"
        ))
        .into());
    }
    Ok(contexts)
}
