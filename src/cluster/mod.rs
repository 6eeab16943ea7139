//! The cluster, through kube-rs: connecting like kubectl, reading the
//! product's version, server-side applying multi-document YAML, deleting and
//! waiting, following the product installer, and the in-cluster journal.
//! Nothing here knows which hop runs; that is `upgrade`'s job.

// Cluster state: product version, installer watch, journal.
pub mod installer;
pub mod installer_watch;
pub mod journal;
pub mod state_error;
#[cfg(test)]
mod state_test_support;
pub mod version;
pub mod workloads;

// The apply engine: connection, YAML, discovery, apply, delete, preflight.
pub mod apply;
mod catalog;
mod compare;
pub mod connect;
mod crd;
mod delete;
pub mod error;
mod order;
mod plain_yaml;
pub mod preflight;
pub mod retry;
mod seen;
#[cfg(test)]
mod tests;
mod wait;
pub mod yaml;

/// The field manager ferry applies as: its `managedFields` entry is how
/// `apply` and `seen` tell ferry's own changes from everyone else's.
pub const FIELD_MANAGER: &str = "ferry";

pub use apply::{Applied, Applier, Change};
pub use connect::{connect, ClusterTarget};
pub use error::ClusterError;
pub use preflight::Unservable;
pub use yaml::parse_documents;
