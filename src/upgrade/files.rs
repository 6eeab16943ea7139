//! A hop's steps with their files read from the verified, extracted bundle:
//! which objects each step applies, for the chosen variant. Hops are loaded
//! one at a time ([`StepLoader`]), so memory holds one hop's objects, never
//! the whole bundle's; YAML is parsed once per hop, and later loads of the
//! same hop read a JSON copy kept next to the extracted bundle.

use crate::bundle::manifest::Hop;
use crate::cluster::yaml::parse_documents;
use crate::images::workloads::relocate_workload_images;
use crate::recipe::{Step, Variant};
use kube::api::DynamicObject;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One step, ready to run.
#[derive(Serialize, Deserialize)]
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
    pub root: PathBuf,
    /// Where parsed hops are kept as JSON (a private scratch directory).
    pub parsed: PathBuf,
    /// The variant being installed.
    pub variant: Variant,
    /// The first hop only waits: its install is already running.
    pub first_only_waits: bool,
    /// `--registry`: the site registry every workload image is moved to,
    /// and the installer overrides that point the installer there.
    pub relocation: Option<Relocation>,
}

/// Where `apply --registry` moves images, and how the installer learns it.
#[derive(Debug, Clone)]
pub struct Relocation {
    /// `HOST[:PORT][/PREFIX]`.
    pub site: String,
    /// The profile's override ConfigMaps (carried in the bundle).
    pub overrides: Vec<crate::recipe::RegistryOverride>,
}

impl Relocation {
    /// Moves the images of every workload the steps apply to the site, and
    /// applies the registry overrides first.
    fn apply_to(&self, steps: &mut Vec<LoadedStep>) {
        for step in steps.iter_mut() {
            if let LoadedStep::Apply { objects, .. } = step {
                relocate_workload_images(objects, &self.site);
            }
        }
        let objects: Vec<DynamicObject> = self
            .overrides
            .iter()
            .filter_map(|o| {
                let data: serde_json::Map<String, serde_json::Value> = o
                    .values
                    .iter()
                    .map(|(key, value)| (key.clone(), value.replace("{site}", &self.site).into()))
                    .collect();
                serde_json::from_value(serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": { "name": o.name, "namespace": o.namespace, "labels": o.labels },
                    "data": data,
                }))
                .ok()
            })
            .collect();
        if !objects.is_empty() {
            steps.insert(
                0,
                LoadedStep::Apply {
                    path: format!("registry overrides for {}", self.site),
                    objects,
                },
            );
        }
    }
}

impl StepLoader {
    /// The steps of `hop`, which is at `position` among the remaining hops.
    pub fn load(&self, position: usize, hop: &Hop) -> Result<Vec<LoadedStep>, LoadError> {
        let copy = self.parsed.join(format!("hop-{position}.json"));
        let earlier = std::fs::read(&copy).ok();
        if let Some(steps) = earlier.and_then(|json| serde_json::from_slice(&json).ok()) {
            return Ok(steps);
        }
        let mut steps = load_steps(&self.root, hop, self.variant)?;
        if position == 0 && self.first_only_waits {
            steps.retain(|step| matches!(step, LoadedStep::WaitInstalled));
        } else if let Some(relocation) = &self.relocation {
            relocation.apply_to(&mut steps);
        }
        // Only a shortcut: without the copy, the next load parses again.
        let kept = serde_json::to_vec(&steps)
            .map_err(std::io::Error::other)
            .and_then(|json| {
                std::fs::create_dir_all(&self.parsed)?;
                std::fs::write(&copy, json)
            });
        if let Err(err) = kept {
            tracing::debug!("not keeping the parsed hop {}: {err}", hop.version);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::Hop;
    use kube::ResourceExt;

    fn hop() -> Hop {
        Hop {
            version: "1.1.0".parse().unwrap(),
            previous: "1.0.0".parse().unwrap(),
            tag: "1.1.0".into(),
            commit: None,
            published: None,
            prerelease: false,
            pin_reason: None,
            guides: vec![],
            steps: vec![
                Step::Apply {
                    path: "hops/1.1.0/assets/a.yaml".into(),
                    variant: Variant::All,
                },
                Step::WaitInstalled {
                    variant: Variant::All,
                },
            ],
            files: vec![],
            images: Vec::new(),
        }
    }

    /// An extracted bundle with one hop file; returns its root and the file.
    fn extracted(dir: &Path) -> (PathBuf, PathBuf) {
        let root = dir.join("bundle");
        let file = root.join("hops/1.1.0/assets/a.yaml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n";
        std::fs::write(&file, yaml).unwrap();
        (root, file)
    }

    fn loader(dir: &Path, root: PathBuf, first_only_waits: bool) -> StepLoader {
        StepLoader {
            root,
            parsed: dir.join("parsed"),
            variant: Variant::Cluster,
            first_only_waits,
            relocation: None,
        }
    }

    #[test]
    fn a_hop_is_parsed_once_and_read_back_from_its_json_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (root, file) = extracted(dir.path());
        let loader = loader(dir.path(), root, false);
        let first = loader.load(0, &hop()).unwrap();
        // The YAML is gone: the second load can only come from the copy.
        std::fs::remove_file(&file).unwrap();
        let second = loader.load(0, &hop()).unwrap();
        for steps in [&first, &second] {
            assert_eq!(steps.len(), 2);
            let LoadedStep::Apply { objects, .. } = &steps[0] else {
                panic!("not an apply step");
            };
            assert_eq!(objects[0].name_any(), "a");
            assert_eq!(objects[0].data["data"]["k"], "v");
            assert!(matches!(steps[1], LoadedStep::WaitInstalled));
        }
        // Another position has no copy, and the file is gone.
        assert!(loader.load(1, &hop()).is_err());
    }

    #[test]
    fn only_the_first_hop_of_a_running_install_just_waits() {
        let dir = tempfile::tempdir().unwrap();
        let (root, _) = extracted(dir.path());
        let loader = loader(dir.path(), root, true);
        let first = loader.load(0, &hop()).unwrap();
        assert_eq!(first.len(), 1);
        assert!(matches!(first[0], LoadedStep::WaitInstalled));
        assert_eq!(loader.load(1, &hop()).unwrap().len(), 2);
    }
}
