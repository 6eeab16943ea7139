//! `ferry sandbox kube` as a long-running server that the real kubectl uses.

use super::util::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Stdio};

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `ferry sandbox kube` with `args` writing `sim.kubeconfig`; returns
/// the server, its stdout (kept open: the server must not write into a
/// closed pipe) and its first line.
fn start_kube(world: &World, args: &[&str]) -> (Server, BufReader<ChildStdout>, String) {
    let mut child = world
        .ferry()
        .args(["sandbox", "kube", "--listen", "127.0.0.1:0", "--kubeconfig"])
        .arg(world.path("sim.kubeconfig"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout);
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    assert!(first.contains("http://127.0.0.1:"), "{first}");
    (server, lines, first)
}

#[test]
fn sandbox_kube_serves_a_cluster_kubectl_can_read() {
    let world = World::new();
    let kubeconfig = world.path("sim.kubeconfig");
    let (server, lines, _) = start_kube(
        &world,
        &["--kyma-version", "1.2.0", "--installer-delay-ms", "0"],
    );

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

/// The README's simulated-cluster example, as written (but on a free port):
/// a Kyma 1.0.0 cluster runs the Kubernetes 1.0.0 ran on, so a 1.0.0 bundle
/// passes preflight and upgrades it.
#[test]
fn the_readme_simulated_cluster_example_upgrades_kyma_1_0() {
    let world = World::new();
    let (server, lines, first) = start_kube(
        &world,
        &["--kyma-version", "1.0.0", "--installer-delay-ms", "100"],
    );
    assert!(first.contains("Kubernetes 1.15"), "{first}");
    assert_success(&world.bundle("1.0.0", "1.3.0", "kyma.ferry.tar.gz", &[]));
    let out = world.run(&[
        "apply",
        "kyma.ferry.tar.gz",
        "--pub",
        "ops.pub",
        "--kubeconfig",
        "sim.kubeconfig",
        "--accept-guides",
        "--yes",
    ]);
    assert_success(&out);
    let status = json(&world.run(&["status", "--kubeconfig", "sim.kubeconfig", "--json"]));
    assert_eq!(status["version"], "1.3.0", "{status}");
    drop(server);
    drop(lines);
}
