//! Running an overrides step: read the user's override objects from the
//! cluster, merge them three ways with the previous and the new release's
//! (`merge`, pure), stop on conflicts, apply the result.

use super::console::Console;
use super::files::LoadedStep;
use super::merge::{overrides_from, three_way, to_manifests, Conflict, OverrideError, Prefer};
use crate::cluster::apply::{Applied, Applier};
use crate::cluster::state_error::StateError;
use crate::cluster::ClusterError;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DynamicObject, ListParams};
use std::collections::BTreeSet;

/// Why overrides could not be merged or applied.
#[derive(Debug, thiserror::Error)]
pub enum OverridesStepError {
    /// Both the operator and the release changed the same values.
    #[error("the cluster's overrides and the new release's both changed the same values; nothing of this hop's overrides was applied:\n{}\nkeep one side with --prefer cluster or --prefer release, or edit the cluster's objects and rerun", conflicts.iter().map(describe).collect::<Vec<_>>().join("\n"))]
    Conflicts {
        /// The conflicting values.
        conflicts: Vec<Conflict>,
    },
    /// Reading or applying failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// Listing the cluster's override objects failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// An override object could not be read.
    #[error(transparent)]
    Object(#[from] OverrideError),
}

fn describe(conflict: &Conflict) -> String {
    format!("  {conflict}")
}

async fn live_overrides(
    client: &kube::Client,
    namespaces: &BTreeSet<String>,
    selector: &str,
) -> Result<Vec<serde_json::Value>, StateError> {
    let params = ListParams::default().labels(selector);
    let mut found = Vec::new();
    for namespace in namespaces {
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
        let secrets: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let listed = maps
            .list(&params)
            .await
            .map_err(|e| StateError::kube("list override ConfigMaps", e))?;
        found.extend(
            listed
                .items
                .iter()
                .filter_map(|m| to_json(m, "v1", "ConfigMap")),
        );
        let listed = secrets
            .list(&params)
            .await
            .map_err(|e| StateError::kube("list override Secrets", e))?;
        found.extend(
            listed
                .items
                .iter()
                .filter_map(|s| to_json(s, "v1", "Secret")),
        );
    }
    Ok(found)
}

fn to_json<T: serde::Serialize>(
    object: &T,
    api_version: &str,
    kind: &str,
) -> Option<serde_json::Value> {
    let mut value = serde_json::to_value(object).ok()?;
    value["apiVersion"] = api_version.into();
    value["kind"] = kind.into();
    Some(value)
}

/// Merges and applies one overrides step (or, with `dry_run`, shows what it would do).
pub async fn apply_overrides(
    applier: &mut Applier,
    client: &kube::Client,
    step: &LoadedStep,
    default_namespace: &str,
    prefer: Option<Prefer>,
    dry_run: bool,
    console: &dyn Console,
) -> Result<Vec<Applied>, OverridesStepError> {
    let LoadedStep::Overrides {
        target,
        base,
        selector,
        ..
    } = step
    else {
        return Ok(Vec::new());
    };
    let target = overrides_from(target, default_namespace)?;
    let base = overrides_from(base, default_namespace)?;
    let namespaces: BTreeSet<String> = target.iter().map(|o| o.namespace.clone()).collect();
    let live = overrides_from(
        &live_overrides(client, &namespaces, selector).await?,
        default_namespace,
    )?;
    let outcome = three_way(&base, &target, &live, prefer);
    if !outcome.conflicts.is_empty() {
        return Err(OverridesStepError::Conflicts {
            conflicts: outcome.conflicts,
        });
    }
    for decision in &outcome.decisions {
        console.say(&format!("  overrides: {decision}"));
    }
    let objects: Vec<DynamicObject> = to_manifests(&outcome.objects)
        .into_iter()
        .filter_map(|value| serde_json::from_value(value).ok())
        .collect();
    Ok(applier.apply(&objects, default_namespace, dry_run).await?)
}
