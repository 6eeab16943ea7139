//! What ferry promises about its output: a closed stdout never panics it nor
//! stops an upgrade, and every `--json` command prints one object, on
//! failure too.

use super::util::*;
use ferry::sandbox::kube::ClusterConfig;
use std::process::{Output, Stdio};
use std::time::Duration;

/// A world whose cluster runs Kyma 1.0.0 on Kubernetes 1.15.
fn kyma_1_0_world() -> World {
    World::with_cluster(ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".into()),
        installer_delay: Duration::from_millis(100),
        ..ClusterConfig::default()
    })
}

/// Runs ferry with `args` and stdout already closed by its reader (as when
/// `| head -1` has exited): every write to stdout fails with EPIPE.
fn run_with_stdout_closed(world: &World, args: &[&str]) -> Output {
    let mut child = world
        .ferry()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(
        !err.contains("panicked") && out.status.code() != Some(101),
        "{:?}\n{err}",
        out.status
    );
}

#[test]
fn a_closed_stdout_ends_read_only_commands_quietly() {
    let world = World::new();
    let plan = run_with_stdout_closed(&world, &["plan", "--from", "1.0.0", "--to", "1.24.0"]);
    assert_no_panic(&plan);
    assert_exit(&plan, 0);
    assert!(stderr(&plan).is_empty(), "{}", stderr(&plan));

    let json = run_with_stdout_closed(
        &world,
        &["plan", "--from", "1.0.0", "--to", "1.24.0", "--json"],
    );
    assert_no_panic(&json);
    assert_exit(&json, 0);

    assert_success(&world.bundle("1.0.0", "1.3.0", "b.tar.gz", &[]));
    for args in [
        &["inspect", "b.tar.gz"][..],
        &["verify", "b.tar.gz", "--pub", "ops.pub"],
        &["guide", "b.tar.gz", "1.2", "--pub", "ops.pub"],
    ] {
        let out = run_with_stdout_closed(&world, args);
        assert_no_panic(&out);
        assert_exit(&out, 0);
    }
}

#[test]
fn a_closed_stdout_does_not_stop_an_upgrade() {
    let world = kyma_1_0_world();
    assert_success(&world.bundle("1.0.0", "1.3.0", "b.tar.gz", &[]));
    let out = run_with_stdout_closed(
        &world,
        &[
            "apply",
            "b.tar.gz",
            "--pub",
            "ops.pub",
            "--accept-guides",
            "--yes",
        ],
    );
    assert_no_panic(&out);
    assert_success(&out);
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
    // The progress went to stderr instead, and the run let go of its lock.
    assert!(
        stderr(&out).contains("hop 1.2.2 -> 1.3.0 finished"),
        "{}",
        stderr(&out)
    );
    let status = json(&world.run(&["status", "--json"]));
    assert!(status["lock"].is_null(), "{status}");
    assert!(
        status["hops"]
            .as_array()
            .unwrap()
            .iter()
            .all(|hop| hop["status"] == "done"),
        "{status}"
    );
}

/// The one JSON object a failed `--json` command prints on stdout.
fn failure_json(out: &Output, code: i32) -> serde_json::Value {
    assert_exit(out, code);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", stdout(out)));
    assert_eq!(value["ok"], false, "{value}");
    assert_eq!(value["exit_code"], code, "{value}");
    assert!(
        !value["error"].as_str().unwrap_or_default().is_empty(),
        "{value}"
    );
    value
}

#[test]
fn json_commands_print_one_object_on_failure_too() {
    let world = kyma_1_0_world();
    let plan = world.run(&["plan", "--from", "1.0.0", "--to", "1.99.0", "--json"]);
    let value = failure_json(&plan, 1);
    assert!(
        value["error"].as_str().unwrap().contains("1.99.0"),
        "{value}"
    );

    assert_success(&world.bundle("1.0.0", "1.3.0", "b.tar.gz", &[]));
    let good = json(&world.run(&["verify", "b.tar.gz", "--pub", "ops.pub", "--json"]));
    assert_eq!(good["ok"], true, "{good}");

    std::fs::write(world.path("broken.tar.gz"), b"not a bundle").unwrap();
    let verify = world.run(&["verify", "broken.tar.gz", "--pub", "ops.pub", "--json"]);
    let value = failure_json(&verify, 1);
    assert!(
        value["error"]
            .as_str()
            .unwrap()
            .contains("not a ferry bundle"),
        "{value}"
    );

    let apply = world.run(&["apply", "broken.tar.gz", "--pub", "ops.pub", "--json"]);
    failure_json(&apply, 1);
    let guide = world.run(&["apply", "b.tar.gz", "--pub", "ops.pub", "--yes", "--json"]);
    failure_json(&guide, 3);
    assert_eq!(world.cluster().installed_versions(), ["1.1.0"]);
}

#[test]
fn a_dry_run_reports_where_it_would_go() {
    let world = World::with_cluster(ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".into()),
        ..ClusterConfig::default()
    });
    assert_success(&world.bundle("1.0.0", "1.3.0", "b.tar.gz", &[]));
    let out = json(&world.run(&[
        "apply",
        "b.tar.gz",
        "--pub",
        "ops.pub",
        "--dry-run",
        "--json",
    ]));
    assert_eq!(out["ok"], true, "{out}");
    assert_eq!(out["outcome"], "dry-run", "{out}");
    assert_eq!(out["from"], "1.0.0", "{out}");
    assert_eq!(out["version"], "1.3.0", "{out}");
    assert_eq!(
        out["hops"],
        serde_json::json!(["1.1.0", "1.2.2", "1.3.0"]),
        "{out}"
    );
    assert!(world.cluster().installed_versions().is_empty());
}
