//! `bundle --images` against a real registry (Debian's docker-registry on
//! loopback, filled with generated images by skopeo): every hop's images
//! found from all three sources, pulled through a mirror, stored once in
//! the bundle's OCI layout, verified like every file, and readable by skopeo.

mod archive;
mod faults;

use super::registry::{push_images, skopeo, Registry};
use super::util::*;
use ferry::sandbox::images::{
    kyma_chart_images, kyma_images, kyma_installer_image, write_layout, FileSpec, GeneratedImage,
    LayerSpec, BUSYBOX_IMAGE,
};
use ferry::sandbox::kube::ClusterConfig;
use std::path::Path;

const VERSIONS: [&str; 3] = ["1.1.0", "1.2.2", "1.3.0"];
/// An image only the test profile's list names.
const EXTRA: &str = "eu.gcr.io/kyma-project/test-infra/alpine-kubectl:v1";

/// A world with a registry holding the images of 1.1.0, 1.2.2 and 1.3.0
/// (plus `EXTRA`), and the flags that make ferry pull from it.
pub(crate) struct ImageWorld {
    pub(crate) world: World,
    registry: Registry,
    flags: Vec<String>,
    references: Vec<String>,
}

impl ImageWorld {
    pub(crate) fn new() -> ImageWorld {
        ImageWorld::around(World::new(), &VERSIONS)
    }

    /// An image world whose simulated cluster runs Kyma 1.0.0.
    pub(crate) fn with_cluster() -> ImageWorld {
        ImageWorld::around(
            World::with_cluster(ClusterConfig {
                kubernetes: (1, 15),
                kyma_version: Some("1.0.0".into()),
                installer_delay: std::time::Duration::from_millis(100),
                ..ClusterConfig::default()
            }),
            &VERSIONS,
        )
    }

    /// An image world whose registry holds the images of every release in `versions`.
    fn around(world: World, versions: &[&str]) -> ImageWorld {
        let registry = Registry::start(&world.path("registry"), None);
        let mut images = kyma_images(versions);
        images.push(GeneratedImage::single(
            EXTRA,
            vec![LayerSpec {
                files: vec![FileSpec::executable("bin/kubectl", b"#!/bin/sh\n".to_vec())],
            }],
        ));
        let layout = world.path("upstream-layout");
        write_layout(&layout, &images).unwrap();
        push_images(&layout, &images, &registry, None);
        let references: Vec<String> = images.iter().map(|i| i.reference.clone()).collect();
        let mut flags = registry.mirror_args(&references);
        flags.extend([
            "--registry-insecure".to_string(),
            registry.host().to_string(),
        ]);
        flags.push("--images".to_string());
        ImageWorld {
            world,
            registry,
            flags,
            references,
        }
    }

    /// A copy of the Kyma profile that also lists `EXTRA` for target minor 1.3.
    fn profile_with_extra(&self) -> String {
        let text = include_str!("../../bundles/kyma.toml");
        let path = self.world.path("kyma-extra.toml");
        let extra = format!(
            "\n[[images.extra]]\nminors = [\"1.3\", \"1.3\"]\nrefs = [\"{EXTRA}\"]\nreason = \"hard-coded in a template\"\n"
        );
        std::fs::write(&path, format!("{text}{extra}")).unwrap();
        path.display().to_string()
    }

    /// `127.0.0.1:PORT` of the registry holding the images (plain HTTP).
    pub(crate) fn registry_host(&self) -> &str {
        self.registry.host()
    }

    /// `bundle --images` of 1.0.0..1.3.0 into `name`, pulling through the
    /// mirror at `host` over HTTPS (no --registry-insecure).
    pub(crate) fn bundle_via(
        &self,
        host: &str,
        name: &str,
        extra: &[&str],
    ) -> std::process::Output {
        let mut args: Vec<String> =
            ferry::sandbox::images::registry_mirror_flags(host, &self.references)
                .into_iter()
                .flat_map(|flag| ["--registry-mirror".to_string(), flag])
                .collect();
        args.push("--images".to_string());
        args.extend(extra.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.world.bundle("1.0.0", "1.3.0", name, &args)
    }

    /// `bundle --images` of 1.0.0..1.3.0 into `name`, pulling from the registry.
    pub(crate) fn bundle(&self, name: &str, extra: &[&str]) -> std::process::Output {
        let mut args: Vec<&str> = self.flags.iter().map(String::as_str).collect();
        args.extend_from_slice(extra);
        self.world.bundle("1.0.0", "1.3.0", name, &args)
    }
}

fn hop<'a>(manifest: &'a serde_json::Value, version: &str) -> &'a serde_json::Value {
    manifest["hops"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["version"] == version)
        .unwrap()
}

fn hop_image<'a>(hop: &'a serde_json::Value, reference: &str) -> Option<&'a serde_json::Value> {
    hop["images"]
        .as_array()?
        .iter()
        .find(|i| i["reference"] == reference)
}

#[test]
fn a_bundle_carries_every_image_from_all_three_sources_once() {
    let iw = ImageWorld::new();
    let profile = iw.profile_with_extra();
    let out = iw.bundle("b.tar.gz", &["--profile", &profile, "--json"]);
    let summary = json(&out);
    assert!(summary["images"].as_u64().unwrap() >= 10, "{summary}");
    assert!(
        summary["image_bytes"].as_u64() < summary["image_bytes_without_sharing"].as_u64(),
        "shared layers are stored once: {summary}"
    );
    let manifest = json(&iw.world.run(&["inspect", "b.tar.gz", "--json"]));
    for version in VERSIONS {
        let hop = hop(&manifest, version);
        // From the hop's manifest.
        let installer = kyma_installer_image(version);
        let found = hop_image(hop, &installer).unwrap_or_else(|| panic!("{installer}: {hop}"));
        assert!(
            found["reasons"][0]
                .as_str()
                .unwrap()
                .contains("Deployment kyma-installer/kyma-installer"),
            "{found}"
        );
        // From the charts inside the installer image.
        for chart_image in kyma_chart_images(version) {
            let found = hop_image(hop, &chart_image).unwrap_or_else(|| panic!("{chart_image}"));
            let reason = found["reasons"][0].as_str().unwrap();
            assert!(
                reason.contains(&format!("values.yaml in {installer}")),
                "{reason}"
            );
        }
    }
    // From the profile's list, for its minors only.
    let listed = hop_image(hop(&manifest, "1.3.0"), EXTRA).expect("the listed image");
    assert_eq!(listed["reasons"][0], "profile: hard-coded in a template");
    assert!(hop_image(hop(&manifest, "1.2.2"), EXTRA).is_none());
    // Every image is named by digest, and the multi-arch one kept whole.
    let images = manifest["images"]["images"].as_array().unwrap();
    let busybox = images
        .iter()
        .find(|i| i["reference"] == BUSYBOX_IMAGE)
        .unwrap();
    assert_eq!(
        busybox["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
    assert!(images
        .iter()
        .all(|i| i["digest"].as_str().unwrap().starts_with("sha256:")));

    let verified = json(
        &iw.world
            .run(&["verify", "b.tar.gz", "--pub", "ops.pub", "--json"]),
    );
    assert_eq!(verified["images"], images.len(), "{verified}");
    // A stock tool reads the layout in the extracted bundle.
    let dir = iw.world.path("x");
    std::fs::create_dir(&dir).unwrap();
    tool(&dir, "tar", &["xzf", "../b.tar.gz"]);
    for image in [kyma_installer_image("1.3.0"), BUSYBOX_IMAGE.to_string()] {
        let at = format!("oci:{}:{image}", dir.join("images").display());
        let out = skopeo(&dir, &["inspect", "--raw", &at]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bundled = images.iter().find(|i| i["reference"] == image).unwrap();
        let raw_digest = ferry::oci::Digest::of(&out.stdout);
        assert_eq!(bundled["digest"], raw_digest.as_str(), "{image}");
    }
    assert_eq!(
        blob_count(&dir),
        manifest["images"]["files"].as_array().unwrap().len() - 2
    );

    // inspect shows each hop's images with their reasons, and what sharing saved.
    let text = stdout(&iw.world.run(&["inspect", "b.tar.gz", "--pub", "ops.pub"]));
    assert!(text.contains("   images: "), "{text}");
    assert!(text.contains("from kyma/injected/resources/"), "{text}");
    assert!(text.contains("saved)"), "{text}");
    // ferry images names where each goes on a site registry.
    let list = json(&iw.world.run(&[
        "images",
        "b.tar.gz",
        "--pub",
        "ops.pub",
        "--registry",
        "site:5000/kyma",
        "--json",
    ]));
    let installer = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["reference"] == kyma_installer_image("1.3.0"))
        .unwrap();
    assert_eq!(
        installer["relocated"],
        "site:5000/kyma/kyma-project/kyma-installer:1.3.0"
    );
    assert_eq!(installer["hops"], serde_json::json!(["1.3.0"]));
    assert_eq!(list["signature_verified"], true);

    // The same inputs give the same bytes.
    let again = json(&iw.bundle("b2.tar.gz", &["--profile", &profile, "--json"]));
    assert_eq!(again["sha256"], summary["sha256"]);
    drop(iw.registry);
}

fn blob_count(extracted: &Path) -> usize {
    std::fs::read_dir(extracted.join("images/blobs/sha256"))
        .unwrap()
        .count()
}

#[test]
fn plan_shows_each_hops_images_with_digests_and_reasons() {
    let iw = ImageWorld::new();
    let mut args = vec!["plan", "--from", "1.0.0", "--to", "1.3.0", "--json"];
    args.extend(iw.flags.iter().map(String::as_str));
    let plan = json(&iw.world.run(&args));
    let hop = hop(&plan, "1.2.2");
    let installer = hop_image(hop, &kyma_installer_image("1.2.2")).expect("the installer");
    let digest = installer["digest"].as_str().unwrap_or_default();
    assert!(digest.starts_with("sha256:"), "{installer}");
    let reasons = installer["reasons"].as_array().unwrap();
    let from_cluster_asset = |r: &serde_json::Value| {
        r.as_str()
            .unwrap_or_default()
            .contains("kyma-installer-cluster.yaml")
    };
    assert!(reasons.iter().any(from_cluster_asset), "{installer}");
    for chart_image in kyma_chart_images("1.2.2") {
        assert!(
            hop_image(hop, &chart_image).is_some(),
            "{chart_image}: {hop}"
        );
    }
    args.retain(|arg| *arg != "--json");
    let text = stdout(&iw.world.run(&args));
    assert!(text.contains("images:"), "{text}");
    assert!(text.contains("from kyma/injected/resources/"), "{text}");
}

#[test]
fn a_tampered_image_blob_fails_verification() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let dir = iw.world.path("x");
    std::fs::create_dir(&dir).unwrap();
    tool(&dir, "tar", &["xzf", "../b.tar.gz"]);
    let listing = tool(iw.world.dir.path(), "tar", &["tzf", "b.tar.gz"]);
    let blob = listing
        .lines()
        .find(|line| line.starts_with("images/blobs/"))
        .unwrap()
        .to_string();
    let mut data = std::fs::read(dir.join(&blob)).unwrap();
    data[0] ^= 0xff;
    std::fs::write(dir.join(&blob), data).unwrap();
    let files: Vec<&str> = listing.lines().filter(|l| !l.ends_with('/')).collect();
    std::fs::write(dir.join("order"), files.join("\n")).unwrap();
    gzip_like_ferry(&dir, "tar cf - --no-recursion -T order", "../evil.tar.gz");
    let out = iw.world.run(&["verify", "evil.tar.gz", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains(&blob), "{}", stderr(&out));
}

#[test]
fn an_image_that_cannot_be_pulled_names_its_hop_unless_skipped() {
    let iw = ImageWorld::new();
    let profile = iw.world.path("kyma-missing.toml");
    let text = format!(
        "{}\n[[images.extra]]\nminors = [\"1.2\", \"1.2\"]\nrefs = [\"eu.gcr.io/kyma-project/nowhere:1\"]\nreason = \"test\"\n",
        include_str!("../../bundles/kyma.toml")
    );
    std::fs::write(&profile, text).unwrap();
    let profile = profile.display().to_string();
    let out = iw.bundle("b.tar.gz", &["--profile", &profile]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("hop 1.2.2") && err.contains("eu.gcr.io/kyma-project/nowhere:1"),
        "{err}"
    );
    assert!(err.contains("--skip-image"), "{err}");
    assert!(!iw.world.path("b.tar.gz").exists());

    let out = iw.bundle(
        "b.tar.gz",
        &[
            "--profile",
            &profile,
            "--skip-image",
            "eu.gcr.io/kyma-project/nowhere:1",
        ],
    );
    assert_success(&out);
    let manifest = json(&iw.world.run(&["inspect", "b.tar.gz", "--json"]));
    let skipped = hop_image(hop(&manifest, "1.2.2"), "eu.gcr.io/kyma-project/nowhere:1").unwrap();
    assert_eq!(skipped["skipped"], true, "{skipped}");
}

#[test]
fn a_registry_that_wants_credentials_gets_them_from_the_auth_file() {
    let world = World::new();
    let registry = Registry::start(&world.path("registry"), Some(("ops", "s3cret")));
    let images = kyma_images(&["1.1.0"]);
    let layout = world.path("layout");
    write_layout(&layout, &images).unwrap();
    push_images(&layout, &images, &registry, Some(("ops", "s3cret")));
    let references: Vec<String> = images.iter().map(|i| i.reference.clone()).collect();
    let mut args = registry.mirror_args(&references);
    args.extend([
        "--registry-insecure".into(),
        registry.host().into(),
        "--images".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let denied = world.bundle("1.0.0", "1.1.0", "b.tar.gz", &args);
    assert_exit(&denied, 1);
    assert!(
        stderr(&denied).contains("refused access"),
        "{}",
        stderr(&denied)
    );

    let auth = base64_encode("ops:s3cret");
    let auth_file = world.path("auth.json");
    let host = registry.host();
    std::fs::write(
        &auth_file,
        format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .unwrap();
    let mut command = world.ferry();
    command.env("REGISTRY_AUTH_FILE", &auth_file).args([
        "bundle", "--from", "1.0.0", "--to", "1.1.0", "--key", "ops.key", "--output", "b.tar.gz",
    ]);
    let out = command.args(&args).output().unwrap();
    assert_success(&out);
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `--registry SITE/kyma --registry-insecure SITE`: the site registry flags.
fn site_flags(site: &Registry) -> Vec<String> {
    let target = format!("{}/kyma", site.host());
    vec![
        "--registry".into(),
        target,
        "--registry-insecure".into(),
        site.host().into(),
    ]
}

/// `ferry push` of `bundle` to `site` (plain HTTP), with `extra` flags.
pub(crate) fn push(
    world: &World,
    bundle: &str,
    site: &Registry,
    extra: &[&str],
) -> std::process::Output {
    let flags = site_flags(site);
    let mut args = vec!["push", bundle, "--pub", "ops.pub"];
    args.extend(flags.iter().map(String::as_str));
    args.extend_from_slice(extra);
    world.run(&args)
}

/// The raw manifest `skopeo` reads at `reference` on the site registry.
fn site_manifest(world: &World, site: &Registry, reference: &str) -> std::process::Output {
    let relocated =
        ferry::images::reference::relocated(reference, &format!("{}/kyma", site.host())).unwrap();
    skopeo(
        world.dir.path(),
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{relocated}"),
        ],
    )
}

#[test]
fn push_lands_every_image_by_digest_and_a_second_push_sends_nothing() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let site = Registry::start(&iw.world.path("site"), None);
    let first = json(&push(&iw.world, "b.tar.gz", &site, &["--json"]));
    let manifest = json(&iw.world.run(&["inspect", "b.tar.gz", "--json"]));
    let images = manifest["images"]["images"].as_array().unwrap();
    assert_eq!(first["images"], images.len(), "{first}");
    assert!(first["uploaded"].as_u64().unwrap() > 0, "{first}");
    assert!(
        first["mounted"].as_u64().unwrap() > 0,
        "shared blobs are mounted: {first}"
    );
    for image in images {
        let reference = image["reference"].as_str().unwrap();
        let out = site_manifest(&iw.world, &site, reference);
        assert!(
            out.status.success(),
            "{reference}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            ferry::oci::Digest::of(&out.stdout).as_str(),
            image["digest"].as_str().unwrap(),
            "{reference}"
        );
    }
    let again = json(&push(&iw.world, "b.tar.gz", &site, &["--json"]));
    assert_eq!(again["uploaded"], 0, "{again}");
    assert_eq!(again["mounted"], 0, "{again}");
}

#[test]
fn a_push_killed_midway_resumes_with_what_is_missing() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let site = Registry::start(&iw.world.path("site"), None);
    let target = format!("{}/kyma", site.host());
    let mut child = iw
        .world
        .ferry()
        .args([
            "push",
            "b.tar.gz",
            "--pub",
            "ops.pub",
            "--registry",
            &target,
        ])
        .args(["--registry-insecure", site.host(), "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
    let first_upload = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("uploaded"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(first_upload.is_some(), "the push never uploaded a blob");
    let rerun = json(&push(&iw.world, "b.tar.gz", &site, &["--json"]));
    assert!(rerun["present"].as_u64().unwrap() > 0, "{rerun}");
    assert!(
        rerun["uploaded"].as_u64().unwrap() > 0,
        "the first push was cut short: {rerun}"
    );
    let installer = kyma_installer_image("1.3.0");
    assert!(site_manifest(&iw.world, &site, &installer).status.success());
}

#[test]
fn push_verifies_first_and_uses_the_site_registrys_credentials() {
    let iw = ImageWorld::new();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let site = Registry::start(&iw.world.path("site"), Some(("site", "pw")));
    let denied = push(&iw.world, "b.tar.gz", &site, &[]);
    assert_exit(&denied, 1);
    assert!(
        stderr(&denied).contains("refused access"),
        "{}",
        stderr(&denied)
    );

    // A bundle that does not verify pushes nothing.
    std::fs::write(iw.world.path("bad.tar.gz"), b"junk").unwrap();
    let auth = base64_encode("site:pw");
    let auth_file = iw.world.path("auth.json");
    let host = site.host();
    std::fs::write(
        &auth_file,
        format!(r#"{{"auths": {{"{host}": {{"auth": "{auth}"}}}}}}"#),
    )
    .unwrap();
    let with_creds = |bundle: &str| {
        let target = format!("{host}/kyma");
        iw.world
            .ferry()
            .env("REGISTRY_AUTH_FILE", &auth_file)
            .args(["push", bundle, "--pub", "ops.pub", "--registry", &target])
            .args(["--registry-insecure", host, "--json"])
            .output()
            .unwrap()
    };
    assert_exit(&with_creds("bad.tar.gz"), 1);
    let pushed = json(&with_creds("b.tar.gz"));
    assert!(pushed["images"].as_u64().unwrap() >= 10, "{pushed}");
}

/// `ferry apply --registry SITE/kyma` of `bundle`, unattended.
fn apply_from_site(world: &World, bundle: &str, site: &Registry) -> std::process::Output {
    let flags = site_flags(site);
    let mut args = vec!["apply", bundle, "--pub", "ops.pub"];
    args.extend(flags.iter().map(String::as_str));
    args.extend(["--accept-guides", "--yes", "--timeout", "60s"]);
    world.run(&args)
}

#[test]
fn apply_from_the_site_registry_relocates_every_image_it_applies() {
    let iw = ImageWorld::with_cluster();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let site = Registry::start(&iw.world.path("site"), None);
    assert_success(&push(&iw.world, "b.tar.gz", &site, &[]));
    let out = apply_from_site(&iw.world, "b.tar.gz", &site);
    assert_success(&out);
    assert!(stdout(&out).contains("has all"), "{}", stdout(&out));
    let cluster = iw.world.cluster();
    assert_eq!(cluster.installed_versions(), ["1.1.0", "1.2.2", "1.3.0"]);
    let installer = cluster
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer",
        )
        .unwrap();
    let image = &installer["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(
        image.as_str().unwrap(),
        format!("{}/kyma/kyma-project/kyma-installer:1.3.0", site.host())
    );
    let overrides = cluster
        .get(
            "v1",
            "ConfigMap",
            Some("kyma-installer"),
            "ferry-registry-overrides",
        )
        .expect("the registry overrides");
    assert_eq!(overrides["metadata"]["labels"]["installer"], "overrides");
    assert_eq!(
        overrides["data"]["global.containerRegistry.path"]
            .as_str()
            .unwrap(),
        format!("{}/kyma/kyma-project", site.host())
    );
    let status = json(&iw.world.run(&["status", "--json"]));
    assert_eq!(status["version"], "1.3.0", "{status}");
}

#[test]
fn an_image_missing_from_the_site_registry_stops_apply_before_any_change() {
    let iw = ImageWorld::with_cluster();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let args: Vec<&str> = iw.flags.iter().map(String::as_str).collect();
    assert_success(&iw.world.bundle("1.0.0", "1.2.2", "short.tar.gz", &args));
    let site = Registry::start(&iw.world.path("site"), None);
    // Only the images up to 1.2.2 reach the site.
    assert_success(&push(&iw.world, "short.tar.gz", &site, &[]));
    let before = iw.world.cluster().mutations();
    let out = apply_from_site(&iw.world, "b.tar.gz", &site);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("lacks images") && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(
        err.contains(&format!("hop 1.3.0: {}", kyma_installer_image("1.3.0"))),
        "{err}"
    );
    assert!(!err.contains("hop 1.1.0"), "{err}");
    assert_eq!(
        iw.world.cluster().mutations(),
        before,
        "the cluster was changed"
    );
    assert!(iw.world.cluster().installed_versions().is_empty());
}

#[test]
fn a_blob_the_registry_serves_altered_is_refused_naming_the_image() {
    let iw = ImageWorld::new();
    // Alter the largest layer in the upstream registry's own storage: the
    // registry serves it as it is, under the old digest.
    let blobs = iw
        .world
        .path("registry/storage/docker/registry/v2/blobs/sha256");
    let mut largest: Option<(u64, std::path::PathBuf)> = None;
    for fan in std::fs::read_dir(&blobs).unwrap().flatten() {
        for blob in std::fs::read_dir(fan.path()).unwrap().flatten() {
            let data = blob.path().join("data");
            let size = std::fs::metadata(&data).map(|m| m.len()).unwrap_or(0);
            if largest.as_ref().is_none_or(|(s, _)| size > *s) {
                largest = Some((size, data));
            }
        }
    }
    let (_, data) = largest.expect("blobs in the registry");
    let mut bytes = std::fs::read(&data).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let out = iw.bundle("b.tar.gz", &[]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("has digest") && err.contains("altered"),
        "{err}"
    );
    assert!(!iw.world.path("b.tar.gz").exists());
}

#[test]
fn an_expired_bundle_is_pushed_only_with_allow_expired() {
    let iw = ImageWorld::new();
    // Created 2001-09-09, so it expired 90 days later.
    assert_success(&iw.bundle("old.tar.gz", &["--created", "1000000000"]));
    let site = Registry::start(&iw.world.path("site"), None);
    let manifest = json(&iw.world.run(&["inspect", "old.tar.gz", "--json"]));
    let first = manifest["images"]["images"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();

    let out = push(&iw.world, "old.tar.gz", &site, &[]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("expired at 2001-12-08T01:46:40Z"), "{err}");
    assert!(err.contains("--allow-expired"), "{err}");
    assert!(
        !site_manifest(&iw.world, &site, &first).status.success(),
        "nothing reached the site registry"
    );

    let pushed = json(&push(
        &iw.world,
        "old.tar.gz",
        &site,
        &["--allow-expired", "--json"],
    ));
    assert_eq!(
        pushed["images"],
        manifest["images"]["images"].as_array().unwrap().len()
    );
    assert!(site_manifest(&iw.world, &site, &first).status.success());
}
