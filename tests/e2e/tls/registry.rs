//! Registries with a private CA: `bundle --images` pulls through a mirror
//! behind stunnel, and `push` reaches a site registry (docker-registry
//! serving TLS itself). Without the CA both are refused at once with an
//! error naming the registry and `--ca-cert`; with it they work.

use super::{Pki, Tunnel};
use crate::e2e::images::ImageWorld;
use crate::e2e::registry::Registry;
use crate::e2e::util::*;
use std::time::{Duration, Instant};

/// Asserts a refusal naming `host`, the untrusted certificate and the flag.
fn assert_untrusted(out: &std::process::Output, host: &str, started: Instant) {
    assert_exit(out, 1);
    let err = stderr(out);
    assert!(err.contains(host), "{err}");
    assert!(err.contains("not trusted"), "{err}");
    assert!(err.contains("--ca-cert"), "{err}");
    assert!(!err.contains("ERROR"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "retried: {:?}",
        started.elapsed()
    );
}

#[test]
fn bundle_pulls_images_through_a_mirror_with_a_private_ca() {
    let iw = ImageWorld::new();
    let pki = Pki::new(&iw.world.path("pki"));
    let tls = Tunnel::start(
        &iw.world.path("stunnel"),
        iw.registry_host(),
        &pki.server,
        None,
    );
    let host = tls.url().replace("https://", "");

    let started = Instant::now();
    let out = iw.bundle_via(&host, "refused.tar.gz", &[]);
    assert_untrusted(&out, &host, started);

    let ca = pki.ca.to_str().unwrap();
    assert_success(&iw.bundle_via(&host, "b.tar.gz", &["--ca-cert", ca]));
    let manifest = json(&iw.world.run(&["inspect", "b.tar.gz", "--json"]));
    assert!(!manifest["images"]["images"].as_array().unwrap().is_empty());
}

#[test]
fn push_reaches_a_site_registry_with_a_private_ca() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let pki = Pki::new(&iw.world.path("pki"));
    let site = Registry::start_tls(&iw.world.path("site"), (&pki.server.cert, &pki.server.key));
    let target = format!("{}/kyma", site.host());
    let push = [
        "push",
        "b.tar.gz",
        "--pub",
        "ops.pub",
        "--registry",
        &target,
    ];

    let started = Instant::now();
    let out = iw.world.run(&push);
    assert_untrusted(&out, site.host(), started);

    let ca = pki.ca.to_str().unwrap();
    let pushed = json(
        &iw.world
            .run(&[&push[..], &["--ca-cert", ca, "--json"]].concat()),
    );
    assert!(pushed["images"].as_u64().unwrap() > 0, "{pushed}");
    assert!(pushed["uploaded"].as_u64().unwrap() > 0, "{pushed}");
}
