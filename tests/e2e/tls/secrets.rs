//! Secrets stay secret: `RUST_LOG=trace` output carries neither the GitHub
//! token, nor the cluster's bearer token, nor the key password; secret key
//! files are readable by their owner only.

use super::kube::{kubeconfig, tunnel, use_kubeconfig, world_at, Trust, User};
use crate::e2e::util::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Output;

const GITHUB_TOKEN: &str = "ghp_ferryTestSecret0123456789abcdefABCDEF";
const PASSWORD: &str = "ferry-test-password-do-not-log";

/// stdout and stderr of a run, asserted successful and traced.
fn traced(out: &Output) -> String {
    assert_success(out);
    let all = format!("{}{}", stdout(out), stderr(out));
    assert!(
        all.contains("TRACE"),
        "RUST_LOG=trace took no effect:\n{all}"
    );
    all
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn trace_logs_carry_neither_tokens_nor_the_key_password() {
    let (world, pki) = world_at("1.0.0");

    let plan = world
        .ferry()
        .env("RUST_LOG", "trace")
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .args(["plan", "--from", "1.0.0", "--to", "1.2.2"])
        .output()
        .unwrap();
    let all = traced(&plan);
    assert!(
        !all.contains(GITHUB_TOKEN),
        "the GitHub token leaked:\n{all}"
    );
    let seen = world.sim.requests();
    assert!(!seen.is_empty() && seen.iter().all(|r| r.authorization));

    world.cluster().require_token(true);
    let token = world.cluster().token().to_string();
    let tls = tunnel(&world, &pki.server, None);
    use_kubeconfig(
        &world,
        &kubeconfig(&tls.url(), Trust::InlineCa(&pki.ca), User::Token(&token)),
    );
    let status = world
        .ferry()
        .env("RUST_LOG", "trace")
        .args(["status"])
        .output()
        .unwrap();
    let all = traced(&status);
    assert!(!all.contains(&token), "the cluster token leaked:\n{all}");

    let keygen = world
        .ferry()
        .env("RUST_LOG", "trace")
        .env("FERRY_KEY_PASSWORD", PASSWORD)
        .args(["keygen", "--output", "enc"])
        .output()
        .unwrap();
    assert_success(&keygen);
    let all = format!("{}{}", stdout(&keygen), stderr(&keygen));
    assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
    assert_eq!(mode(&world.path("enc.key")), 0o600);

    let bundle = world
        .ferry()
        .env("RUST_LOG", "trace")
        .env("FERRY_KEY_PASSWORD", PASSWORD)
        .args([
            "bundle", "--from", "1.0.0", "--to", "1.1.0", "--key", "enc.key",
        ])
        .args(["--output", "b.ferry.tar.gz"])
        .output()
        .unwrap();
    let all = traced(&bundle);
    assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
}

#[test]
fn secret_key_files_are_readable_by_their_owner_only() {
    let world = World::new();
    let (secret, public) = world.keygen();
    assert_eq!(mode(&secret), 0o600);
    assert_eq!(mode(&public), 0o644);

    // Replacing a key that someone left world-readable makes it private.
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = world.run(&["keygen", "--output", "ops", "--unencrypted", "--force"]);
    assert_success(&out);
    assert_eq!(mode(&secret), 0o600);
}
