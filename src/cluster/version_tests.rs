use super::*;
use crate::cluster::state_test_support::{kyma_spec, sim};
use kube::api::{Patch, PatchParams};
use serde_json::json;

#[test]
fn image_tag_reads_the_tag_of_the_last_path_component() {
    assert_eq!(
        image_tag("eu.gcr.io/kyma-project/kyma-installer:1.2.3"),
        Some("1.2.3")
    );
    assert_eq!(
        image_tag("registry:5000/team/installer:1.16.0-rc4"),
        Some("1.16.0-rc4")
    );
    assert_eq!(image_tag("installer:master-abc123"), Some("master-abc123"));
    assert_eq!(image_tag("installer:1.2.3@sha256:0123abcd"), Some("1.2.3"));
    assert_eq!(image_tag("registry:5000/installer@sha256:0123abcd"), None);
    assert_eq!(image_tag("registry:5000/team/installer"), None);
    assert_eq!(image_tag("installer:"), None);
    assert_eq!(image_tag(""), None);
}

#[tokio::test]
async fn current_version_is_the_installer_image_tag() {
    let (_sim, client) = sim(Some("1.2.3")).await;
    let current = current_version(&client, &kyma_spec()).await.unwrap();
    assert_eq!(current.tag, "1.2.3");
    assert_eq!(current.image, "eu.gcr.io/kyma-project/kyma-installer:1.2.3");
}

#[tokio::test]
async fn an_empty_cluster_is_not_installed() {
    let (_sim, client) = sim(None).await;
    let err = current_version(&client, &kyma_spec()).await.unwrap_err();
    assert!(
        matches!(&err, StateError::NotInstalled { deployment } if deployment == "kyma-installer/kyma-installer"),
        "{err:?}"
    );
    assert!(err.to_string().contains("--current"), "{err}");
}

#[tokio::test]
async fn a_missing_container_or_tag_is_named() {
    let (_sim, client) = sim(Some("1.2.3")).await;
    let mut spec = kyma_spec();
    spec.version_container = "installer".into();
    let err = current_version(&client, &spec).await.unwrap_err();
    match err {
        StateError::NoSuchContainer {
            container, found, ..
        } => {
            assert_eq!(container, "installer");
            assert_eq!(found, vec!["kyma-installer-container".to_string()]);
        }
        other => panic!("{other:?}"),
    }

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "kyma-installer");
    let digest = "eu.gcr.io/kyma-project/kyma-installer@sha256:00ff";
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "kyma-installer-container", "image": digest}]}}}});
    deployments
        .patch(
            "kyma-installer",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();
    let err = current_version(&client, &kyma_spec()).await.unwrap_err();
    assert!(
        matches!(&err, StateError::NoTag { image, .. } if image == digest),
        "{err:?}"
    );
}
