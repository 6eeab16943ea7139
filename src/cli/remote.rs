//! Bundles named `oci://HOST/REPO:TAG`: pulled from a registry (index and
//! signature first, then the parts into the download cache) and handed to
//! the reader as a split bundle read in place.

use crate::bundle::input::BundleInput;
use crate::bundle::keyring::Keyring;
use crate::cli::args::OciArgs;
use crate::cli::progress::Progress;
use crate::fetch::Cache;
use crate::registry::artifact::{self, ArtifactSettings};
use crate::registry::{Puller, PullerSettings};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A bundle ready for the reader, and the scratch directory an `oci://`
/// one is laid out in (links into the cache), removed when dropped.
pub struct Located {
    /// The bundle.
    pub input: BundleInput,
    _links: Option<tempfile::TempDir>,
}

/// The bundle `path` names: a local file or split bundle, or an `oci://`
/// reference pulled now; a part index is checked with `keyring` when given.
pub async fn locate(
    path: &Path,
    keyring: Option<&Keyring>,
    oci: &OciArgs,
    quiet: bool,
) -> Result<Located> {
    let Some(source) = path
        .to_str()
        .filter(|text| artifact::strip_scheme(text).is_some())
    else {
        return Ok(Located {
            input: BundleInput::locate(path, keyring)?,
            _links: None,
        });
    };
    let settings = ArtifactSettings {
        insecure: oci.oci_insecure.clone(),
        ca_cert: oci.oci_ca_cert.clone(),
        jobs: 4,
    };
    let dir: PathBuf = oci.cache.clone().unwrap_or_else(Cache::default_dir);
    let cache = Cache::open(&dir)
        .with_context(|| format!("cannot use download cache {}", dir.display()))?;
    let progress = Arc::new(Progress::new(quiet));
    let puller = Puller::new(
        PullerSettings {
            insecure: settings.insecure.clone(),
            ca_cert: settings.ca_cert.clone(),
            jobs: settings.jobs,
            ..PullerSettings::default()
        },
        cache,
        progress.clone(),
    )?;
    let links = tempfile::Builder::new()
        .prefix("ferry-oci-")
        .tempdir()
        .context("cannot create a scratch directory")?;
    let split =
        artifact::fetch(&settings, &puller, progress, source, keyring, links.path()).await?;
    Ok(Located {
        input: BundleInput::Parts(split),
        _links: Some(links),
    })
}
