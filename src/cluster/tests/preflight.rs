//! Preflight on clusters that no longer serve Kyma 1.x APIs.

use super::super::{Applier, ClusterError};
use super::{manifest, Cluster};

#[tokio::test]
async fn names_v1beta1_crds_and_old_deployments_on_a_current_kubernetes() {
    let cluster = Cluster::start((1, 30), None).await;
    let objects = manifest("1.0.0", "kyma-installer-cluster.yaml");
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    assert!(
        applier.serves("apps/v1", "Deployment"),
        "aggregated discovery found the built-ins"
    );

    let found = applier.unservable(&objects, &objects);
    let named: Vec<String> = found
        .iter()
        .map(|u| format!("{} {} {}", u.kind, u.api_version, u.name))
        .collect();
    assert_eq!(
        named,
        [
            "CustomResourceDefinition apiextensions.k8s.io/v1beta1 installations.installer.kyma-project.io",
            "CustomResourceDefinition apiextensions.k8s.io/v1beta1 releases.release.kyma-project.io",
            "Deployment extensions/v1beta1 kyma-installer",
            "Installation installer.kyma-project.io/v1alpha1 kyma-installation",
        ]
    );
    assert!(
        found[0]
            .hint
            .starts_with("Kubernetes >= 1.22 no longer serves it"),
        "{}",
        found[0].hint
    );
    assert!(
        found[2]
            .hint
            .starts_with("Kubernetes >= 1.16 no longer serves it"),
        "{}",
        found[2].hint
    );
    assert!(
        found[3]
            .hint
            .contains("installations.installer.kyma-project.io"),
        "{}",
        found[3].hint
    );

    // Applying anyway fails at the first CRD, before any mutation.
    let mutations = cluster.sim.mutations();
    let err = applier.apply(&objects, "default", false).await.unwrap_err();
    assert!(matches!(err, ClusterError::Unservable { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("CustomResourceDefinition installations.installer.kyma-project.io"),
        "{text}"
    );
    assert!(text.contains("apiextensions.k8s.io/v1beta1"), "{text}");
    assert_eq!(cluster.sim.mutations(), mutations);
}

#[tokio::test]
async fn kinds_defined_in_the_same_hop_or_served_pass() {
    let cluster = Cluster::start((1, 16), None).await;
    let applier = Applier::new(cluster.client.clone()).await.unwrap();
    let objects = manifest("1.15.0", "kyma-installer-cluster.yaml");
    assert!(applier.unservable(&objects, &objects).is_empty());
    // Without its CRD in the hop, the Installation cannot be applied.
    let crs = manifest("1.15.0", "kyma-installer-cr-cluster.yaml");
    let found = applier.unservable(&crs, &crs);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, "Installation");
    assert!(
        found[0]
            .hint
            .contains("install the CustomResourceDefinition"),
        "{}",
        found[0].hint
    );
}
