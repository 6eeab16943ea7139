//! A hop's steps with their files read from the verified, extracted bundle:
//! which objects each step applies, for the chosen variant. Hops are loaded
//! one at a time ([`StepLoader`]), so memory holds one hop's objects, never
//! the whole bundle's.

use crate::bundle::manifest::Hop;
use crate::cluster::yaml::parse_documents;
use crate::recipe::{Step, Variant};
use kube::api::DynamicObject;
use std::path::Path;

/// One step, ready to run.
pub enum LoadedStep {
    /// Delete an object.
    Delete(crate::recipe::ObjectRef),
    /// Apply these objects (from `path`).
    Apply {
        /// Bundle path of the file.
        path: String,
        /// Its documents, in order.
        objects: Vec<DynamicObject>,
    },
    /// Merge and apply overrides.
    Overrides {
        /// Bundle path of the release's file.
        path: String,
        /// The release's override objects.
        target: Vec<serde_json::Value>,
        /// The previous release's override objects (the merge base).
        base: Vec<serde_json::Value>,
        /// Label selector of the cluster's override objects.
        selector: String,
    },
    /// Wait for the installer.
    WaitInstalled,
}

/// Why a hop's files cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading an extracted file failed.
    #[error("cannot read {path} from the extracted bundle")]
    Read {
        /// Bundle path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The YAML is not a list of Kubernetes objects.
    #[error(transparent)]
    Parse(#[from] crate::cluster::ClusterError),
    /// An object could not be turned into JSON.
    #[error("cannot convert an object of {path} to JSON")]
    Json {
        /// Bundle path.
        path: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
}

fn read(root: &Path, path: &str) -> Result<String, LoadError> {
    std::fs::read_to_string(root.join(path)).map_err(|source| LoadError::Read {
        path: path.to_string(),
        source,
    })
}

fn objects(root: &Path, path: &str) -> Result<Vec<DynamicObject>, LoadError> {
    Ok(parse_documents(&read(root, path)?, path)?)
}

fn json_objects(root: &Path, path: &str) -> Result<Vec<serde_json::Value>, LoadError> {
    objects(root, path)?
        .into_iter()
        .map(|object| {
            serde_json::to_value(object).map_err(|source| LoadError::Json {
                path: path.to_string(),
                source,
            })
        })
        .collect()
}

/// Loads the steps of the remaining hops, one hop at a time.
pub struct StepLoader {
    /// Where the bundle is extracted.
    pub root: std::path::PathBuf,
    /// The variant being installed.
    pub variant: Variant,
    /// The first hop only waits: its install is already running.
    pub first_only_waits: bool,
}

impl StepLoader {
    /// The steps of `hop`, which is at `position` among the remaining hops.
    pub fn load(&self, position: usize, hop: &Hop) -> Result<Vec<LoadedStep>, LoadError> {
        let mut steps = load_steps(&self.root, hop, self.variant)?;
        if position == 0 && self.first_only_waits {
            steps.retain(|step| matches!(step, LoadedStep::WaitInstalled));
        }
        Ok(steps)
    }
}

/// The hop's steps for `variant`, with their files parsed.
pub fn load_steps(root: &Path, hop: &Hop, variant: Variant) -> Result<Vec<LoadedStep>, LoadError> {
    hop.steps
        .iter()
        .filter(|step| step.variant().is_needed_for(variant))
        .map(|step| {
            Ok(match step {
                Step::Delete { object, .. } => LoadedStep::Delete(object.clone()),
                Step::Apply { path, .. } => LoadedStep::Apply {
                    path: path.clone(),
                    objects: objects(root, path)?,
                },
                Step::ApplyOverrides {
                    path,
                    base_path,
                    selector,
                    ..
                } => LoadedStep::Overrides {
                    path: path.clone(),
                    target: json_objects(root, path)?,
                    base: match base_path {
                        Some(base) => json_objects(root, base)?,
                        None => Vec::new(),
                    },
                    selector: selector.clone(),
                },
                Step::WaitInstalled { .. } => LoadedStep::WaitInstalled,
            })
        })
        .collect()
}

impl LoadedStep {
    /// The objects this step applies as written in the bundle (for preflight).
    pub fn objects(&self) -> Vec<DynamicObject> {
        match self {
            LoadedStep::Apply { objects, .. } => objects.clone(),
            LoadedStep::Overrides { target, .. } => target
                .iter()
                .filter_map(|value| serde_json::from_value(value.clone()).ok())
                .collect(),
            LoadedStep::Delete(_) | LoadedStep::WaitInstalled => Vec::new(),
        }
    }
}
