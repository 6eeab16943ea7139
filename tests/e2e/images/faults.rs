//! `bundle --images` against a registry that misbehaves: the real registry
//! behind a fault proxy that answers 5xx, cuts blob bodies, refuses access
//! or serves a huge manifest. Transient faults are retried (a cut blob
//! resumes with `Range`) into the same bundle; lasting ones are errors that
//! name the image, with no bundle written.

use super::ImageWorld;
use crate::e2e::registry::faults::{Action, FaultProxy};
use crate::e2e::util::*;
use ferry::sandbox::images::kyma_installer_image;

/// The image world's flags, pointed at the proxy instead of the registry.
fn through(iw: &ImageWorld, proxy: &FaultProxy) -> Vec<String> {
    iw.flags
        .iter()
        .map(|flag| flag.replace(iw.registry.host(), proxy.host()))
        .collect()
}

fn bundle_through(
    iw: &ImageWorld,
    flags: &[String],
    name: &str,
    cache: &str,
) -> std::process::Output {
    let mut args: Vec<&str> = flags.iter().map(String::as_str).collect();
    args.extend(["--cache", cache]);
    iw.world.bundle("1.0.0", "1.3.0", name, &args)
}

#[test]
fn a_flaky_registry_is_retried_and_a_cut_blob_resumes_into_the_same_bundle() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("direct.tar.gz", &[]));
    let proxy = FaultProxy::start(iw.registry.host());
    proxy.plant(
        "GET",
        "kyma-installer/manifests/1.3.0",
        Action::Status(503),
        2,
    );
    proxy.plant("GET", "/blobs/sha256:", Action::Cut(4096), 1);
    let flags = through(&iw, &proxy);
    let out = bundle_through(&iw, &flags, "flaky.tar.gz", "cache-flaky");
    assert_success(&out);
    let seen = proxy.seen();
    let faults: Vec<&str> = seen.iter().filter_map(|s| s.fault.as_deref()).collect();
    assert_eq!(
        faults.iter().filter(|f| **f == "status 503").count(),
        2,
        "{faults:?}"
    );
    assert!(
        faults.iter().any(|f| f.starts_with("cut after 4096")),
        "{faults:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.range.as_deref() == Some("bytes=4096-")),
        "the cut blob resumed where it stopped: {seen:?}"
    );
    let direct = std::fs::read(iw.world.path("direct.tar.gz")).unwrap();
    let flaky = std::fs::read(iw.world.path("flaky.tar.gz")).unwrap();
    assert!(direct == flaky, "faults changed the bundle");
}

#[test]
fn a_registry_that_refuses_keeps_failing_or_sends_a_huge_manifest_is_named() {
    let iw = ImageWorld::new();
    let installer = kyma_installer_image("1.3.0");
    let manifest = "kyma-installer/manifests/1.3.0";
    let cases = [
        (Action::Status(403), "refused access"),
        (Action::Status(503), "failed 6 times"),
        (
            Action::Oversize(5 * 1024 * 1024),
            "larger than 4194304 bytes",
        ),
    ];
    for (action, says) in cases {
        let proxy = FaultProxy::start(iw.registry.host());
        proxy.plant("GET", manifest, action, usize::MAX);
        let flags = through(&iw, &proxy);
        let out = bundle_through(&iw, &flags, "b.tar.gz", "cache-failing");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{action:?}: {err}");
        assert!(err.contains(&installer), "{action:?}: {err}");
        assert!(err.contains("hop 1.3.0"), "{action:?}: {err}");
        assert!(err.contains(says), "{action:?}: {err}");
        assert!(!iw.world.path("b.tar.gz").exists(), "{action:?}");
    }
}
