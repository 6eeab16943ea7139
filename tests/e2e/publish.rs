//! Bundles through an OCI registry: `ferry publish` stores a bundle in
//! Debian's `docker-registry` as an artifact (parts as titled layers, the
//! index signature attached through the referrers tag), skopeo reads it by
//! hand, and verify, inspect and apply pull `oci://` sources, checking the
//! signed index against every layer before any part is used. A forged
//! artifact mixing two bundles, or one signed by a stranger, is refused
//! naming what is wrong, and nothing is applied.

use super::registry::{skopeo, Registry};
use super::util::*;

const BUNDLE: &str = "b.tar.gz";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `ferry ARGS` with `--oci-insecure` for `registry`.
fn run_oci(world: &World, registry: &Registry, args: &[&str]) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(["--oci-insecure", registry.host()]);
    world.run(&all)
}

fn publish(world: &World, registry: &Registry, bundle: &str, tag: &str) -> serde_json::Value {
    let target = format!("oci://{}/ferry/kyma:{tag}", registry.host());
    json(&run_oci(
        world,
        registry,
        &[
            "publish",
            bundle,
            &target,
            "--key",
            "ops.key",
            "--part-size",
            "4K",
            "--json",
        ],
    ))
}

fn manifest(registry: &Registry, reference: &str, accept: &str) -> serde_json::Value {
    let (status, body) = registry.http(
        "GET",
        &format!("/v2/ferry/kyma/manifests/{reference}"),
        accept,
        b"",
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

fn put_manifest(
    registry: &Registry,
    reference: &str,
    media_type: &str,
    value: &serde_json::Value,
) -> String {
    let bytes = serde_json::to_vec(value).unwrap();
    let (status, body) = registry.http(
        "PUT",
        &format!("/v2/ferry/kyma/manifests/{reference}"),
        media_type,
        &bytes,
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    ferry::oci::Digest::of(&bytes).to_string()
}

#[test]
fn a_published_bundle_is_verified_inspected_and_applied_from_the_registry() {
    let world = World::with_cluster(ferry::sandbox::kube::ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".to_string()),
        installer_delay: std::time::Duration::from_millis(100),
        ..Default::default()
    });
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let registry = Registry::start(&world.path("registry"), None);
    let first = publish(&world, &registry, BUNDLE, "1.3.0");
    let parts = first["parts"].as_u64().unwrap();
    assert!(parts >= 3, "{first}");
    assert_eq!(first["uploaded"], parts, "{first}");
    let again = publish(&world, &registry, BUNDLE, "1.3.0");
    assert_eq!(again["uploaded"], 0, "nothing is sent twice: {again}");
    assert_eq!(again["present"], parts, "{again}");
    assert_eq!(
        again["digest"], first["digest"],
        "the same bytes, the same artifact"
    );

    // By hand: skopeo reads the artifact; its layers are titled like split's files.
    let source = format!("docker://{}/ferry/kyma:1.3.0", registry.host());
    let raw = skopeo(
        &world.path("."),
        &["inspect", "--raw", "--tls-verify=false", &source],
    );
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let artifact: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(artifact["artifactType"], "application/vnd.ferry.bundle.v1");
    let titles: Vec<&str> = artifact["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(titles[0], "b.tar.gz.parts");
    assert_eq!(titles[1], "b.tar.gz.part-0001");
    assert_eq!(titles.len() as u64, parts + 1);
    by_hand(
        &world,
        &registry,
        &artifact,
        first["digest"].as_str().unwrap(),
    );

    let local = json(&world.run(&["verify", BUNDLE, "--pub", "ops.pub", "--json"]));
    let oci = format!("oci://{}/ferry/kyma:1.3.0", registry.host());
    let remote = json(&run_oci(
        &world,
        &registry,
        &["verify", &oci, "--pub", "ops.pub", "--json"],
    ));
    assert_eq!(remote["sha256"], local["sha256"], "{remote}");
    assert_eq!(remote["parts"], parts, "{remote}");
    let by_digest = format!(
        "oci://{}/ferry/kyma@{}",
        registry.host(),
        first["digest"].as_str().unwrap()
    );
    assert_success(&run_oci(
        &world,
        &registry,
        &["verify", &by_digest, "--pub", "ops.pub"],
    ));
    let inspected = json(&run_oci(&world, &registry, &["inspect", &oci, "--json"]));
    assert_eq!(inspected["to"], "1.3.0", "{inspected}");

    let mut apply = unattended_apply(&oci, &[]);
    apply.extend(["--oci-insecure", registry.host()]);
    let out = world.run(&apply);
    assert_success(&out);
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
}

#[test]
fn a_forged_or_foreign_artifact_is_refused_before_any_part_is_used() {
    let world = World::with_cluster(ferry::sandbox::kube::ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".to_string()),
        ..Default::default()
    });
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    assert_success(&world.bundle("1.0.0", "1.2.0", "other.tar.gz", &[]));
    let registry = Registry::start(&world.path("registry"), None);
    let first = publish(&world, &registry, BUNDLE, "good");
    publish(&world, &registry, "other.tar.gz", "other");
    let oci = |tag: &str| format!("oci://{}/ferry/kyma:{tag}", registry.host());

    // Bundle b's manifest with its second part swapped for one of the other
    // bundle's, and b's own signature attached to it.
    let good = manifest(&registry, "good", MANIFEST);
    let other = manifest(&registry, "other", MANIFEST);
    let mut mixed = good.clone();
    mixed["layers"][2]["digest"] = other["layers"][2]["digest"].clone();
    mixed["layers"][2]["size"] = other["layers"][2]["size"].clone();
    let mixed_digest = put_manifest(&registry, "mixed", MANIFEST, &mixed);
    let good_hex = first["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let referrers = manifest(&registry, &format!("sha256-{good_hex}"), INDEX);
    let signature_digest = referrers["manifests"][0]["digest"].as_str().unwrap();
    let mut signature = manifest(&registry, signature_digest, MANIFEST);
    let mixed_bytes = serde_json::to_vec(&mixed).unwrap();
    signature["subject"]["digest"] = mixed_digest.clone().into();
    signature["subject"]["size"] = mixed_bytes.len().into();
    let forged = serde_json::to_vec(&signature).unwrap();
    let forged_digest = ferry::oci::Digest::of(&forged).to_string();
    put_manifest(&registry, &forged_digest, MANIFEST, &signature);
    let mut index = referrers.clone();
    index["manifests"][0]["digest"] = forged_digest.into();
    index["manifests"][0]["size"] = forged.len().into();
    let mixed_hex = mixed_digest.trim_start_matches("sha256:");
    put_manifest(&registry, &format!("sha256-{mixed_hex}"), INDEX, &index);

    let out = run_oci(
        &world,
        &registry,
        &["verify", &oci("mixed"), "--pub", "ops.pub"],
    );
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("layer 2 of"), "{err}");
    assert!(err.contains("b.tar.gz.part-0002"), "{err}");

    // No signature artifact at all: a manifest nobody signed.
    let mut unsigned = good.clone();
    unsigned["annotations"]["note"] = "copied".into();
    put_manifest(&registry, "unsigned", MANIFEST, &unsigned);
    let out = run_oci(
        &world,
        &registry,
        &["verify", &oci("unsigned"), "--pub", "ops.pub"],
    );
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("carries no signature"),
        "{}",
        stderr(&out)
    );

    // Signed by a key this side does not trust: apply changes nothing.
    assert_success(&world.run(&["keygen", "--output", "stranger", "--unencrypted"]));
    let good_ref = oci("good");
    let mut apply = unattended_apply(&good_ref, &[]);
    apply[3] = "stranger.pub";
    apply.extend(["--oci-insecure", registry.host()]);
    let out = world.run(&apply);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("its signed part index was refused"), "{err}");
    assert!(err.contains("not signed by a trusted key"), "{err}");
    assert!(world.cluster().installed_versions().is_empty());
    assert_eq!(world.cluster().mutations(), 0);

    // Not a bundle at all, and not a reference.
    let out = run_oci(
        &world,
        &registry,
        &["verify", &oci("nothing"), "--pub", "ops.pub"],
    );
    assert_exit(&out, 1);
    let out = world.run(&["publish", BUNDLE, "registry/kyma:1", "--key", "ops.key"]);
    assert_exit(&out, 2);
}

/// The by-hand path of the README: skopeo copies the artifact and its
/// signature artifact (found through the referrers tag) into `dir:`
/// layouts, the layers take their titles, and minisign, sha256sum and cat
/// rebuild the bundle byte for byte.
fn by_hand(world: &World, registry: &Registry, artifact: &serde_json::Value, digest: &str) {
    let here = world.path(".");
    let copy = |reference: &str, dir: &str| {
        let out = skopeo(
            &here,
            &[
                "copy",
                "--src-tls-verify=false",
                &format!("docker://{}/ferry/kyma{reference}", registry.host()),
                &format!("dir:{dir}"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let name_layers = |dir: &str, manifest: &serde_json::Value| {
        for layer in manifest["layers"].as_array().unwrap() {
            let hex = layer["digest"]
                .as_str()
                .unwrap()
                .trim_start_matches("sha256:");
            let title = layer["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .unwrap();
            std::fs::rename(
                world.path(&format!("{dir}/{hex}")),
                world.path(&format!("hand/{title}")),
            )
            .unwrap();
        }
    };
    std::fs::create_dir(world.path("hand")).unwrap();
    copy(":1.3.0", "layers");
    name_layers("layers", artifact);
    let hex = digest.trim_start_matches("sha256:");
    let referrers = skopeo(
        &here,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/ferry/kyma:sha256-{hex}", registry.host()),
        ],
    );
    let referrers: serde_json::Value = serde_json::from_slice(&referrers.stdout).unwrap();
    let signature = referrers["manifests"][0]["digest"].as_str().unwrap();
    copy(&format!("@{signature}"), "signature");
    let signature_manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(world.path("signature/manifest.json")).unwrap())
            .unwrap();
    name_layers("signature", &signature_manifest);
    let dir = world.path("hand");
    let checked = tool(
        &dir,
        "minisign",
        &["-Vm", "b.tar.gz.parts", "-p", "../ops.pub"],
    );
    assert!(checked.contains("ferry parts b.tar.gz"), "{checked}");
    tool(
        &dir,
        "sha256sum",
        &["-c", "--ignore-missing", "b.tar.gz.parts"],
    );
    tool(&dir, "sh", &["-c", "cat b.tar.gz.part-* > b.tar.gz"]);
    tool(&dir, "sha256sum", &["-c", "b.tar.gz.parts"]);
    assert_eq!(
        std::fs::read(dir.join("b.tar.gz")).unwrap(),
        std::fs::read(world.path(BUNDLE)).unwrap()
    );
}
