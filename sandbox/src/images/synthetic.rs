//! A generated image set of any size, for the image benchmarks: COUNT
//! images `bench.local/ferry-bench/image-N:1`, each one layer shared by all
//! (SHARED bytes) and one of its own (OWN bytes), incompressible.

use super::random::pseudo_random;
use super::spec::{FileSpec, GeneratedImage, LayerSpec};

/// The registry the synthetic images claim to come from.
pub const SYNTHETIC_REGISTRY: &str = "bench.local";

/// `count` images sharing a `shared`-byte layer, each with an `own`-byte layer.
pub fn synthetic_images(count: usize, shared: usize, own: usize) -> Vec<GeneratedImage> {
    let base = LayerSpec {
        files: vec![FileSpec::new(
            "opt/base.bin",
            pseudo_random("bench base", shared),
        )],
    };
    (1..=count)
        .map(|n| {
            let reference = format!("{SYNTHETIC_REGISTRY}/ferry-bench/image-{n}:1");
            let layer = LayerSpec {
                files: vec![FileSpec::new(
                    &format!("opt/image-{n}.bin"),
                    pseudo_random(&reference, own),
                )],
            };
            GeneratedImage::single(&reference, vec![base.clone(), layer])
        })
        .collect()
}
