//! The air-gapped hop runner: verify the bundle, find where the cluster
//! stands, gate on migration guides, run each hop's recipe, wait for the
//! installer, record progress, resume after interruptions. Talking to the
//! cluster is `cluster`'s job; prompting and drawing is the CLI's.

pub mod console;
mod error;
pub mod files;
pub mod fleet;
pub mod gate;
pub mod hops;
mod locate;
mod lock;
pub mod merge;
pub mod overrides;
pub mod runner;
pub mod status;
