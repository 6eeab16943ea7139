//! Tests of the Kubernetes API simulator: the real `kubectl` against it
//! (`kubectl.rs`) and raw HTTP through reqwest (`http.rs`).

mod api;
mod controllers;
mod http;
mod kubectl;
mod watch;

use super::{ClusterConfig, KubeSim};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

/// A started simulator plus a private kubeconfig and kubectl cache dir.
pub(super) struct Env {
    pub sim: KubeSim,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn start(config: ClusterConfig) -> Env {
        let sim = KubeSim::start(config).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        sim.write_kubeconfig(&dir.path().join("kubeconfig"), "sim")
            .unwrap();
        Env { sim, dir }
    }

    pub async fn kyma(version: &str) -> Env {
        Env::start(ClusterConfig {
            kyma_version: Some(version.into()),
            ..fast()
        })
        .await
    }

    /// A kubectl command with this env's kubeconfig and cache dir.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .env("HOME", self.dir.path())
            .arg(format!(
                "--cache-dir={}",
                self.dir.path().join("cache").display()
            ))
            .args(args);
        cmd
    }

    /// Runs kubectl off the async workers.
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    }

    /// Runs kubectl and insists it succeeds; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}\nrequests: {:#?}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout),
            self.sim
                .requests()
                .iter()
                .filter(|r| r.status >= 400)
                .collect::<Vec<_>>()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

/// A configuration with short delays.
pub(super) fn fast() -> ClusterConfig {
    ClusterConfig {
        installer_delay: Duration::from_millis(300),
        crd_established_delay: Duration::from_millis(50),
        ..ClusterConfig::default()
    }
}
