//! A killed bundle run resumes without downloading finished files again.

use super::util::*;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

fn files_named_like_hashes(dir: &Path, found: &mut HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_named_like_hashes(&path, found);
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
            if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
                found.insert(name.to_string());
            }
        }
    }
}

fn partial_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir.join("partial")) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

#[test]
fn a_killed_run_resumes_without_downloading_finished_assets_again() {
    let world = World::new();
    world.keygen();
    let mut asset_sha: HashMap<u64, String> = HashMap::new();
    world.sim.update_catalogue(|catalogue| {
        for release in &catalogue.releases {
            for asset in &release.assets {
                asset_sha.insert(asset.id, hex::encode(Sha256::digest(&asset.content)));
            }
        }
    });
    world.sim.set_storage_throttle(Some(3_000));
    let cache = world.path("cache");
    let mut child = world
        .ferry()
        .args([
            "bundle", "--from", "1.0.0", "--to", "1.3.0", "--key", "ops.key",
        ])
        .args(["--output", "k.tar.gz", "--jobs", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished_before_kill = loop {
        let mut blobs = HashSet::new();
        files_named_like_hashes(&cache.join("blobs"), &mut blobs);
        if blobs.len() >= 2 && partial_bytes(&cache) > 0 {
            child.kill().unwrap();
            child.wait().unwrap();
            let mut blobs = HashSet::new();
            files_named_like_hashes(&cache.join("blobs"), &mut blobs);
            break blobs;
        }
        assert!(Instant::now() < deadline, "the download never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "ferry finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !world.path("k.tar.gz").exists(),
        "no bundle from a killed run"
    );

    world.sim.set_storage_throttle(None);
    world.sim.clear_requests();
    assert_success(&world.bundle("1.0.0", "1.3.0", "k.tar.gz", &["--jobs", "1"]));

    let storage: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/"))
        .collect();
    assert!(!storage.is_empty());
    for request in &storage {
        let id: u64 = request.path.split('/').nth(2).unwrap().parse().unwrap();
        let sha = &asset_sha[&id];
        assert!(
            !finished_before_kill.contains(sha),
            "{} was downloaded again although it finished before the kill",
            request.path
        );
    }
    assert!(
        storage.iter().any(|r| r
            .range
            .as_deref()
            .is_some_and(|range| range.starts_with("bytes=") && !range.starts_with("bytes=0-"))),
        "the interrupted download resumed with Range: {storage:?}"
    );
    assert_success(&world.run(&["verify", "k.tar.gz", "--pub", "ops.pub"]));

    world.sim.clear_requests();
    assert_success(&world.bundle("1.0.0", "1.3.0", "again.tar.gz", &[]));
    let downloads = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_storage/") || r.path.contains("/releases/assets/"))
        .count();
    assert_eq!(downloads, 0, "a warm cache downloads nothing");
}
