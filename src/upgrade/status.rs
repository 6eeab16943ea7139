//! What `ferry status` reports: the product version the cluster runs, the
//! installer's state, the journal of upgrades, and the images the
//! cluster's workloads run.

use crate::cluster::installer::{phase, InstallPhase};
use crate::cluster::journal::{Journal, JournalState};
use crate::cluster::state_error::StateError;
use crate::cluster::version::current_version;
use crate::cluster::workloads::{workload_images, WorkloadImage};
use crate::recipe::ClusterSpec;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;

/// The cluster's upgrade state.
#[derive(Debug)]
pub struct ClusterStatus {
    /// The installer image's tag, when the product is installed.
    pub version: Option<String>,
    /// The installer image.
    pub image: Option<String>,
    /// The Installation's phase, when it exists.
    pub installer: Option<InstallPhase>,
    /// The journal.
    pub journal: JournalState,
    /// The images of the workloads (Deployments, StatefulSets, DaemonSets).
    pub images: Vec<WorkloadImage>,
}

/// The Installation object, if it exists.
pub async fn read_installation(
    client: &kube::Client,
    spec: &ClusterSpec,
) -> Result<Option<serde_json::Value>, StateError> {
    let (group, version) = match spec.installation.api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", spec.installation.api_version.as_str()),
    };
    let gvk = GroupVersionKind::gvk(group, version, &spec.installation.kind);
    let resource = ApiResource::from_gvk(&gvk);
    let namespace = spec
        .installation
        .namespace
        .as_deref()
        .unwrap_or(&spec.default_namespace);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    match api.get_opt(&spec.installation.name).await {
        Ok(object) => Ok(object.and_then(|o| serde_json::to_value(o).ok())),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(None),
        Err(err) => Err(StateError::kube("read the Installation", err)),
    }
}

/// The installer's last install, as seen from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallerState {
    /// No Installation object.
    Absent,
    /// The install finished, for this version (when the status names one).
    Finished(Option<String>),
    /// The installer is (about to be) working.
    Running,
    /// The installer gave up.
    Failed,
}

/// Reads the installer's state.
pub async fn installer_state(
    client: &kube::Client,
    spec: &ClusterSpec,
) -> Result<InstallerState, StateError> {
    Ok(match read_installation(client, spec).await? {
        None => InstallerState::Absent,
        Some(installation) => match phase(&installation, spec) {
            InstallPhase::Installed { version } => InstallerState::Finished(version),
            InstallPhase::Failed { .. } => InstallerState::Failed,
            InstallPhase::Pending
            | InstallPhase::InProgress { .. }
            | InstallPhase::Retrying { .. } => InstallerState::Running,
        },
    })
}

/// Where the journal lives: the installer's namespace.
pub fn journal_namespace(spec: &ClusterSpec) -> &str {
    spec.version_deployment
        .namespace
        .as_deref()
        .unwrap_or(&spec.default_namespace)
}

/// Reads everything `ferry status` shows.
pub async fn cluster_status(
    client: &kube::Client,
    spec: &ClusterSpec,
) -> Result<ClusterStatus, StateError> {
    let (version, image) = match current_version(client, spec).await {
        Ok(current) => (Some(current.tag), Some(current.image)),
        Err(StateError::NotInstalled { .. }) => (None, None),
        Err(err) => return Err(err),
    };
    let installer = read_installation(client, spec)
        .await?
        .map(|installation| phase(&installation, spec));
    let journal = Journal::new(client.clone(), journal_namespace(spec))
        .read()
        .await?;
    let images = workload_images(client).await?;
    Ok(ClusterStatus {
        version,
        image,
        installer,
        journal,
        images,
    })
}
