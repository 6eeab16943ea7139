//! The image fixture against the real tools: skopeo reads the generated
//! layout by full reference, a push into docker-registry keeps every
//! manifest digest and both platforms of an index, and htpasswd auth holds.

use super::{push_image, push_images, skopeo, Registry};
use ferry::oci::{Digest, LayoutEntry};
use ferry::sandbox::images::{
    kyma_images, kyma_installer_image, write_layout, GeneratedImage, BUSYBOX_IMAGE, GRAFANA_IMAGE,
};
use std::path::Path;
use std::process::Output;

const VERSIONS: [&str; 3] = ["1.1.0", "1.2.2", "1.3.0"];

/// skopeo's stdout, or a panic with its stderr.
fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "skopeo failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `skopeo inspect --raw` of `reference` at `registry`, without TLS.
fn raw_manifest(dir: &Path, registry: &Registry, reference: &str, creds: Option<&str>) -> Output {
    let target = format!("docker://{}", registry.mirrored(reference));
    let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
    if let Some(creds) = creds {
        args.extend(["--creds", creds]);
    }
    args.push(&target);
    skopeo(dir, &args)
}

fn entry<'a>(entries: &'a [LayoutEntry], reference: &str) -> &'a LayoutEntry {
    entries.iter().find(|e| e.reference == reference).unwrap()
}

#[test]
fn skopeo_reads_the_kyma_layout_and_a_push_keeps_every_digest() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let images = kyma_images(&VERSIONS);
    let entries = write_layout(&layout, &images).unwrap();

    // `oci:DIR:REF` takes everything after the first ':' as the ref.name.
    let installer = kyma_installer_image("1.1.0");
    let at = |reference: &str| format!("oci:{}:{reference}", layout.display());
    let inspected = json(&ok(skopeo(dir.path(), &["inspect", &at(&installer)])));
    assert_eq!(
        inspected["Digest"],
        entry(&entries, &installer).digest.as_str()
    );
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 2);
    let short = skopeo(dir.path(), &["inspect", &at("busybox:1.31")]);
    assert!(
        !short.status.success(),
        "only the full reference names an image"
    );

    let registry = Registry::start(&dir.path().join("registry"), None);
    push_images(&layout, &images, &registry, None);
    for entry in &entries {
        let raw = ok(raw_manifest(dir.path(), &registry, &entry.reference, None));
        assert_eq!(
            Digest::of(raw.as_bytes()),
            entry.digest,
            "{}",
            entry.reference
        );
    }

    let index = json(&ok(raw_manifest(
        dir.path(),
        &registry,
        BUSYBOX_IMAGE,
        None,
    )));
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| format!("{}/{}", m["platform"]["os"], m["platform"]["architecture"]))
        .collect();
    assert_eq!(platforms, [r#""linux"/"amd64""#, r#""linux"/"arm64""#]);
    let arm = format!("docker://{}", registry.mirrored(BUSYBOX_IMAGE));
    let arm = json(&ok(skopeo(
        dir.path(),
        &[
            "inspect",
            "--tls-verify=false",
            "--override-arch",
            "arm64",
            &arm,
        ],
    )));
    assert_eq!(arm["Architecture"], "arm64");
    // skopeo's "Digest" is the index's, even with --override-arch.
    assert_eq!(
        arm["Digest"],
        entry(&entries, BUSYBOX_IMAGE).digest.as_str()
    );
    for manifest in index["manifests"].as_array().unwrap() {
        let digest = manifest["digest"].as_str().unwrap();
        let by_digest = format!("{}@{digest}", BUSYBOX_IMAGE.split(':').next().unwrap());
        let raw = ok(raw_manifest(dir.path(), &registry, &by_digest, None));
        assert_eq!(Digest::of(raw.as_bytes()).as_str(), digest);
    }

    let references: Vec<String> = images.iter().map(|i| i.reference.clone()).collect();
    let host = registry.host();
    assert_eq!(
        registry.mirror_args(&references),
        [
            "--registry-mirror".to_string(),
            format!("docker.io={host}/docker.io"),
            "--registry-mirror".to_string(),
            format!("eu.gcr.io={host}"),
        ]
    );
    assert_eq!(
        registry.mirrored(&installer),
        format!("{host}/kyma-project/kyma-installer:1.1.0")
    );
}

#[test]
fn a_registry_with_htpasswd_refuses_anonymous_push_and_pull_and_takes_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let grafana: Vec<GeneratedImage> = kyma_images(&["1.1.0"])
        .into_iter()
        .filter(|i| i.reference == GRAFANA_IMAGE)
        .collect();
    let entries = write_layout(&layout, &grafana).unwrap();
    let registry = Registry::start(&dir.path().join("registry"), Some(("alice", "s3cret")));
    assert_eq!(registry.status("/v2/"), Some(401));

    let anonymous = push_image(&layout, GRAFANA_IMAGE, &registry, None);
    assert!(!anonymous.status.success(), "an anonymous push is refused");
    let wrong = push_image(&layout, GRAFANA_IMAGE, &registry, Some(("alice", "nope")));
    assert!(!wrong.status.success(), "a wrong password is refused");
    push_images(&layout, &grafana, &registry, Some(("alice", "s3cret")));

    let anonymous = raw_manifest(dir.path(), &registry, GRAFANA_IMAGE, None);
    assert!(!anonymous.status.success(), "an anonymous pull is refused");
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("unauthorized"));
    let raw = ok(raw_manifest(
        dir.path(),
        &registry,
        GRAFANA_IMAGE,
        Some("alice:s3cret"),
    ));
    assert_eq!(Digest::of(raw.as_bytes()), entries[0].digest);
}
