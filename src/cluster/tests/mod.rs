//! Tests of the apply engine against the Kubernetes API simulator, over
//! loopback through kube-rs: connecting (`connect.rs`), applying and dry
//! runs (`apply.rs`), deleting (`delete.rs`), preflight (`preflight.rs`) and
//! retries of transient failures (`faults.rs`).

mod apply;
mod concurrency;
mod connect;
mod delete;
mod faults;
mod preflight;

use super::{parse_documents, ClusterTarget};
use ferry_sandbox::kube::{ClusterConfig, KubeSim};
use kube::api::DynamicObject;
use std::path::PathBuf;
use std::time::Duration;

/// A simulated cluster, its kubeconfig and a connected client.
pub(super) struct Cluster {
    pub sim: KubeSim,
    pub dir: tempfile::TempDir,
    pub client: kube::Client,
}

impl Cluster {
    /// A cluster on Kubernetes `kubernetes`, with Kyma `kyma` installed or
    /// empty; the installer takes long enough not to interfere.
    pub async fn start(kubernetes: (u32, u32), kyma: Option<&str>) -> Cluster {
        let sim = KubeSim::start(ClusterConfig {
            kubernetes,
            kyma_version: kyma.map(String::from),
            installer_delay: Duration::from_secs(60),
            crd_established_delay: Duration::from_millis(50),
            ..ClusterConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        sim.write_kubeconfig(&dir.path().join("kubeconfig"), "sim")
            .unwrap();
        let target = ClusterTarget {
            kubeconfig: Some(dir.path().join("kubeconfig")),
            context: None,
        };
        let client = super::connect(&target).await.unwrap();
        Cluster { sim, dir, client }
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }
}

/// The generated Kyma release asset `name` of `version`, parsed.
pub(super) fn manifest(version: &str, name: &str) -> Vec<DynamicObject> {
    let v: crate::version::Version = version.parse().unwrap();
    let text = ferry_sandbox::github::asset_content(&v, version, name);
    parse_documents(&text, name).unwrap()
}
