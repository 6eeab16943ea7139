//! The cluster, through kube-rs: connecting like kubectl, reading the
//! product's version, server-side applying multi-document YAML, deleting and
//! waiting, following the product installer, and the in-cluster journal.
//! Nothing here knows which hop runs; that is `upgrade`'s job.

// Cluster state: product version, installer watch, journal.
pub mod installer;
mod installer_watch;
pub mod journal;
pub mod state_error;
#[cfg(test)]
mod state_test_support;
pub mod version;
