use super::*;
use crate::cluster::state_test_support::kyma_spec;
use serde_json::json;

fn installation(labels: Value, status: Value) -> Value {
    json!({"apiVersion": "installer.kyma-project.io/v1alpha1", "kind": "Installation",
           "metadata": {"name": "kyma-installation", "namespace": "default", "labels": labels},
           "status": status})
}

fn core_error(occurrences: u64) -> Value {
    json!([{"component": "core", "log": "Helm install error: timed out", "occurrences": occurrences}])
}

#[test]
fn labelled_without_status_is_pending() {
    let spec = kyma_spec();
    let obj = installation(json!({"action": "install"}), json!({}));
    assert_eq!(phase(&obj, &spec), InstallPhase::Pending);
    let obj = json!({"metadata": {"labels": {"action": "install"}}});
    assert_eq!(phase(&obj, &spec), InstallPhase::Pending);
}

#[test]
fn labelled_and_still_installed_from_before_is_pending() {
    let obj = installation(
        json!({"action": "install"}),
        json!({"state": "Installed", "version": "1.0.0"}),
    );
    assert_eq!(phase(&obj, &kyma_spec()), InstallPhase::Pending);
}

#[test]
fn in_progress_carries_the_description() {
    let obj = installation(
        json!({"action": "install"}),
        json!({"state": "InProgress", "description": "Install component istio"}),
    );
    assert_eq!(
        phase(&obj, &kyma_spec()),
        InstallPhase::InProgress {
            description: "Install component istio".into()
        }
    );
}

#[test]
fn error_while_labelled_is_retrying_with_the_log() {
    let obj = installation(
        json!({"action": "install", "other": "x"}),
        json!({"state": "Error", "description": "retrying", "errorLog": core_error(1)}),
    );
    assert_eq!(
        phase(&obj, &kyma_spec()),
        InstallPhase::Retrying {
            description: "retrying".into(),
            errors: vec![ErrorLogEntry {
                component: "core".into(),
                log: "Helm install error: timed out".into(),
                occurrences: 1
            }],
        }
    );
}

#[test]
fn label_gone_decides_installed_or_failed() {
    let spec = kyma_spec();
    let done = installation(json!({}), json!({"state": "Installed", "version": "1.1.0"}));
    assert_eq!(
        phase(&done, &spec),
        InstallPhase::Installed {
            version: Some("1.1.0".into())
        }
    );
    let no_labels =
        json!({"metadata": {"name": "kyma-installation"}, "status": {"state": "Installed"}});
    assert_eq!(
        phase(&no_labels, &spec),
        InstallPhase::Installed { version: None }
    );
    let failed = installation(
        json!({}),
        json!({"state": "Error", "description": "giving up", "errorLog": core_error(2)}),
    );
    match phase(&failed, &spec) {
        InstallPhase::Failed {
            description,
            errors,
        } => {
            assert_eq!(description, "giving up");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].occurrences, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_label_with_another_value_does_not_count_as_asked() {
    let obj = installation(
        json!({"action": "uninstall"}),
        json!({"state": "Installed"}),
    );
    assert!(matches!(
        phase(&obj, &kyma_spec()),
        InstallPhase::Installed { .. }
    ));
}

#[test]
fn the_profile_names_the_states() {
    let mut spec = kyma_spec();
    spec.success_state = "Done".into();
    let obj = installation(json!({}), json!({"state": "Done"}));
    assert!(matches!(phase(&obj, &spec), InstallPhase::Installed { .. }));
    let obj = installation(json!({}), json!({"state": "Installed"}));
    assert_eq!(phase(&obj, &spec), InstallPhase::Pending);
}
