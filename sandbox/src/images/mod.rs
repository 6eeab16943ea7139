//! Generated container images for the tests and the demo: images described
//! as files per layer (`spec`), built into deterministic OCI blobs (`build`:
//! tar with fixed metadata, gzip without header time or name, config,
//! manifest, multi-platform index), written as an OCI image layout
//! (`layout`), filled with reproducible incompressible bytes (`random`). The
//! Kyma image set the upgrade tests carry lives in `kyma`, a set of any
//! size for the benchmarks in `synthetic`, and the way a test registry
//! mirrors the original registries in `mirror`.
//!
//! The documents themselves (digests, media types, JSON shapes, layout
//! paths) come from [`ferry_formats::oci`]; pushing to a registry is left to the
//! tests (real skopeo) and to the product.

mod build;
mod kyma;
mod layout;
mod mirror;
mod random;
mod spec;
mod synthetic;
#[cfg(test)]
mod tests;

pub use build::{BuiltImage, ImageError};
pub use kyma::{
    kyma_chart_images, kyma_images, kyma_installer_image, BUSYBOX_IMAGE, GRAFANA_IMAGE,
};
pub use layout::{write_layout, LayoutError};
pub use mirror::{
    mirror_path, mirror_target, mirrored_reference, registry_mirror_flags, MIRRORED_REGISTRY,
};
pub use random::pseudo_random;
pub use spec::{FileSpec, GeneratedImage, ImageContent, ImageSpec, LayerSpec};
pub use synthetic::{synthetic_images, SYNTHETIC_REGISTRY};
