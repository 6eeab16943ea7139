//! What a generated image is made of: its reference, and per platform the
//! files of each layer. Turning that into blobs is `build`'s job.

use ferry_formats::oci::Platform;

/// One file in a layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSpec {
    /// Its path inside the image, relative, without a leading `/`
    /// (`kyma/injected/resources/helm-broker/values.yaml`).
    pub path: String,
    /// Its contents.
    pub data: Vec<u8>,
    /// Mode 0755 when true, else 0644.
    pub executable: bool,
}

impl FileSpec {
    /// A regular, non-executable file.
    pub fn new(path: &str, data: impl Into<Vec<u8>>) -> FileSpec {
        FileSpec {
            path: path.to_string(),
            data: data.into(),
            executable: false,
        }
    }

    /// An executable file.
    pub fn executable(path: &str, data: impl Into<Vec<u8>>) -> FileSpec {
        FileSpec {
            executable: true,
            ..FileSpec::new(path, data)
        }
    }
}

/// One layer: its files, in any order (the tar sorts them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerSpec {
    /// The files.
    pub files: Vec<FileSpec>,
}

/// One single-platform image: its layers, bottom first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// The layers, bottom first.
    pub layers: Vec<LayerSpec>,
}

/// An image as one manifest, or as an index over per-platform manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageContent {
    /// One manifest, for linux/amd64.
    Single(ImageSpec),
    /// An OCI index with one manifest per platform, in this order.
    Index(Vec<(Platform, ImageSpec)>),
}

/// A generated image and the full reference it is known by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedImage {
    /// The full original reference (`eu.gcr.io/kyma-project/kyma-installer:1.1.0`).
    pub reference: String,
    /// What it is made of.
    pub content: ImageContent,
}

impl GeneratedImage {
    /// A single-platform image.
    pub fn single(reference: &str, layers: Vec<LayerSpec>) -> GeneratedImage {
        GeneratedImage {
            reference: reference.to_string(),
            content: ImageContent::Single(ImageSpec { layers }),
        }
    }

    /// The platforms it is built for.
    pub fn platforms(&self) -> Vec<Platform> {
        match &self.content {
            ImageContent::Single(_) => vec![default_platform()],
            ImageContent::Index(images) => images.iter().map(|(p, _)| p.clone()).collect(),
        }
    }
}

/// The platform of a [`ImageContent::Single`] image.
pub(crate) fn default_platform() -> Platform {
    Platform::new("linux", "amd64")
}
