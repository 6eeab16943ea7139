//! `ferry mirror`, `ferry mirror verify` and `ferry bundle --source`, against
//! the GitHub simulator; the simulator's request log proves what was fetched.

use super::util::*;
use ferry::sandbox::github::{RequestKind, RequestRecord};
use std::path::Path;

const ARCHIVE: &str = "archive";

/// Requests that moved file content (assets, raw repo files), not listings.
fn downloads(requests: &[RequestRecord]) -> Vec<&RequestRecord> {
    requests
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                RequestKind::AssetRedirect | RequestKind::Storage | RequestKind::Raw
            ) || (r.kind == RequestKind::Contents
                && r.accept.as_deref() == Some("application/vnd.github.raw"))
        })
        .collect()
}

fn mirror(world: &World, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["mirror", "--dest", ARCHIVE, "--json"];
    args.extend_from_slice(extra);
    json(&world.run(&args))
}

fn index(world: &World, tag: &str) -> serde_json::Value {
    let path = world
        .path(ARCHIVE)
        .join("releases")
        .join(format!("{tag}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn asset<'a>(index: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    index["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no asset {name} in {index}"))
}

#[test]
fn a_mirror_archives_releases_and_a_rerun_downloads_nothing() {
    let world = World::new();
    let first = mirror(&world, &["--since", "1.24.0"]);
    let tags: Vec<&str> = first["new_releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"1.24.0") && tags.contains(&"1.24.11"),
        "{tags:?}"
    );
    assert!(
        !tags.contains(&"1.23.1"),
        "--since leaves out older releases: {tags:?}"
    );
    assert!(!downloads(&world.sim.requests()).is_empty());

    let release = index(&world, "1.24.0");
    assert_eq!(release["draft"], false);
    assert_eq!(release["commit"].as_str().unwrap().len(), 40);
    let installer = asset(&release, "kyma-installer.yaml");
    let blob = world
        .path(ARCHIVE)
        .join(installer["blob"].as_str().unwrap());
    let content = std::fs::read(&blob).unwrap();
    assert_eq!(installer["stored_size"], content.len() as u64);
    let sha = installer["sha256"].as_str().unwrap();
    assert!(blob.ends_with(format!("blobs/sha256/{}/{sha}", &sha[..2])));
    assert_eq!(installer["deleted_upstream"], false);
    assert!(world.path(ARCHIVE).join("archive.json").is_file());
    assert!(!world.path(ARCHIVE).join(".lock").exists());

    world.sim.clear_requests();
    let second = mirror(&world, &["--since", "1.24.0"]);
    assert_eq!(second["new_releases"], serde_json::json!([]));
    assert_eq!(second["added"], serde_json::json!([]));
    assert_eq!(
        downloads(&world.sim.requests()).len(),
        0,
        "{:?}",
        world.sim.requests()
    );
    assert_success(&world.run(&["mirror", "verify", ARCHIVE]));
}

#[test]
fn a_new_release_and_a_changed_asset_are_fetched_and_a_deleted_one_is_kept() {
    let world = World::new();
    mirror(&world, &["--since", "1.24.10"]);
    world.sim.update_catalogue(|c| {
        c.add_kyma_release("1.25.1", "2022-06-01T10:00:00Z");
        assert!(c.set_asset_content("1.24.10", "kyma-installer.yaml", "changed: true\n"));
        let release = c.release_mut("1.24.11").unwrap();
        release
            .assets
            .retain(|a| a.name != "kyma-config-local.yaml");
    });
    world.sim.clear_requests();
    let report = mirror(&world, &["--since", "1.24.10"]);
    assert_eq!(report["new_releases"], serde_json::json!(["1.25.1"]));
    let added: Vec<&str> = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let new_assets = world
        .sim
        .catalogue()
        .release("1.25.1")
        .unwrap()
        .assets
        .len();
    let assets_added = added
        .iter()
        .filter(|a| a.starts_with("1.25.1: asset "))
        .count();
    assert_eq!(assets_added, new_assets, "{added:?}");
    assert!(
        added.contains(&"1.24.10: asset kyma-installer.yaml"),
        "{added:?}"
    );
    let redirects = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.kind == RequestKind::AssetRedirect)
        .count();
    assert_eq!(
        redirects,
        new_assets + 1,
        "only the new release and the changed asset"
    );
    assert_eq!(
        report["deleted_upstream"],
        serde_json::json!(["1.24.11: asset kyma-config-local.yaml"])
    );

    let changed = index(&world, "1.24.10");
    let installer = asset(&changed, "kyma-installer.yaml");
    let blob = world
        .path(ARCHIVE)
        .join(installer["blob"].as_str().unwrap());
    assert_eq!(std::fs::read(blob).unwrap(), b"changed: true\n");
    let kept = index(&world, "1.24.11");
    let gone = asset(&kept, "kyma-config-local.yaml");
    assert_eq!(gone["deleted_upstream"], true);
    assert!(world
        .path(ARCHIVE)
        .join(gone["blob"].as_str().unwrap())
        .is_file());
    assert_success(&world.run(&["mirror", "verify", ARCHIVE]));
}

#[test]
fn verify_reports_a_flipped_byte_and_a_missing_blob_by_release_and_file() {
    let world = World::new();
    mirror(
        &world,
        &["--since", "1.24.10", "--assets", "kyma-installer*.yaml"],
    );
    let damaged = index(&world, "1.24.10");
    let names: Vec<&str> = damaged["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n.starts_with("kyma-installer")),
        "{names:?}"
    );
    let flipped = world.path(ARCHIVE).join(
        asset(&damaged, "kyma-installer.yaml")["blob"]
            .as_str()
            .unwrap(),
    );
    let mut bytes = std::fs::read(&flipped).unwrap();
    bytes[0] ^= 0x01;
    std::fs::write(&flipped, bytes).unwrap();
    let missing = index(&world, "1.24.11");
    let removed = asset(&missing, "kyma-installer-cr-local.yaml");
    std::fs::remove_file(world.path(ARCHIVE).join(removed["blob"].as_str().unwrap())).unwrap();

    let out = world.run(&["mirror", "verify", ARCHIVE]);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("1.24.10: asset kyma-installer.yaml: blob") && text.contains("hashes to"),
        "{text}"
    );
    assert!(
        text.contains("1.24.11: asset kyma-installer-cr-local.yaml: blob")
            && text.contains("is missing"),
        "{text}"
    );
    assert!(stderr(&out).contains("problems"), "{}", stderr(&out));

    // A rerun fetches the missing blob again; the damaged one must be deleted first.
    std::fs::remove_file(&flipped).unwrap();
    mirror(
        &world,
        &["--since", "1.24.10", "--assets", "kyma-installer*.yaml"],
    );
    assert_success(&world.run(&["mirror", "verify", ARCHIVE]));
}

/// Bundles `from..to` from the archive with GitHub unreachable and a fresh cache.
fn offline_bundle(world: &World, from: &str, to: &str, output: &str) -> std::process::Output {
    world
        .ferry()
        .env("FERRY_GITHUB_API", "http://127.0.0.1:9")
        .env("FERRY_CACHE", world.path(&format!("{output}-cache")))
        .args([
            "bundle",
            "--source",
            ARCHIVE,
            "--from",
            from,
            "--to",
            to,
            "--key",
            "ops.key",
            "--output",
            output,
            "--created",
            &world.created,
        ])
        .output()
        .unwrap()
}

#[test]
fn an_offline_bundle_from_the_archive_equals_the_online_one() {
    let world = World::new();
    mirror(&world, &["--since", "1.9.0"]);
    // 1.9 -> 1.12 carries repo files (tiller.yaml); 1.20 -> 1.23 carries guides.
    for (from, to, expected) in [
        (
            "1.9.0",
            "1.12.0",
            "hops/1.10.0/repo/installation/resources/tiller.yaml",
        ),
        ("1.20.0", "1.23.1", "hops/1.21.2/guides/1.20-1.21.md"),
    ] {
        let online_name = format!("online-{to}.tar.gz");
        let offline_name = format!("offline-{to}.tar.gz");
        assert_success(&world.bundle(from, to, &online_name, &[]));
        assert_success(&offline_bundle(&world, from, to, &offline_name));
        let online = std::fs::read(world.path(&online_name)).unwrap();
        let offline = std::fs::read(world.path(&offline_name)).unwrap();
        assert!(
            online == offline,
            "{from} -> {to}: the offline bundle differs"
        );
        let listing = tool(world.dir.path(), "tar", &["tzf", &offline_name]);
        assert!(listing.contains(expected), "{expected} missing:\n{listing}");
    }
    // A range the archive does not hold fails without touching the network.
    let out = offline_bundle(&world, "1.7.0", "1.9.0", "old.tar.gz");
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("1.7.0"), "{}", stderr(&out));
}

#[test]
fn a_second_mirror_refuses_while_the_archive_is_locked() {
    let world = World::new();
    let dir = world.path(ARCHIVE);
    std::fs::create_dir(&dir).unwrap();
    // This test process is alive, so its pid makes a live lock.
    std::fs::write(dir.join(".lock"), format!("{}\n", std::process::id())).unwrap();
    let out = world.run(&["mirror", "--dest", ARCHIVE, "--since", "1.24.11"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains(&format!(
            "another `ferry mirror` (pid {})",
            std::process::id()
        )),
        "{}",
        stderr(&out)
    );
    assert!(!Path::new(&dir.join("releases/1.24.11.json")).exists());
    // A lock left by a dead process is taken over.
    std::fs::write(dir.join(".lock"), "4999999\n").unwrap();
    assert_success(&world.run(&["mirror", "--dest", ARCHIVE, "--since", "1.24.11"]));
    assert!(dir.join("releases/1.24.11.json").is_file());
}

#[test]
fn a_mirror_killed_midway_completes_on_rerun_and_verifies() {
    let world = World::new();
    world.sim.set_storage_throttle(Some(4_000));
    let mut child = world
        .ferry()
        .args(["mirror", "--dest", ARCHIVE, "--since", "1.24.9", "--quiet"])
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while !world
        .sim
        .requests()
        .iter()
        .any(|r| r.kind == RequestKind::Storage)
    {
        assert!(started.elapsed().as_secs() < 20, "no download started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        world.path(ARCHIVE).join(".lock").exists(),
        "a killed run leaves its lock behind"
    );

    world.sim.set_storage_throttle(None);
    let report = mirror(&world, &["--since", "1.24.9"]);
    assert_eq!(report["releases"], 3);
    let out = world.run(&["mirror", "verify", ARCHIVE, "--json"]);
    let verified = json(&out);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["releases"], 3);
}
