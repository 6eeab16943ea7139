//! Following the product's installer: the pure predicate that reads the
//! installer's phase from its custom resource, and what a watch reports.
//!
//! Starting the installer (applying the labelled custom resource) is the
//! applier's job; what a failed or timed-out hop means for the upgrade is
//! `upgrade`'s. The watch itself, which uses these, is `installer_watch`.

use crate::recipe::ClusterSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Where the installer stands, as its custom resource says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallPhase {
    /// Asked to install, not started yet (or nothing asked for).
    Pending,
    /// Installing.
    InProgress {
        /// What it is doing (`Install component istio`).
        description: String,
    },
    /// An error it is still retrying.
    Retrying {
        /// Its description of the error.
        description: String,
        /// Its error log.
        errors: Vec<ErrorLogEntry>,
    },
    /// Finished successfully.
    Installed {
        /// `status.version`, when the installer reports one.
        version: Option<String>,
    },
    /// Gave up.
    Failed {
        /// Its description of the error.
        description: String,
        /// Its error log.
        errors: Vec<ErrorLogEntry>,
    },
}

/// One entry of the installer's error log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorLogEntry {
    /// The component that failed.
    pub component: String,
    /// The error it logged.
    pub log: String,
    /// How often it happened.
    pub occurrences: u64,
}

/// Receives the installer's phase while `wait_installed` runs.
pub trait InstallObserver: Send + Sync {
    /// Called on every phase change and about once a second in between
    /// (with the unchanged phase) so a clock can move.
    fn update(&self, phase: &InstallPhase, elapsed: Duration);
}

/// An observer that ignores everything.
pub struct Quiet;

impl InstallObserver for Quiet {
    fn update(&self, _phase: &InstallPhase, _elapsed: Duration) {}
}

/// The installer's phase from its custom resource (as JSON) and the
/// profile's `ClusterSpec`. While label `action_label=action_value` is
/// present the installer has not finished: `error_state` is `Retrying`,
/// `progress_state` is `InProgress`, anything else `Pending`. Once the label
/// is gone, `success_state` is `Installed` and `error_state` is `Failed`;
/// `progress_state` still reads `InProgress`, anything else `Pending`.
pub fn phase(installation: &Value, spec: &ClusterSpec) -> InstallPhase {
    let asked = installation
        .pointer("/metadata/labels")
        .and_then(|labels| labels.get(&spec.action_label))
        .and_then(Value::as_str)
        == Some(spec.action_value.as_str());
    let status = installation.get("status");
    let text = |field: &str| {
        status
            .and_then(|s| s.get(field))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let state = text("state").unwrap_or_default();
    let description = text("description").unwrap_or_default();
    if state == spec.progress_state {
        InstallPhase::InProgress { description }
    } else if state == spec.error_state {
        let errors = error_log(status);
        if asked {
            InstallPhase::Retrying {
                description,
                errors,
            }
        } else {
            InstallPhase::Failed {
                description,
                errors,
            }
        }
    } else if state == spec.success_state && !asked {
        InstallPhase::Installed {
            version: text("version"),
        }
    } else {
        InstallPhase::Pending
    }
}

/// `status.errorLog`, skipping entries that do not name a component.
fn error_log(status: Option<&Value>) -> Vec<ErrorLogEntry> {
    let entries = status
        .and_then(|s| s.get("errorLog"))
        .and_then(Value::as_array);
    entries
        .map(|list| {
            list.iter()
                .filter_map(|entry| {
                    Some(ErrorLogEntry {
                        component: entry.get("component")?.as_str()?.to_string(),
                        log: entry
                            .get("log")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        occurrences: entry
                            .get("occurrences")
                            .and_then(Value::as_u64)
                            .unwrap_or(1),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The phase in a few words, for messages.
pub fn describe(phase: &InstallPhase) -> String {
    match phase {
        InstallPhase::Pending => "waiting for the installer to start".to_string(),
        InstallPhase::InProgress { description } => format!("in progress ({description})"),
        InstallPhase::Retrying { description, .. } => format!("retrying after: {description}"),
        InstallPhase::Installed { version: Some(v) } => format!("installed {v}"),
        InstallPhase::Installed { version: None } => "installed".to_string(),
        InstallPhase::Failed { description, .. } => format!("failed: {description}"),
    }
}

#[cfg(test)]
#[path = "installer_tests.rs"]
mod tests;
