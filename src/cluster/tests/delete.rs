//! Deleting an object and waiting until it is gone.

use super::super::Applier;
use super::Cluster;
use crate::recipe::ObjectRef;
use std::time::Duration;

fn installer() -> ObjectRef {
    ObjectRef {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("kyma-installer".into()),
        name: "kyma-installer".into(),
    }
}

#[tokio::test]
async fn deletes_the_installer_deployment_and_waits_until_it_is_gone() {
    let cluster = Cluster::start((1, 16), Some("1.10.0")).await;
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let present = || {
        cluster
            .sim
            .get(
                "apps/v1",
                "Deployment",
                Some("kyma-installer"),
                "kyma-installer",
            )
            .is_some()
    };

    let mutations = cluster.sim.mutations();
    let existed = applier
        .delete_and_wait(&installer(), Duration::from_secs(10), true)
        .await
        .unwrap();
    assert!(existed);
    assert!(present(), "a dry run deletes nothing");
    assert_eq!(cluster.sim.mutations(), mutations);

    let existed = applier
        .delete_and_wait(&installer(), Duration::from_secs(10), false)
        .await
        .unwrap();
    assert!(existed);
    assert!(!present(), "gone when delete_and_wait returns");
    let again = applier
        .delete_and_wait(&installer(), Duration::from_secs(10), false)
        .await
        .unwrap();
    assert!(!again, "absent is fine");
}

#[tokio::test]
async fn a_kind_served_under_another_version_is_found_and_an_unserved_one_is_absent() {
    let cluster = Cluster::start((1, 16), Some("1.0.0")).await;
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let old_api = ObjectRef {
        api_version: "extensions/v1beta1".into(),
        ..installer()
    };
    // Kubernetes 1.16 does not serve extensions/v1beta1 Deployments: apps/v1 has it.
    let existed = applier
        .delete_and_wait(&old_api, Duration::from_secs(10), false)
        .await
        .unwrap();
    assert!(existed);
    assert!(cluster
        .sim
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer"
        )
        .is_none());
    let unknown = ObjectRef {
        api_version: "example.com/v1".into(),
        kind: "Thing".into(),
        namespace: None,
        name: "x".into(),
    };
    assert!(!applier
        .delete_and_wait(&unknown, Duration::from_secs(1), false)
        .await
        .unwrap());
}
