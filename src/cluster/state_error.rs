//! The errors of the cluster-state half of `cluster`: reading the product
//! version, following the installer and keeping the journal. Each carries the
//! object it concerns and says what the operator can do next.
//!
//! Connecting, applying and deleting report their own errors (the sibling
//! `error` module, once it lands); both are meant to merge into one
//! `ClusterError`, so variant names here are the ones that enum will use.

use super::installer::ErrorLogEntry;
use std::time::Duration;

/// What went wrong reading or changing the cluster's upgrade state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A request to the API server failed.
    #[error("could not {action}: the Kubernetes API request failed; check the cluster connection and rerun")]
    Kube {
        /// What ferry was doing (`read Deployment kyma-installer/kyma-installer`).
        action: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The Deployment whose image tag is the product version does not exist.
    #[error("the product is not installed: Deployment {deployment} does not exist; if it runs under another name, pass --current VERSION")]
    NotInstalled {
        /// `namespace/name` of the Deployment.
        deployment: String,
    },
    /// The version Deployment has no container of the expected name.
    #[error("Deployment {deployment} has no container `{container}` (it has: {}); pass --current VERSION", found.join(", "))]
    NoSuchContainer {
        /// `namespace/name` of the Deployment.
        deployment: String,
        /// The container the profile names.
        container: String,
        /// The containers it has.
        found: Vec<String>,
    },
    /// The version container's image carries no tag (a bare name or a digest).
    #[error("the image `{image}` of Deployment {deployment} has no tag to read the version from; pass --current VERSION")]
    NoTag {
        /// `namespace/name` of the Deployment.
        deployment: String,
        /// The image reference.
        image: String,
    },
    /// The installer gave up.
    #[error("the installer gave up installing {version}: {description}{}; fix the cause, then rerun apply to retry this hop", render_error_log(errors))]
    InstallFailed {
        /// The version being installed.
        version: String,
        /// The Installation's last description.
        description: String,
        /// Its error log, by component.
        errors: Vec<ErrorLogEntry>,
    },
    /// The installer did not finish in time.
    #[error("the installer did not finish {version} within {}: last seen {last}; rerun apply (it resumes) or raise --timeout", humantime::format_duration(*waited))]
    InstallTimeout {
        /// The version being installed.
        version: String,
        /// How long ferry waited.
        waited: Duration,
        /// The last state seen, in words.
        last: String,
    },
    /// Another run holds the journal's lock.
    #[error("another ferry run ({holder}) holds the upgrade lock since {since}; wait for it to finish, or if it died, rerun with --break-lock")]
    Locked {
        /// Who holds it (`user@host pid N`).
        holder: String,
        /// When it was taken (RFC 3339).
        since: String,
    },
    /// A heartbeat or unlock by someone who does not hold the lock.
    #[error("the upgrade lock is held by {}, not by {holder}; another run took it over, so stop this one", found.as_deref().unwrap_or("nobody"))]
    NotLockHolder {
        /// Who asked.
        holder: String,
        /// Who holds it, if anyone.
        found: Option<String>,
    },
    /// The journal ConfigMap holds something that is not a journal.
    #[error("the journal ConfigMap {namespace}/{name} is not valid JSON in key journal.json; inspect it with kubectl, fix or delete it, then rerun")]
    JournalCorrupt {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// The journal could not be written.
    #[error("could not write the journal ConfigMap {namespace}/{name}")]
    JournalEncode {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// The encoding error.
        #[source]
        source: serde_json::Error,
    },
}

impl StateError {
    /// Wraps an API error with what ferry was doing.
    pub fn kube(action: impl Into<String>, source: kube::Error) -> StateError {
        StateError::Kube {
            action: action.into(),
            source,
        }
    }
}

/// True for API errors worth retrying: conflicts, throttling, server errors
/// and transport failures.
pub(crate) fn is_transient(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => matches!(status.code, 409 | 429 | 500..=599),
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => true,
        _ => false,
    }
}

/// `; error log: [core] msg (x2); [istio] msg` or nothing when empty.
fn render_error_log(errors: &[ErrorLogEntry]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    let entries: Vec<String> = errors
        .iter()
        .map(|e| {
            let times = if e.occurrences > 1 {
                format!(" (x{})", e.occurrences)
            } else {
                String::new()
            };
            format!("[{}] {}{times}", e.component, e.log)
        })
        .collect();
    format!("; error log: {}", entries.join("; "))
}
