//! Where an apply run starts: which variant to run, which version the
//! cluster runs, and whether the hop landing on it still has to finish.

use super::error::UpgradeError;
use super::status::{installer_state, InstallerState};
use crate::bundle::manifest::Manifest;
use crate::cluster::journal::{HopStatus, JournalState};
use crate::cluster::state_error::StateError;
use crate::cluster::version::current_version;
use crate::recipe::{LocalMarker, Variant};
use crate::version::Version;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;

/// The variant to run: `--variant`, else the bundle's single one, else what
/// the cluster's local marker says (`detected`), else cluster.
pub(super) fn choose_variant(
    manifest: &Manifest,
    wanted: Option<Variant>,
    detected: Option<Variant>,
) -> Result<Variant, UpgradeError> {
    match (manifest.variant, wanted) {
        (Variant::All, Some(Variant::All)) | (Variant::All, None) => {
            Ok(detected.unwrap_or(Variant::Cluster))
        }
        (Variant::All, Some(wanted)) => Ok(wanted),
        (carried, None) => Ok(carried),
        (carried, Some(wanted)) if wanted == carried || wanted == Variant::All => Ok(carried),
        (carried, Some(wanted)) => Err(UpgradeError::Variant { carried, wanted }),
    }
}

/// Local when the marker ConfigMap key says `true`, cluster otherwise.
pub(super) async fn detect_variant(
    client: &kube::Client,
    marker: &LocalMarker,
) -> Result<Variant, UpgradeError> {
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &marker.namespace);
    let found = maps.get_opt(&marker.name).await.map_err(|e| {
        StateError::kube(
            format!("read ConfigMap {}/{}", marker.namespace, marker.name),
            e,
        )
    })?;
    let local = found
        .and_then(|map| map.data)
        .and_then(|data| data.get(&marker.key).cloned())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    Ok(if local {
        Variant::Local
    } else {
        Variant::Cluster
    })
}

/// The version the cluster runs, and whether the hop landing on it is
/// unfinished (the installer has not reported that version installed).
///
/// `assumed` (`--current`) stands in for an installer image tag that is not
/// a version; a tag that is one and disagrees wins and stops the run, so
/// `--current` can never turn an upgrade into a downgrade.
///
/// A run killed between deleting the installer Deployment and applying the
/// new one leaves no version to read: the journal's unfinished hop says where
/// the cluster stands then.
pub(super) async fn locate(
    client: &kube::Client,
    manifest: &Manifest,
    state: &JournalState,
    assumed: Option<&Version>,
) -> Result<(Version, Resume), UpgradeError> {
    let version = match current_version(client, &manifest.cluster).await {
        Ok(running) => match (running.tag.parse::<Version>(), assumed) {
            (Ok(detected), Some(assumed)) if &detected != assumed => {
                return Err(UpgradeError::CurrentDisagrees {
                    image: running.image,
                    detected,
                    assumed: assumed.clone(),
                })
            }
            (Ok(detected), _) => detected,
            (Err(_), Some(assumed)) => assumed.clone(),
            (Err(_), None) => {
                return Err(UpgradeError::NotAVersion {
                    image: running.image,
                    tag: running.tag,
                })
            }
        },
        Err(StateError::NotInstalled { deployment }) => {
            let unfinished = state
                .hops
                .iter()
                .rev()
                .find(|record| record.status != HopStatus::Done)
                .and_then(|record| {
                    manifest
                        .hops
                        .iter()
                        .find(|hop| hop.version.to_string() == record.version)
                });
            return match (unfinished, assumed) {
                (Some(hop), _) => Ok((hop.previous.clone(), Resume::Reapply)),
                // No installer and no journal to contradict the operator.
                (None, Some(assumed)) => Ok((assumed.clone(), Resume::Clean)),
                (None, None) => Err(StateError::NotInstalled { deployment }.into()),
            };
        }
        Err(err) => return Err(err.into()),
    };
    let resume = match installer_state(client, &manifest.cluster).await? {
        InstallerState::Absent => Resume::Clean,
        InstallerState::Finished(Some(installed)) if installed != version.to_string() => {
            Resume::Reapply
        }
        InstallerState::Finished(_) => Resume::Clean,
        InstallerState::Running => Resume::WaitForInstaller,
        InstallerState::Failed => Resume::Reapply,
    };
    Ok((version, resume))
}

/// How the hop landing on the cluster's current version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resume {
    /// Finished: nothing to resume.
    Clean,
    /// The installer is still working on it: only wait.
    WaitForInstaller,
    /// It was cut short or failed: run it again (idempotently).
    Reapply,
}
