//! The data formats that ferry and its simulators (`ferry-sandbox`) both
//! speak, kept in their own crate so that neither depends on the other:
//! release versions (`version`) and container images as data (`oci`).
//! Nothing here does I/O.

#![deny(missing_docs)]

pub mod oci;
pub mod version;
