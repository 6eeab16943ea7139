//! ferry and the real kubectl reach the Kubernetes simulator through a TLS
//! terminator: client certificates inline and as files, a bearer token, a
//! server the kubeconfig's CA did not sign (refused), and
//! `insecure-skip-tls-verify`.

use super::{Pki, Tunnel};
use crate::e2e::util::*;
use base64::Engine as _;
use ferry::sandbox::kube::ClusterConfig;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

/// How the kubeconfig says to trust the server.
pub(super) enum Trust<'a> {
    /// `certificate-authority-data`.
    InlineCa(&'a Path),
    /// `certificate-authority`.
    CaFile(&'a Path),
    /// `insecure-skip-tls-verify: true`.
    Insecure,
}

/// Who the kubeconfig's user is.
pub(super) enum User<'a> {
    /// `client-certificate-data` and `client-key-data`.
    InlineCert(&'a super::Pair),
    /// `client-certificate` and `client-key`.
    CertFiles(&'a super::Pair),
    /// `token`.
    Token(&'a str),
}

fn b64(path: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap())
}

fn q(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn quoted_path(path: &Path) -> String {
    q(path.to_str().unwrap())
}

/// A kubeconfig with one context `tls` for `server`.
pub(super) fn kubeconfig(server: &str, trust: Trust, user: User) -> String {
    let trust = match trust {
        Trust::InlineCa(ca) => format!("certificate-authority-data: {}", b64(ca)),
        Trust::CaFile(ca) => format!("certificate-authority: {}", quoted_path(ca)),
        Trust::Insecure => "insecure-skip-tls-verify: true".to_string(),
    };
    let user = match user {
        User::InlineCert(pair) => format!(
            "client-certificate-data: {}\n    client-key-data: {}",
            b64(&pair.cert),
            b64(&pair.key)
        ),
        User::CertFiles(pair) => format!(
            "client-certificate: {}\n    client-key: {}",
            quoted_path(&pair.cert),
            quoted_path(&pair.key)
        ),
        User::Token(token) => format!("token: {}", q(token)),
    };
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: tls\n  cluster:\n    server: {}\n    {trust}\n\
         users:\n- name: tls-user\n  user:\n    {user}\ncontexts:\n- name: tls\n  context:\n\
         \x20   cluster: tls\n    user: tls-user\n    namespace: default\ncurrent-context: tls\n",
        q(server)
    )
}

/// A cluster at Kyma `version` and the test PKI; the tunnels come per test.
pub(super) fn world_at(version: &str) -> (World, Pki) {
    let world = World::with_cluster(ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some(version.to_string()),
        installer_delay: Duration::from_millis(150),
        ..ClusterConfig::default()
    });
    let pki = Pki::new(&world.path("pki"));
    (world, pki)
}

/// stunnel in front of the world's cluster.
pub(super) fn tunnel(world: &World, server: &super::Pair, client_ca: Option<&Path>) -> Tunnel {
    let backend = world.cluster().base_url().replace("http://", "");
    Tunnel::start(&world.path("stunnel"), &backend, server, client_ca)
}

/// Replaces the kubeconfig ferry finds through KUBECONFIG.
pub(super) fn use_kubeconfig(world: &World, text: &str) {
    std::fs::write(world.path("kubeconfig"), text).unwrap();
}

/// The real kubectl with the world's kubeconfig and a private cache.
fn kubectl(world: &World, args: &[&str]) -> Output {
    std::process::Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(world.path("kubeconfig"))
        .arg("--cache-dir")
        .arg(world.path("kubectl-cache"))
        .args(args)
        .env("HOME", world.dir.path())
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs")
}

fn status_version(world: &World) -> String {
    let status = json(&world.run(&["status", "--json"]));
    status["version"].as_str().unwrap_or_default().to_string()
}

fn assert_kubectl_lists_namespaces(world: &World) {
    let out = kubectl(world, &["get", "ns", "-o", "name"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("namespace/kyma-installer"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ferry_applies_and_kubectl_reads_through_tls_with_inline_client_certificates() {
    let (world, pki) = world_at("1.0.0");
    assert_success(&world.bundle("1.0.0", "1.1.0", "b.ferry.tar.gz", &[]));
    let tls = tunnel(&world, &pki.server, Some(&pki.ca));
    use_kubeconfig(
        &world,
        &kubeconfig(
            &tls.url(),
            Trust::InlineCa(&pki.ca),
            User::InlineCert(&pki.client),
        ),
    );
    let before = world.cluster().requests().len();
    assert_eq!(status_version(&world), "1.0.0");
    let out = world.run(&[
        "apply",
        "b.ferry.tar.gz",
        "--pub",
        "ops.pub",
        "--timeout",
        "60s",
        "--yes",
        "--accept-guides",
    ]);
    assert_success(&out);
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
    assert_eq!(status_version(&world), "1.1.0");
    assert!(world.cluster().requests().len() > before + 10);
    assert_kubectl_lists_namespaces(&world);
}

#[test]
fn client_certificate_and_ca_files_work_for_ferry_and_kubectl() {
    let (world, pki) = world_at("1.0.0");
    let tls = tunnel(&world, &pki.server, Some(&pki.ca));
    use_kubeconfig(
        &world,
        &kubeconfig(
            &tls.url(),
            Trust::CaFile(&pki.ca),
            User::CertFiles(&pki.client),
        ),
    );
    assert_eq!(status_version(&world), "1.0.0");
    assert_kubectl_lists_namespaces(&world);
}

#[test]
fn the_terminator_really_requires_the_client_certificate() {
    let (world, pki) = world_at("1.0.0");
    let tls = tunnel(&world, &pki.server, Some(&pki.ca));
    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::CaFile(&pki.ca), User::Token("none")),
    );
    let out = world.run(&["status"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&tls.url()), "{err}");
    assert!(err.contains("client-certificate"), "{err}");
    assert!(!kubectl(&world, &["get", "ns"]).status.success());
}

#[test]
fn a_bearer_token_over_tls_is_sent_and_checked() {
    let (world, pki) = world_at("1.0.0");
    world.cluster().require_token(true);
    let token = world.cluster().token().to_string();
    let tls = tunnel(&world, &pki.server, None);
    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::InlineCa(&pki.ca), User::Token(&token)),
    );
    assert_eq!(status_version(&world), "1.0.0");
    assert_kubectl_lists_namespaces(&world);

    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::InlineCa(&pki.ca), User::Token("wrong")),
    );
    let out = world.run(&["status"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("401"), "{}", stderr(&out));
}

#[test]
fn a_server_the_ca_did_not_sign_is_refused_unless_the_kubeconfig_skips_verification() {
    let (world, pki) = world_at("1.0.0");
    let token = world.cluster().token().to_string();
    let tls = tunnel(&world, &pki.rogue_server, None);
    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::InlineCa(&pki.ca), User::Token(&token)),
    );
    let started = std::time::Instant::now();
    let out = world.run(&["status"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&tls.url()), "{err}");
    assert!(
        err.contains("not trusted by the kubeconfig's certificate authority"),
        "{err}"
    );
    assert!(err.contains("certificate-authority-data"), "{err}");
    // One clear error, not also the libraries' log lines about it.
    assert!(!err.contains("ERROR"), "{err}");
    // Not retried: an untrusted certificate does not become trusted.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!kubectl(&world, &["get", "ns"]).status.success());

    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::Insecure, User::Token(&token)),
    );
    assert_eq!(status_version(&world), "1.0.0");
    assert_kubectl_lists_namespaces(&world);
}
