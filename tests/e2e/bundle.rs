//! `ferry bundle`, `verify`, `inspect` and `guide`, checked with the real
//! minisign, GNU tar and sha256sum.

use super::util::*;
use ferry::sandbox::github::Catalogue;

const BUNDLE: &str = "kyma-1.0.0-1.3.0.ferry.tar.gz";

#[test]
fn a_bundle_passes_ferry_minisign_tar_and_sha256sum() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));

    let verified = json(&world.run(&["verify", BUNDLE, "--pub", "ops.pub", "--json"]));
    assert_eq!(verified["ok"], true);
    assert_eq!(
        verified["hops"],
        serde_json::json!(["1.1.0", "1.2.2", "1.3.0"])
    );

    let listing = tool(world.dir.path(), "tar", &["tzf", BUNDLE]);
    let entries: Vec<&str> = listing.lines().collect();
    assert_eq!(
        entries[..4],
        [
            "manifest.json",
            "manifest.json.minisig",
            "SHA256SUMS",
            "SHA256SUMS.minisig"
        ]
    );
    for expected in [
        "base/1.0.0/assets/kyma-installer-cluster.yaml",
        "hops/1.1.0/assets/kyma-installer-local.yaml",
        "hops/1.2.2/guides/1.1-1.2.md",
        "hops/1.3.0/guides/1.2-1.3.md",
        "hops/1.3.0/RELEASE_NOTES.md",
    ] {
        assert!(
            entries.contains(&expected),
            "{expected} missing from:\n{listing}"
        );
    }

    let unpacked = world.path("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    tool(
        &unpacked,
        "tar",
        &["xzf", world.path(BUNDLE).to_str().unwrap()],
    );
    let checked = tool(&unpacked, "sha256sum", &["-c", "SHA256SUMS"]);
    assert!(
        checked.lines().count() >= 10 && !checked.contains("FAILED"),
        "{checked}"
    );
    let pubkey = world.path("ops.pub");
    let out = tool(
        &unpacked,
        "minisign",
        &["-V", "-m", "manifest.json", "-p", pubkey.to_str().unwrap()],
    );
    assert!(
        out.contains("Signature and comment signature verified"),
        "{out}"
    );
    assert!(
        out.contains("1.0.0") && out.contains("1.3.0"),
        "trusted comment names the range: {out}"
    );
}

#[test]
fn inspect_and_guide_show_what_the_bundle_holds() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &["--variant", "cluster"]));

    let manifest = json(&world.run(&["inspect", BUNDLE, "--json"]));
    assert_eq!(manifest["from"], "1.0.0");
    assert_eq!(manifest["to"], "1.3.0");
    assert_eq!(manifest["variant"], "cluster");
    let hop = &manifest["hops"][1];
    assert_eq!(hop["version"], "1.2.2");
    assert_eq!(hop["guides"], serde_json::json!(["1.1-1.2.md"]));
    assert!(hop["commit"].as_str().unwrap().len() == 40);
    let files: Vec<&str> = hop["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"hops/1.2.2/assets/kyma-installer-cluster.yaml"),
        "{files:?}"
    );
    assert!(
        !files.iter().any(|f| f.contains("local")),
        "cluster variant only: {files:?}"
    );
    let steps = hop["steps"].as_array().unwrap();
    assert_eq!(steps[0]["action"], "apply");
    assert_eq!(steps.last().unwrap()["action"], "wait_installed");

    let text = stdout(&world.run(&["inspect", BUNDLE]));
    assert!(text.contains("signed by key"), "{text}");

    let out = world.run(&["guide", BUNDLE, "1.2"]);
    assert_success(&out);
    assert!(stdout(&out).contains("1.1-1.2.md"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("kubectl"),
        "guides carry commands: {}",
        stdout(&out)
    );
    let out = world.run(&["guide", BUNDLE, "1.1.0"]);
    assert_success(&out);
    assert!(stdout(&out).contains("no migration guide"));
    assert_exit(&world.run(&["guide", BUNDLE, "1.9"]), 2);
}

#[test]
fn rebuilding_gives_the_same_bytes_and_honours_source_date_epoch() {
    let world = World::new();
    assert_success(&world.bundle("1.15.1", "1.18.2", "a.tar.gz", &[]));
    assert_success(&world.bundle("1.15.1", "1.18.2", "b.tar.gz", &["--cache", "other-cache"]));
    // Again from the warm cache, which reuses the compressed payload.
    assert_success(&world.bundle("1.15.1", "1.18.2", "a2.tar.gz", &[]));
    let a = std::fs::read(world.path("a.tar.gz")).unwrap();
    let b = std::fs::read(world.path("b.tar.gz")).unwrap();
    assert!(a == b, "two builds of one range differ");
    assert!(
        a == std::fs::read(world.path("a2.tar.gz")).unwrap(),
        "the warm rebuild differs"
    );

    let out = world
        .ferry()
        .env("SOURCE_DATE_EPOCH", "1000000000")
        .args([
            "bundle", "--from", "1.15.1", "--to", "1.18.2", "--key", "ops.key", "--output",
            "c.tar.gz",
        ])
        .output()
        .unwrap();
    assert_success(&out);
    let listing = tool(world.dir.path(), "tar", &["--utc", "-tvzf", "c.tar.gz"]);
    assert!(
        listing.lines().all(|l| l.contains("2001-09-09")),
        "{listing}"
    );
    let manifest = json(&world.run(&["inspect", "c.tar.gz", "--json"]));
    let hops: Vec<&str> = manifest["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["version"].as_str().unwrap())
        .collect();
    assert_eq!(hops, ["1.16.0-rc4", "1.17.1", "1.18.2"]);
    assert!(manifest["hops"][2]["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["path"] == "hops/1.18.2/assets/kyma-installer-cr-local.yaml"));
}

#[test]
fn tiller_comes_from_the_repository_at_the_tag() {
    let world = World::new();
    assert_success(&world.bundle("1.9.0", "1.10.0", "t.tar.gz", &[]));
    let manifest = json(&world.run(&["inspect", "t.tar.gz", "--json"]));
    let files = manifest["hops"][0]["files"].as_array().unwrap();
    let tiller = files
        .iter()
        .find(|f| f["kind"] == "repo_file")
        .expect("a repository file");
    assert_eq!(
        tiller["path"],
        "hops/1.10.0/repo/installation/resources/tiller.yaml"
    );
    assert_eq!(
        tiller["source"],
        "https://github.com/kyma-project/kyma/blob/1.10.0/installation/resources/tiller.yaml"
    );
    assert_eq!(manifest["hops"][0]["steps"][0]["path"], tiller["path"]);
}

#[test]
fn verify_rejects_tampering_and_strangers() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.1.0", BUNDLE, &[]));

    let stranger = world.run(&["keygen", "--output", "stranger", "--unencrypted"]);
    assert_success(&stranger);
    let out = world.run(&["verify", BUNDLE, "--pub", "stranger.pub"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).to_lowercase().contains("key"),
        "{}",
        stderr(&out)
    );

    let mut bytes = std::fs::read(world.path(BUNDLE)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(world.path("flipped.tar.gz"), &bytes).unwrap();
    assert_exit(
        &world.run(&["verify", "flipped.tar.gz", "--pub", "ops.pub"]),
        1,
    );

    bytes.truncate(middle);
    std::fs::write(world.path("short.tar.gz"), &bytes).unwrap();
    assert_exit(
        &world.run(&["verify", "short.tar.gz", "--pub", "ops.pub"]),
        1,
    );

    assert_exit(&world.run(&["verify", BUNDLE]), 2);
}

#[test]
fn a_failed_bundle_leaves_the_previous_output_untouched() {
    let world = World::new();
    world.keygen();
    std::fs::write(world.path(BUNDLE), b"previous bundle").unwrap();
    let out = world
        .ferry()
        .env("FERRY_GITHUB_API", "http://127.0.0.1:9")
        .args([
            "bundle", "--from", "1.0.0", "--to", "1.3.0", "--key", "ops.key", "--output", BUNDLE,
            "--force",
        ])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert_eq!(
        std::fs::read(world.path(BUNDLE)).unwrap(),
        b"previous bundle"
    );

    let out = world.bundle("1.3.0", "1.0.0", "down.tar.gz", &[]);
    assert_exit(&out, 1);
    assert!(!world.path("down.tar.gz").exists());
    let leftovers: Vec<_> = std::fs::read_dir(world.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.') || name.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn an_encrypted_key_needs_its_password() {
    let world = World::new();
    let out = world
        .ferry()
        .env("FERRY_KEY_PASSWORD", "correct horse")
        .args(["keygen", "--output", "enc"])
        .output()
        .unwrap();
    assert_success(&out);
    let head = std::fs::read_to_string(world.path("enc.key")).unwrap();
    assert!(head.starts_with("untrusted comment:"), "{head}");

    let args = [
        "bundle", "--from", "1.0.0", "--to", "1.1.0", "--key", "enc.key", "--output", "e.tar.gz",
    ];
    let out = world.ferry().args(args).output().unwrap();
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("FERRY_KEY_PASSWORD"),
        "{}",
        stderr(&out)
    );
    let out = world
        .ferry()
        .env("FERRY_KEY_PASSWORD", "wrong")
        .args(args)
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let out = world
        .ferry()
        .env("FERRY_KEY_PASSWORD", "correct horse")
        .args(args)
        .output()
        .unwrap();
    assert_success(&out);
    assert_success(&world.run(&["verify", "e.tar.gz", "--pub", "enc.pub"]));
}

#[test]
fn a_key_made_by_minisign_signs_bundles() {
    let world = World::new();
    tool(
        world.dir.path(),
        "minisign",
        &["-G", "-W", "-p", "mini.pub", "-s", "mini.key"],
    );
    let args = [
        "bundle", "--from", "1.0.0", "--to", "1.1.0", "--key", "mini.key", "--output", "m.tar.gz",
    ];
    assert_success(&world.run(&args));
    assert_success(&world.run(&["verify", "m.tar.gz", "--pub", "mini.pub"]));
}

#[test]
fn local_overrides_carry_their_merge_base() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.2.2", "l.tar.gz", &["--variant", "local"]));
    let manifest = json(&world.run(&["inspect", "l.tar.gz", "--json"]));
    let first = &manifest["hops"][0]["steps"][0];
    assert_eq!(first["action"], "apply_overrides");
    assert_eq!(first["path"], "hops/1.1.0/assets/kyma-config-local.yaml");
    assert_eq!(
        first["base_path"],
        "base/1.0.0/assets/kyma-config-local.yaml"
    );
    assert_eq!(first["selector"], "installer=overrides");
    let second = &manifest["hops"][1]["steps"][0];
    assert_eq!(
        second["base_path"],
        "hops/1.1.0/assets/kyma-config-local.yaml"
    );
}

#[test]
fn a_warm_rebuild_copies_compressed_payload_from_the_cache() {
    let world = World::with_catalogue(Catalogue::synthetic(2, 5, 300_000));
    let profile = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/synthetic.toml");
    let build =
        |name: &str| json(&world.bundle("1.0.0", "1.2.0", name, &["--json", "--profile", profile]));
    let cold = build("cold.tar.gz");
    let warm = build("warm.tar.gz");
    // The base release and two hops, five big assets each.
    assert_eq!(cold["reused_files"], 0);
    assert_eq!(warm["reused_files"], 15);
    assert_eq!(cold["sha256"], warm["sha256"]);
    let cold = std::fs::read(world.path("cold.tar.gz")).unwrap();
    assert!(cold == std::fs::read(world.path("warm.tar.gz")).unwrap());
    let listing = tool(world.dir.path(), "tar", &["-tzf", "warm.tar.gz"]);
    assert!(
        listing.contains("hops/1.2.0/assets/part-05.yaml"),
        "{listing}"
    );
    assert_success(&world.run(&["verify", "warm.tar.gz", "--pub", "ops.pub"]));

    // A damaged compressed copy is dropped and that file compressed afresh.
    let member = gzip_blobs(&world.path("cache"))[0].clone();
    let mut bytes = std::fs::read(&member).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&member, bytes).unwrap();
    let repaired = build("repaired.tar.gz");
    assert_eq!(repaired["reused_files"], 14);
    assert!(cold == std::fs::read(world.path("repaired.tar.gz")).unwrap());
}

/// The cache's blobs that are gzip data (kept compressed members).
fn gzip_blobs(cache: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![cache.join("blobs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if std::fs::read(&path).unwrap().starts_with(&[0x1f, 0x8b]) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
