//! ferry carries product upgrades across an air gap.
//!
//! Data flows one way: `source` lists releases, `plan` orders the hops,
//! `fetch` downloads their files, `bundle` packs, signs and verifies them.
//! `profile` holds the product knowledge; `cli` is the only place that
//! prints. Release versions and OCI images as data (`version`, `oci`) come
//! from the `ferry-formats` crate. The simulators of GitHub, Kubernetes and
//! registries are the `ferry-sandbox` crate: the tests use it, and so do
//! `ferry demo` and `ferry sandbox` when the default `sandbox` feature is
//! on (re-exported here as `sandbox`); `--no-default-features` builds ferry
//! without them.
#![deny(missing_docs)]

pub mod archive;
pub mod bundle;
pub mod cli;
pub mod cluster;
pub mod fetch;
pub mod images;
pub mod pack;
pub mod plan;
pub mod process;
pub mod profile;
pub mod recipe;
pub mod registry;
pub mod source;
pub mod tls;
pub mod upgrade;

pub use ferry_formats::{oci, version};
#[cfg(feature = "sandbox")]
pub use ferry_sandbox as sandbox;

#[cfg(test)]
mod fuzz;
