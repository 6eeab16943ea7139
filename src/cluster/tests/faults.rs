//! Transient API failures are retried.

use super::super::{connect, Applier, Change, ClusterTarget};
use super::{manifest, Cluster};
use crate::recipe::ObjectRef;
use ferry_sandbox::kube::KubeFaults;
use std::time::Duration;

#[tokio::test]
async fn every_fourth_request_failing_with_500_still_applies_and_deletes() {
    let cluster = Cluster::start((1, 16), None).await;
    cluster.sim.set_faults(KubeFaults {
        server_error_every: Some(4),
        ..KubeFaults::default()
    });
    let target = ClusterTarget {
        kubeconfig: Some(cluster.kubeconfig()),
        context: None,
    };
    let client = connect(&target).await.unwrap();
    let mut applier = Applier::new(client).await.unwrap();
    let objects = manifest("1.15.0", "kyma-installer-cluster.yaml");
    let report = applier.apply(&objects, "default", false).await.unwrap();
    assert!(report.iter().all(|a| a.change == Change::Created));
    let installer = ObjectRef {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("kyma-installer".into()),
        name: "kyma-installer".into(),
    };
    assert!(applier
        .delete_and_wait(&installer, Duration::from_secs(10), false)
        .await
        .unwrap());

    let failed = cluster
        .sim
        .requests()
        .iter()
        .filter(|r| r.status == 500)
        .count();
    assert!(failed >= 5, "only {failed} injected failures");
    assert!(cluster
        .sim
        .get(
            "installer.kyma-project.io/v1alpha1",
            "Installation",
            Some("default"),
            "kyma-installation"
        )
        .is_some());
    assert!(cluster
        .sim
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer"
        )
        .is_none());
}
