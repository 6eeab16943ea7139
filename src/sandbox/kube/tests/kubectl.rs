//! The real kubectl against the simulator.

use super::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_namespaces_configmaps_and_the_installer_image() {
    let env = Env::kyma("1.15.1").await;
    let ns = env.ok(&["get", "ns"]).await;
    for name in ["default", "kube-system", "kyma-installer"] {
        assert!(ns.contains(name), "{ns}");
    }
    let cms = env.ok(&["get", "cm", "-A"]).await;
    assert!(
        cms.contains("kyma-cluster-info") && cms.contains("core-overrides"),
        "{cms}"
    );
    let image = env
        .ok(&[
            "-n",
            "kyma-installer",
            "get",
            "deploy",
            "kyma-installer",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(image, "eu.gcr.io/kyma-project/kyma-installer:1.15.1");
    for r in env.sim.requests() {
        eprintln!("{r:?}");
    }
    eprintln!("{ns}\n{cms}");
}
