//! Test helpers for the cluster-state modules: a simulated cluster and a
//! kube client talking to it over loopback, and the Kyma profile's spec.

use crate::recipe::ClusterSpec;
use ferry_sandbox::kube::{ClusterConfig, KubeSim};
use std::time::Duration;

/// A simulator seeded at `version` (None: empty) and a client for it.
pub(crate) async fn sim(version: Option<&str>) -> (KubeSim, kube::Client) {
    sim_with(ClusterConfig {
        kubernetes: (1, 16),
        kyma_version: version.map(str::to_string),
        installer_delay: Duration::from_millis(150),
        ..ClusterConfig::default()
    })
    .await
}

/// A simulator with `config` and a client for it.
pub(crate) async fn sim_with(config: ClusterConfig) -> (KubeSim, kube::Client) {
    let sim = KubeSim::start(config).await.unwrap();
    let url = sim.base_url().parse().unwrap();
    let client = kube::Client::try_from(kube::Config::new(url)).unwrap();
    (sim, client)
}

/// The `[cluster]` section of the built-in Kyma profile (bundles/kyma.toml).
pub(crate) fn kyma_spec() -> ClusterSpec {
    crate::profile::Profile::load("kyma").unwrap().cluster
}
