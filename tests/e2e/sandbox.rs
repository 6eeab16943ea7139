//! `ferry sandbox kube` as a long-running server that the real kubectl uses.

use super::util::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sandbox_kube_serves_a_cluster_kubectl_can_read() {
    let world = World::new();
    let kubeconfig = world.path("sim.kubeconfig");
    let mut child = world
        .ferry()
        .args(["sandbox", "kube", "--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(&kubeconfig)
        .args(["--kyma-version", "1.2.0", "--installer-delay-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    // Kept open until the end: the server must not write into a closed pipe.
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    assert!(first.contains("http://127.0.0.1:"), "{first}");

    let kc = kubeconfig.to_str().unwrap();
    let namespaces = tool(
        world.dir.path(),
        "kubectl",
        &["--kubeconfig", kc, "get", "ns"],
    );
    for ns in ["default", "kube-system", "kyma-installer"] {
        assert!(namespaces.contains(ns), "{namespaces}");
    }
    let image = tool(
        world.dir.path(),
        "kubectl",
        &[
            "--kubeconfig",
            kc,
            "-n",
            "kyma-installer",
            "get",
            "deployment",
            "kyma-installer",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ],
    );
    assert!(image.ends_with(":1.2.0"), "{image}");
    let stats = tool(
        world.dir.path(),
        "kubectl",
        &["--kubeconfig", kc, "get", "--raw", "/ferry-sandbox/stats"],
    );
    let stats: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert!(stats["requests"].as_u64().unwrap() >= 2, "{stats}");
    assert!(stats["busy_seconds"].as_f64().unwrap() > 0.0, "{stats}");
    drop(server);
    drop(lines);
}
