//! Freeze, rollback and key rotation: an expired bundle is refused by
//! verify, push and apply unless allowed (and then journaled), a bundle
//! older than one the cluster already ran is refused, and trust moves from
//! an old key to a new one without a gap.

use super::util::*;
use ferry::sandbox::kube::ClusterConfig;
use std::time::Duration;

/// 2001-09-09: created long ago, expired 90 days later.
const LONG_AGO: &str = "1000000000";

fn cluster_at(version: &str) -> ClusterConfig {
    ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some(version.to_string()),
        installer_delay: Duration::from_millis(100),
        ..ClusterConfig::default()
    }
}

fn apply(world: &World, bundle: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "apply",
        bundle,
        "--pub",
        "ops.pub",
        "--timeout",
        "60s",
        "--yes",
        "--accept-guides",
    ];
    args.extend_from_slice(extra);
    world.run(&args)
}

fn status(world: &World) -> serde_json::Value {
    json(&world.run(&["status", "--json"]))
}

#[test]
fn an_expired_bundle_is_refused_unless_allowed_and_then_journaled() {
    let world = World::with_cluster(cluster_at("1.0.0"));
    let out = world.bundle("1.0.0", "1.1.0", "old.tar.gz", &["--created", LONG_AGO]);
    assert_success(&out);

    let out = world.run(&["verify", "old.tar.gz", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("expired at 2001-12-08T01:46:40Z"), "{err}");
    assert!(err.contains("--allow-expired"), "{err}");
    let out = world.run(&[
        "verify",
        "old.tar.gz",
        "--pub",
        "ops.pub",
        "--allow-expired",
        "--json",
    ]);
    let verified = json(&out);
    assert_eq!(verified["expired"], true, "{verified}");
    assert_eq!(verified["created"], "2001-09-09T01:46:40Z");
    let comment = verified["trusted_comment"].as_str().unwrap();
    assert!(
        comment.ends_with("created 2001-09-09T01:46:40Z"),
        "{comment}"
    );
    let shown = stdout(&world.run(&["inspect", "old.tar.gz", "--pub", "ops.pub"]));
    assert!(shown.contains("EXPIRED at 2001-12-08T01:46:40Z"), "{shown}");

    // apply refuses before touching the cluster.
    let before = world.cluster().mutations();
    let out = apply(&world, "old.tar.gz", &[]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("expired at"), "{}", stderr(&out));
    assert_eq!(
        world.cluster().mutations(),
        before,
        "no change before the refusal"
    );
    assert_eq!(status(&world)["version"], "1.0.0");

    // Allowed, it runs, and the journal says so.
    assert_success(&apply(&world, "old.tar.gz", &["--allow-expired"]));
    let status = status(&world);
    assert_eq!(status["version"], "1.1.0");
    let events = status["events"].to_string();
    assert!(
        events.contains("although it expired at 2001-12-08T01:46:40Z (--allow-expired)"),
        "{events}"
    );
}

#[test]
fn a_bundle_older_than_one_the_cluster_ran_is_refused() {
    let world = World::with_cluster(cluster_at("1.0.0"));
    let now: i64 = world.created.parse().unwrap();
    let (older, newer, newest) = (now - 7200, now - 3600, now);
    let build = |name: &str, to: &str, created: i64| {
        let created = created.to_string();
        assert_success(&world.bundle("1.0.0", to, name, &["--created", &created]));
    };
    build("newer.tar.gz", "1.1.0", newer);
    build("older.tar.gz", "1.3.0", older);
    build("newest.tar.gz", "1.3.0", newest);

    assert_success(&apply(&world, "newer.tar.gz", &[]));
    assert_eq!(status(&world)["version"], "1.1.0");

    let before = world.cluster().mutations();
    let out = apply(&world, "older.tar.gz", &[]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("before the newest bundle this cluster already ran"),
        "{err}"
    );
    assert_eq!(world.cluster().mutations(), before, "nothing changed");
    assert_eq!(status(&world)["version"], "1.1.0");

    assert_success(&apply(&world, "newest.tar.gz", &[]));
    let status = status(&world);
    assert_eq!(status["version"], "1.3.0");
    let recorded = status["newest_bundle_created"].as_str().unwrap();
    let expected = json(&world.run(&["inspect", "newest.tar.gz", "--json"]))["created"].clone();
    assert_eq!(recorded, expected, "{status}");
}

#[test]
fn keys_rotate_through_a_trusted_keys_directory_without_a_gap() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.1.0", "old-key.tar.gz", &[]));
    assert_success(&world.run(&["keygen", "--output", "new", "--unencrypted"]));
    assert_success(&world.run(&[
        "bundle",
        "--from",
        "1.0.0",
        "--to",
        "1.1.0",
        "--key",
        "new.key",
        "--output",
        "new-key.tar.gz",
    ]));
    let trusted = world.path("trusted");
    std::fs::create_dir(&trusted).unwrap();
    std::fs::copy(world.path("ops.pub"), trusted.join("ops.pub")).unwrap();
    let verify = |bundle: &str| {
        world
            .ferry()
            .env("FERRY_TRUSTED_KEYS", &trusted)
            .args(["verify", bundle, "--json"])
            .output()
            .unwrap()
    };
    let key_id = |bundle: &str| {
        json(&world.run(&["inspect", bundle, "--json"]))["signature"]["key_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (old_id, new_id) = (key_id("old-key.tar.gz"), key_id("new-key.tar.gz"));

    // 1. Only the old key is trusted: the new key's bundle is refused, named.
    assert_success(&verify("old-key.tar.gz"));
    let out = verify("new-key.tar.gz");
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&format!("signed by key {new_id}")), "{err}");
    assert!(err.contains(&old_id), "the trusted keys are listed: {err}");

    // 2. Both trusted while bundles of both keys are in the field.
    std::fs::copy(world.path("new.pub"), trusted.join("new.pub")).unwrap();
    assert_eq!(json(&verify("old-key.tar.gz"))["key_id"], old_id.as_str());
    assert_eq!(json(&verify("new-key.tar.gz"))["key_id"], new_id.as_str());
    // --pub repeated does the same.
    let out = world.run(&[
        "verify",
        "new-key.tar.gz",
        "--pub",
        "ops.pub",
        "--pub",
        "new.pub",
    ]);
    assert_success(&out);

    // 3. The old key retired: its bundles are refused from now on.
    std::fs::remove_file(trusted.join("ops.pub")).unwrap();
    assert_success(&verify("new-key.tar.gz"));
    assert_exit(&verify("old-key.tar.gz"), 1);

    // No key at all is a usage error.
    assert_exit(&world.run(&["verify", "new-key.tar.gz"]), 2);
}
