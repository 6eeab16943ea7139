//! Talking to OCI registries: credentials the way container tools keep
//! them (`auth`), resolving a tag to a digest and pulling every blob of an
//! image into the download cache (`pull`), and reading files out of an
//! image's layers (`files`). Which images to pull is `images`' decision;
//! putting them into a bundle is `pack`'s.
//!
//! The protocol is `oci-client`'s; ferry adds retries with backoff, resumed
//! blob downloads, digest checks on everything, size caps, the cache and
//! progress through `fetch::Reporter`.

pub mod artifact;
pub mod auth;
mod client;
mod error;
pub mod files;
pub mod pull;
pub mod push;
pub mod site;
#[cfg(test)]
mod tests;

pub use error::RegistryError;
pub use pull::{ArchivedImages, Blob, PulledImage, Puller, PullerSettings};
pub use push::{PushReport, PushSettings, Pusher};
pub use site::Site;
