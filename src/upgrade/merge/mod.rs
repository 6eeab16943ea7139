//! Three-way merge of the installer's override ConfigMaps and Secrets (label
//! `installer: overrides`, Kyma's local variant): base = the previous
//! release's config asset, target = the new release's, live = what the
//! cluster holds. A value only the user changed is kept, a value only the
//! release changed is taken, a value both changed differently is a conflict.
//!
//! This module owns the override model, reading it out of parsed JSON
//! objects, the merge itself and writing the result back as JSON objects.
//! It is pure: reading the cluster, parsing YAML, applying the result and
//! stopping a hop on conflicts are left to the caller.

mod objects;
mod three_way;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

pub use objects::{overrides_from, to_manifests, OverrideError, OVERRIDES_LABEL};
pub use three_way::three_way;

/// The two kinds of override objects the Kyma installer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OverrideKind {
    /// A `v1` ConfigMap; values are its `data`.
    ConfigMap,
    /// A `v1` Secret; values are decoded from `data` (base64) or `stringData`.
    Secret,
}

impl OverrideKind {
    /// The Kubernetes kind name (`ConfigMap`, `Secret`).
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideKind::ConfigMap => "ConfigMap",
            OverrideKind::Secret => "Secret",
        }
    }
}

impl fmt::Display for OverrideKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One override ConfigMap or Secret, with its values as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideObject {
    /// ConfigMap or Secret.
    pub kind: OverrideKind,
    /// Namespace (the manifest's, else the default given to [`overrides_from`]).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// The values; for a Secret decoded from base64 `data` or taken from `stringData`.
    pub data: BTreeMap<String, String>,
}

impl OverrideObject {
    /// How decisions and conflicts name the object: `ConfigMap kyma-installer/foo`.
    pub fn describe(&self) -> String {
        describe(self.kind, &self.namespace, &self.name)
    }
}

/// `Kind namespace/name`, the one way this module names an object.
fn describe(kind: OverrideKind, namespace: &str, name: &str) -> String {
    format!("{kind} {namespace}/{name}")
}

/// Which side wins a conflict when the operator chose one (`--prefer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefer {
    /// Take the new release's value.
    Release,
    /// Keep the value the cluster holds now.
    Cluster,
}

impl fmt::Display for Prefer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Prefer::Release => "release",
            Prefer::Cluster => "cluster",
        })
    }
}

/// The result of [`three_way`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// What to apply, sorted by kind, namespace and name: the target's
    /// objects plus the ones the user added (or changed where the release
    /// dropped them), with merged data. Live objects missing here are ones
    /// the release removed and the user had not touched. Unresolved
    /// conflicts hold the cluster's value here; do not apply while
    /// `conflicts` is not empty.
    pub objects: Vec<OverrideObject>,
    /// Every key where cluster and release differed, and what the merge did.
    pub decisions: Vec<Decision>,
    /// Keys both sides changed differently and no [`Prefer`] resolved.
    pub conflicts: Vec<Conflict>,
}

/// What the merge did with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The object, as `ConfigMap kyma-installer/foo`.
    pub object: String,
    /// The key inside the object's data.
    pub key: String,
    /// What happened to it.
    pub what: DecisionKind,
}

/// The ways a key can be settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// Only the user changed (or removed) it: the cluster's state stays.
    KeptUserValue,
    /// Only the release changed it: the release's value is taken.
    TookReleaseValue,
    /// The release added it and the user had not.
    AddedByRelease,
    /// The user added it and the release does not have it.
    KeptUserAddition,
    /// The release removed it and the user had not touched it.
    RemovedByRelease,
    /// Both changed it differently; the given side won.
    ResolvedConflict(Prefer),
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionKind::KeptUserValue => f.write_str("kept the cluster's value"),
            DecisionKind::TookReleaseValue => f.write_str("took the release's value"),
            DecisionKind::AddedByRelease => f.write_str("added by the release"),
            DecisionKind::KeptUserAddition => f.write_str("kept the user's addition"),
            DecisionKind::RemovedByRelease => f.write_str("removed by the release"),
            DecisionKind::ResolvedConflict(p) => write!(f, "conflict, took the {p}'s value"),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.object, self.key, self.what)
    }
}

/// A key both the user and the release changed, to different values.
/// `None` means the side does not have the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The object, as `Secret kyma-installer/foo`.
    pub object: String,
    /// The key inside the object's data.
    pub key: String,
    /// The previous release's value.
    pub base: Option<String>,
    /// The cluster's value now.
    pub cluster: Option<String>,
    /// The new release's value.
    pub release: Option<String>,
}

impl Conflict {
    /// Whether the values are Secret data, which must not be printed.
    pub fn is_secret(&self) -> bool {
        self.object
            .strip_prefix(OverrideKind::Secret.as_str())
            .is_some_and(|rest| rest.starts_with(' '))
    }
}

impl fmt::Display for Conflict {
    /// Shows all three values, or `<redacted>` for Secret data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| match v {
            None => "(absent)".to_string(),
            Some(_) if self.is_secret() => "<redacted>".to_string(),
            Some(v) => format!("{v:?}"),
        };
        write!(
            f,
            "{} {}: base {}, cluster {}, release {}",
            self.object,
            self.key,
            show(&self.base),
            show(&self.cluster),
            show(&self.release)
        )
    }
}
