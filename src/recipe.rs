//! The vocabulary of a hop's recipe: which variant a step is for, and the
//! ordered steps (delete, apply, wait) that upgrade a cluster by one hop.
//!
//! The profile states recipes per version range; the planner resolves them
//! into concrete steps per hop; the bundle carries them in its manifest so the
//! air-gapped side needs nothing but the bundle. This module only defines the
//! types; it does not decide which recipe applies (see `profile`) nor run one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A deployment variant of the product: which set of assets a step is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Every variant (the step always runs).
    All,
    /// A local (Minikube-style) installation.
    Local,
    /// A cluster installation.
    Cluster,
}

impl Variant {
    /// True when a step marked `self` is needed for a bundle or run of `selected`.
    pub fn is_needed_for(self, selected: Variant) -> bool {
        self == Variant::All || selected == Variant::All || self == selected
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Variant::All => "all",
            Variant::Local => "local",
            Variant::Cluster => "cluster",
        })
    }
}

impl FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "all" => Ok(Variant::All),
            "local" => Ok(Variant::Local),
            "cluster" => Ok(Variant::Cluster),
            other => Err(format!(
                "unknown variant `{other}` (expected all, local or cluster)"
            )),
        }
    }
}

/// One Kubernetes object, named by its API version, kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// `group/version` or `version` for the core group (`apps/v1`).
    pub api_version: String,
    /// Kind (`Deployment`).
    pub kind: String,
    /// Namespace, absent for cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Object name.
    pub name: String,
}

/// One step of a hop, as carried in a bundle manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Step {
    /// Delete an object and wait until it is gone (absent is fine).
    Delete {
        /// The object to delete.
        object: ObjectRef,
        /// The variant this step is for.
        variant: Variant,
    },
    /// Server-side apply every document of a file in the bundle.
    Apply {
        /// The file's path inside the bundle (`hops/1.2.2/assets/kyma-installer-cluster.yaml`).
        path: String,
        /// The variant this step is for.
        variant: Variant,
    },
    /// Apply a configuration file of user-tunable overrides, merged three ways:
    /// the previous release's file is the base, the cluster's objects matching
    /// `selector` are the user's side, this file is the release's side.
    ApplyOverrides {
        /// The new release's overrides file inside the bundle.
        path: String,
        /// The previous release's overrides file inside the bundle (the merge base), if carried.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base_path: Option<String>,
        /// Label selector of the override objects (`installer=overrides`).
        selector: String,
        /// The variant this step is for.
        variant: Variant,
    },
    /// Wait until the product's installer reports the hop finished.
    WaitInstalled {
        /// The variant this step is for.
        variant: Variant,
    },
}

impl Step {
    /// The variant this step belongs to.
    pub fn variant(&self) -> Variant {
        match self {
            Step::Delete { variant, .. }
            | Step::Apply { variant, .. }
            | Step::ApplyOverrides { variant, .. }
            | Step::WaitInstalled { variant } => *variant,
        }
    }
}

/// Where the cluster's current product version is read, and how the product's
/// installer reports progress. Copied from the profile into every bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// The Deployment whose container image tag is the current version.
    pub version_deployment: ObjectRef,
    /// The container of that Deployment that carries the version tag.
    pub version_container: String,
    /// The installer's custom resource that drives and reports an upgrade.
    pub installation: ObjectRef,
    /// Label that starts the installer; it removes the label when finished.
    pub action_label: String,
    /// Value of `action_label` that starts an install.
    pub action_value: String,
    /// `status.state` when the install succeeded.
    pub success_state: String,
    /// `status.state` when the install failed (possibly transiently).
    pub error_state: String,
    /// `status.state` while the install runs.
    pub progress_state: String,
    /// Namespace an object without one lands in.
    pub default_namespace: String,
    /// Where the cluster says whether it is a local installation, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_marker: Option<LocalMarker>,
    /// ConfigMaps `ferry apply --registry SITE` applies so the installer
    /// pulls what it deploys from the site registry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registry_overrides: Vec<RegistryOverride>,
}

/// A ConfigMap of installer overrides that relocates images to the site
/// registry: `{site}` in a value becomes `HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryOverride {
    /// The ConfigMap's namespace.
    pub namespace: String,
    /// The ConfigMap's name.
    pub name: String,
    /// Its labels (those the installer selects overrides by).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Override keys and values, `{site}` filled in.
    pub values: std::collections::BTreeMap<String, String>,
}

/// A ConfigMap key whose value `true` marks a local (Minikube-style) installation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalMarker {
    /// The ConfigMap's namespace.
    pub namespace: String,
    /// The ConfigMap's name.
    pub name: String,
    /// The key holding `true` or `false`.
    pub key: String,
}
