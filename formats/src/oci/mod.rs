//! Container images as data: content digests, media types, the image
//! documents (config, manifest, index) and the OCI image layout that bundles
//! carry. Talking to registries and choosing which images
//! a hop needs live elsewhere; this module does no I/O beyond what a caller
//! hands it.

pub mod digest;
pub mod image;
pub mod layout;
pub mod media;

pub use digest::{Digest, DigestError};
pub use image::{Descriptor, Platform};
pub use layout::LayoutEntry;
