//! `ferry apply` and `ferry status` against the simulated Kyma cluster.

use super::util::*;
use ferry::sandbox::kube::ClusterConfig;
use std::time::Duration;

const BUNDLE: &str = "b.ferry.tar.gz";

fn cluster_at(version: &str) -> ClusterConfig {
    // Kyma 1.x clusters ran Kubernetes <= 1.15: its manifests up to 1.9 use
    // extensions/v1beta1 Deployments, which 1.16 no longer serves.
    ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some(version.to_string()),
        installer_delay: Duration::from_millis(150),
        ..ClusterConfig::default()
    }
}

/// A world whose cluster runs `at`, with a bundle `from..to` built and ready.
fn prepared(at: &str, from: &str, to: &str, extra: &[&str]) -> World {
    let world = World::with_cluster(cluster_at(at));
    assert_success(&world.bundle(from, to, BUNDLE, extra));
    world
}

/// `ferry apply --yes` in the background, its output dropped.
fn spawn_apply(world: &World) -> std::process::Child {
    world
        .ferry()
        .args(["apply", BUNDLE, "--pub", "ops.pub", "--yes"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// `ferry apply` unattended (`--yes`: the tests have no terminal).
fn apply(world: &World, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "apply",
        BUNDLE,
        "--pub",
        "ops.pub",
        "--timeout",
        "60s",
        "--yes",
    ];
    args.extend_from_slice(extra);
    world.run(&args)
}

fn status_version(world: &World) -> String {
    let status = json(&world.run(&["status", "--json"]));
    status["version"].as_str().unwrap_or_default().to_string()
}

#[test]
fn upgrades_1_0_to_1_3_hop_by_hop() {
    let world = prepared("1.0.0", "1.0.0", "1.3.0", &[]);
    assert_eq!(status_version(&world), "1.0.0");
    let out = apply(&world, &["--accept-guides"]);
    assert_success(&out);
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
    assert_eq!(status_version(&world), "1.3.0");
    let again = apply(&world, &["--accept-guides"]);
    assert_success(&again);
    assert!(
        stdout(&again).contains("nothing to do"),
        "{}",
        stdout(&again)
    );
    assert_eq!(world.cluster().installed_versions().len(), 3);
}

#[test]
fn stops_at_a_guide_with_exit_3_and_resumes() {
    let world = prepared("1.0.0", "1.0.0", "1.3.0", &[]);
    let out = apply(&world, &[]);
    assert_exit(&out, 3);
    assert!(stderr(&out).contains("1.1-1.2.md"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--accept-guide"), "{}", stderr(&out));
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);

    let out = apply(&world, &["--accept-guide", "1.2"]);
    assert_exit(&out, 3);
    assert_eq!(world.cluster().installed_versions(), ["1.1.0", "1.2.2"]);

    let out = apply(&world, &["--accept-guide", "1.3.0"]);
    assert_success(&out);
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
    let status = json(&world.run(&["status", "--json"]));
    let acknowledged = status["acknowledged"].to_string();
    assert!(
        acknowledged.contains("1.2.2") && acknowledged.contains("1.3.0"),
        "{status}"
    );
}

#[test]
fn a_cluster_already_at_1_2_only_gets_1_3() {
    let world = prepared("1.2.2", "1.0.0", "1.3.0", &[]);
    let out = apply(&world, &["--accept-guides", "--quiet"]);
    assert_success(&out);
    assert_eq!(world.cluster().installed_versions(), ["1.3.0"]);
    // --quiet: the installer's progress stays off stderr; the result is on stdout.
    assert!(!stderr(&out).contains("installer:"), "{}", stderr(&out));
    assert!(stdout(&out).contains("hop 1.2.2 -> 1.3.0 finished"));
}

#[test]
fn goes_through_1_16_0_rc4_from_1_15() {
    let world = prepared("1.15.1", "1.15.1", "1.18.2", &[]);
    assert_success(&apply(&world, &["--accept-guides"]));
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.16.0-rc4", "1.17.1", "1.18.2"]
    );
}

#[test]
fn tiller_and_deletes_run_where_the_procedure_says() {
    let world = prepared("1.9.0", "1.9.0", "1.15.1", &["--variant", "cluster"]);
    assert_success(&apply(&world, &["--accept-guides"]));
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.10.0", "1.11.1", "1.12.0", "1.13.0", "1.14.0", "1.15.1"]
    );
    let deletes = world
        .cluster()
        .requests()
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.path.contains("/deployments/kyma-installer"))
        .count();
    assert_eq!(
        deletes, 5,
        "1.11 to 1.15 each delete the installer Deployment first"
    );
    assert!(
        world
            .cluster()
            .get(
                "apps/v1",
                "Deployment",
                Some("kube-system"),
                "tiller-deploy"
            )
            .is_some(),
        "the Tiller manifest was applied"
    );
}

#[test]
fn a_bad_bundle_or_key_changes_nothing() {
    let world = prepared("1.0.0", "1.0.0", "1.1.0", &[]);
    let before = world.cluster().mutations();
    assert_success(&world.run(&["keygen", "--output", "stranger", "--unencrypted"]));
    let out = world.run(&["apply", BUNDLE, "--pub", "stranger.pub", "--accept-guides"]);
    assert_exit(&out, 1);
    let mut bytes = std::fs::read(world.path(BUNDLE)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(world.path("bad.tar.gz"), bytes).unwrap();
    let out = world.run(&["apply", "bad.tar.gz", "--pub", "ops.pub", "--accept-guides"]);
    assert_exit(&out, 1);
    assert_eq!(
        world.cluster().mutations(),
        before,
        "no cluster change before verification"
    );
}

#[test]
fn dry_run_changes_nothing() {
    let world = prepared("1.0.0", "1.0.0", "1.2.2", &[]);
    let before = world.cluster().mutations();
    let out = apply(&world, &["--dry-run"]);
    assert_success(&out);
    assert!(stdout(&out).contains("would"), "{}", stdout(&out));
    assert_eq!(world.cluster().mutations(), before);
    assert!(world.cluster().installed_versions().is_empty());
}

#[test]
fn preflight_names_kinds_a_new_kubernetes_no_longer_serves() {
    let world = World::with_cluster(ClusterConfig {
        kubernetes: (1, 30),
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));
    let before = world.cluster().mutations();
    let out = apply(&world, &["--accept-guides"]);
    assert_exit(&out, 1);
    let text = stderr(&out);
    assert!(
        text.contains("CustomResourceDefinition") && text.contains("v1beta1"),
        "{text}"
    );
    assert_eq!(world.cluster().mutations(), before);
}

#[test]
fn a_failed_hop_stops_with_its_error_log_and_a_rerun_finishes() {
    let world = prepared("1.0.0", "1.0.0", "1.3.0", &[]);
    world.cluster().set_fail_version(Some("1.2.2".into()));
    let out = apply(&world, &["--accept-guides"]);
    assert_exit(&out, 1);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("1.2.2"), "{text}");
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
    world.cluster().set_fail_version(None);
    assert_success(&apply(&world, &["--accept-guides"]));
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
}

#[test]
fn kill_9_at_any_point_then_rerun_installs_each_hop_once() {
    let world = World::with_cluster(ClusterConfig {
        installer_delay: Duration::from_millis(600),
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    for delay_ms in [300u64, 900, 1500] {
        let mut child = world.spawn(&[
            "apply",
            BUNDLE,
            "--pub",
            "ops.pub",
            "--accept-guides",
            "--yes",
        ]);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    assert_success(&apply(&world, &["--accept-guides"]));
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
}

#[test]
fn a_second_concurrent_apply_refuses() {
    let world = World::with_cluster(ClusterConfig {
        installer_delay: Duration::from_millis(1500),
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));
    let mut first = spawn_apply(&world);
    std::thread::sleep(Duration::from_millis(700));
    let second = apply(&world, &[]);
    assert_exit(&second, 1);
    assert!(stderr(&second).contains("lock"), "{}", stderr(&second));
    assert!(first.wait().unwrap().success());
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
}

fn kubectl(world: &World, args: &[&str]) -> String {
    let kubeconfig = world.path("kubeconfig");
    let cache = world.path("kubectl-cache");
    let mut all = vec![
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    tool(world.dir.path(), "kubectl", &all)
}

#[test]
fn local_overrides_merge_three_ways() {
    let world = World::with_cluster(ClusterConfig {
        local: true,
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &["--variant", "local"]));
    // The cluster was installed from 1.0.0's overrides, then the operator tuned two
    // values and added one.
    tool(
        world.dir.path(),
        "tar",
        &["xzf", BUNDLE, "base/1.0.0/assets/kyma-config-local.yaml"],
    );
    kubectl(
        &world,
        &["apply", "-f", "base/1.0.0/assets/kyma-config-local.yaml"],
    );
    let tune = r#"{"data":{"console.cluster.headerTitle":"ACME","core.resources.limits.memory":"300Mi","console.cluster.headerLogoUrl":"assets/acme.svg"}}"#;
    kubectl(
        &world,
        &[
            "-n",
            "kyma-installer",
            "patch",
            "configmap",
            "core-overrides",
            "--type",
            "merge",
            "-p",
            tune,
        ],
    );

    let out = apply(&world, &["--accept-guides"]);
    assert_exit(&out, 1);
    let text = stderr(&out);
    assert!(text.contains("core.resources.limits.memory"), "{text}");
    assert!(
        text.contains("300Mi") && text.contains("104Mi"),
        "both values are shown: {text}"
    );
    assert!(world.cluster().installed_versions().is_empty());

    let out = apply(&world, &["--accept-guides", "--prefer", "cluster"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("kept the cluster's value"),
        "decisions are shown: {}",
        stdout(&out)
    );
    let core = world
        .cluster()
        .get("v1", "ConfigMap", Some("kyma-installer"), "core-overrides")
        .unwrap();
    assert_eq!(
        core["data"]["console.cluster.headerTitle"], "ACME",
        "the operator's value is kept"
    );
    assert_eq!(
        core["data"]["core.resources.limits.memory"], "300Mi",
        "--prefer cluster"
    );
    assert_eq!(
        core["data"]["console.cluster.headerLogoUrl"], "assets/acme.svg",
        "user additions stay"
    );
    let config = world
        .cluster()
        .get(
            "v1",
            "ConfigMap",
            Some("kyma-installer"),
            "installation-config-overrides",
        )
        .unwrap();
    assert_eq!(
        config["data"]["global.kymaVersion"], "1.1.0",
        "the release's change is taken"
    );
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
}

#[test]
fn a_1_14_cluster_gets_the_separate_installer_and_cr_assets() {
    let world = prepared("1.14.0", "1.14.0", "1.17.1", &[]);
    let out = apply(&world, &["--accept-guides"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.contains("hops/1.15.1/assets/kyma-installer.yaml"),
        "{text}"
    );
    assert!(
        text.contains("hops/1.15.1/assets/kyma-installer-cr-cluster.yaml"),
        "{text}"
    );
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.15.1", "1.16.0-rc4", "1.17.1"]
    );
}

#[test]
fn a_local_cluster_is_detected_and_gets_the_local_assets() {
    let world = World::with_cluster(ClusterConfig {
        local: true,
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));
    // The simulator seeds only a few override keys, so the release's other keys
    // read as deleted by the operator: take the release's side here.
    let out = apply(&world, &["--accept-guides", "--prefer", "release"]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(text.contains("local variant"), "{text}");
    assert!(
        text.contains("hops/1.1.0/assets/kyma-installer-local.yaml"),
        "{text}"
    );
    assert!(!text.contains("kyma-installer-cluster.yaml"), "{text}");
}

#[test]
fn current_cannot_contradict_a_version_tag() {
    // The installer image says 1.5.0; claiming 1.2.2 would make the 1.3.0
    // hop a downgrade.
    let world = prepared("1.5.0", "1.0.0", "1.3.0", &[]);
    let out = apply(&world, &["--current", "1.2.2", "--accept-guides"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("1.5.0") && err.contains("--current"), "{err}");
    assert!(world.cluster().installed_versions().is_empty());
    assert_eq!(status_version(&world), "1.5.0");
    // The same claim that agrees with the tag is harmless.
    let out = apply(&world, &["--current", "1.5.0", "--accept-guides"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("newer than this bundle"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn current_names_the_version_behind_a_tag_that_is_not_one() {
    let world = prepared("latest", "1.0.0", "1.1.0", &[]);
    let out = apply(&world, &[]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("--current"), "{}", stderr(&out));
    assert_success(&apply(&world, &["--current", "1.0.0"]));
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
}

#[test]
fn without_a_terminal_or_yes_nothing_changes() {
    let world = prepared("1.0.0", "1.0.0", "1.3.0", &[]);
    let out = world.run(&["apply", BUNDLE, "--pub", "ops.pub", "--accept-guides"]);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("--yes") && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(world.cluster().installed_versions().is_empty());
    let status = json(&world.run(&["status", "--json"]));
    assert_eq!(status["hops"], serde_json::json!([]), "{status}");
    assert!(status["lock"].is_null(), "{status}");
}

#[test]
fn a_hop_the_installer_finished_after_a_kill_is_recorded_done() {
    let world = World::with_cluster(ClusterConfig {
        installer_delay: Duration::from_millis(2500),
        ..cluster_at("1.0.0")
    });
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));
    let mut child = spawn_apply(&world);
    // Kill it while it waits for the installer (the hop is recorded started).
    let started = wait_for(Duration::from_secs(60), || {
        let status = json(&world.run(&["status", "--json"]));
        status["hops"][0]["status"] == "started"
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(started, "the hop never started");
    // The installer finishes on its own; the rerun finds nothing to do and
    // the journal says the hop is done.
    assert!(wait_for(Duration::from_secs(60), || {
        world.cluster().installed_versions() == ["1.1.0"]
    }));
    let again = apply(&world, &[]);
    assert_success(&again);
    assert!(
        stdout(&again).contains("nothing to do"),
        "{}",
        stdout(&again)
    );
    let status = json(&world.run(&["status", "--json"]));
    assert_eq!(status["hops"][0]["status"], "done", "{status}");
    assert!(status["hops"][0]["finished"].is_string(), "{status}");
    // Nor does the killed run's lock make the cluster look busy.
    assert!(status["lock"].is_null(), "{status}");
    assert_eq!(status["upgrade_in_progress"], false, "{status}");
}

/// Polls `ready` every 100 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn status_lists_every_workload_image_in_all_namespaces() {
    let world = World::with_cluster(cluster_at("1.0.0"));
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "default"},
        "spec": {"selector": {"matchLabels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {
                "initContainers": [{"name": "init", "image": "docker.io/library/busybox:1.31"}],
                "containers": [{"name": "api", "image": "site:5000/kyma/api:2"}]}}}
    });
    let created =
        world.create_in_cluster("/apis/apps/v1/namespaces/default/deployments", &deployment);
    assert!((200..300).contains(&created), "{created}");
    let status = json(&world.run(&["status", "--json"]));
    let images: Vec<(&str, &str)> = status["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["workload"].as_str().unwrap(),
                i["image"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        images,
        [
            ("default/api", "docker.io/library/busybox:1.31"),
            ("default/api", "site:5000/kyma/api:2"),
            (
                "kyma-installer/kyma-installer",
                "eu.gcr.io/kyma-project/kyma-installer:1.0.0"
            ),
        ],
        "{status}"
    );
    let text = stdout(&world.run(&["status"]));
    assert!(
        text.contains("images:\n  docker.io/library/busybox:1.31  default/api\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  eu.gcr.io/kyma-project/kyma-installer:1.0.0  kyma-installer/kyma-installer"
        ),
        "{text}"
    );
}
