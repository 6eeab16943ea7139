//! ferry carries product upgrades across an air gap.
//!
//! Data flows one way: `source` lists releases, `plan` orders the hops,
//! `fetch` downloads their files, `bundle` packs, signs and verifies them.
//! `profile` holds the product knowledge; `sandbox` simulates GitHub for the
//! tests and `ferry demo`; `cli` is the only place that prints.
#![deny(missing_docs)]

pub mod archive;
pub mod bundle;
pub mod cli;
pub mod cluster;
pub mod fetch;
pub mod images;
pub mod oci;
pub mod pack;
pub mod plan;
pub mod process;
pub mod profile;
pub mod recipe;
pub mod registry;
pub mod sandbox;
pub mod source;
pub mod tls;
pub mod upgrade;
pub mod version;

#[cfg(test)]
mod fuzz;
