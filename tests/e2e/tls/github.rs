//! A GitHub Enterprise with a private CA: the GitHub simulator behind
//! stunnel at `https://127.0.0.1:PORT/api/v3`. ferry refuses the unknown CA
//! with an error that says what to do, and trusts it with `--ca-cert` or
//! `SSL_CERT_FILE`.

use super::{Pki, Tunnel};
use crate::e2e::util::*;
use std::time::{Duration, Instant};

/// A world whose GitHub simulator answers behind TLS; the API root.
fn enterprise() -> (World, Pki, Tunnel, String) {
    let world = World::new();
    let pki = Pki::new(&world.path("pki"));
    let backend = world.sim.base_url().replace("http://", "");
    let tls = Tunnel::start(&world.path("stunnel"), &backend, &pki.server, None);
    world.sim.set_https(true);
    let api = format!("{}/api/v3", tls.url());
    (world, pki, tls, api)
}

const PLAN: [&str; 5] = ["plan", "--from", "1.0.0", "--to", "1.2.2"];

#[test]
fn an_unknown_ca_is_refused_with_what_to_do() {
    let (world, _pki, tls, api) = enterprise();
    let started = Instant::now();
    let out = world.run(&[&PLAN[..], &["--github-api", &api]].concat());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&tls.url()), "{err}");
    assert!(err.contains("is not trusted"), "{err}");
    assert!(err.contains("--ca-cert"), "{err}");
    assert!(err.contains("SSL_CERT_FILE"), "{err}");
    // One clear error, not also the libraries' log lines about it.
    assert!(!err.contains("ERROR"), "{err}");
    // Refused at once, not retried with backoff.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn ca_cert_and_ssl_cert_file_make_plan_and_bundle_work() {
    let (world, pki, _tls, api) = enterprise();
    let ca = pki.ca.to_str().unwrap();

    let out = world.run(&[&PLAN[..], &["--github-api", &api, "--ca-cert", ca]].concat());
    assert_success(&out);
    assert!(stdout(&out).contains("1.2.2"), "{}", stdout(&out));

    let out = world
        .ferry()
        .env("SSL_CERT_FILE", ca)
        .args([&PLAN[..], &["--github-api", &api]].concat())
        .output()
        .unwrap();
    assert_success(&out);

    // A bundle downloads assets through the storage redirect, over TLS too.
    let out = world.bundle(
        "1.0.0",
        "1.1.0",
        "b.ferry.tar.gz",
        &["--github-api", &api, "--ca-cert", ca],
    );
    assert_success(&out);
    let verify = world.run(&["verify", "b.ferry.tar.gz", "--pub", "ops.pub"]);
    assert_success(&verify);
    let seen = world.sim.requests();
    assert!(seen.iter().any(|r| r.path.starts_with("/api/v3/repos/")));
    assert!(seen.iter().any(|r| r.path.starts_with("/_storage/")));
}

#[test]
fn a_ca_cert_file_that_is_not_pem_is_a_clear_error() {
    let (world, _pki, _tls, api) = enterprise();
    std::fs::write(world.path("junk.pem"), "not a certificate\n").unwrap();
    let out = world.run(&[&PLAN[..], &["--github-api", &api, "--ca-cert", "junk.pem"]].concat());
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("junk.pem"), "{err}");
    assert!(err.contains("PEM"), "{err}");
}
