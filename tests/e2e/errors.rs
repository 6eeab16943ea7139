//! Errors that say what went wrong and what to do, and help that shows only
//! what a command uses.

use super::util::*;
use ferry::sandbox::kube::ClusterConfig;

#[test]
fn a_closed_port_is_one_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::new();
    let api = format!("http://127.0.0.1:{port}");
    let out = world.run(&[
        "plan",
        "--from",
        "1.0.0",
        "--to",
        "1.1.0",
        "--github-api",
        &api,
    ]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.lines().filter(|l| l.contains("retrying")).count() <= 1,
        "{err}"
    );
    assert!(!err.contains("client error (Connect)"), "{err}");
    assert!(
        err.contains("Connection refused") && err.contains("--github-api"),
        "{err}"
    );
}

#[test]
fn cluster_access_errors_say_what_to_fix() {
    let world = World::with_cluster(ClusterConfig::default());
    let text = std::fs::read_to_string(world.path("kubeconfig")).unwrap();
    std::fs::write(
        world.path("forged"),
        text.replace(world.cluster().token(), "not-the-token"),
    )
    .unwrap();
    let out = world.run(&["status", "--kubeconfig", "forged"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("401") && err.contains("credentials"), "{err}");
    assert!(
        !err.contains("Status {") && !err.contains("cannot reach"),
        "{err}"
    );

    let out = world.run(&["status", "--context", "nope"]);
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("no context `nope`") && err.contains("sim"),
        "{err}"
    );
}

#[test]
fn bundle_paths_that_are_not_bundles_are_named() {
    let world = World::new();
    world.keygen();
    std::fs::create_dir(world.path("adir")).unwrap();
    let out = world.run(&["verify", "adir", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    let out = world.run(&["inspect", "absent.tar.gz"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("there is no bundle at"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nonsense_settings_are_refused_up_front() {
    let world = World::new();
    world.keygen();
    let out = world.run(&["apply", "b.tar.gz", "--pub", "ops.pub", "--timeout", "0s"]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("longer than 0s"), "{}", stderr(&out));

    let out = world
        .ferry()
        .args(["keygen", "--output", "empty"])
        .env("FERRY_KEY_PASSWORD", "")
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("--unencrypted"), "{}", stderr(&out));
    assert!(!world.path("empty.key").exists() && !world.path("empty.pub").exists());
}

#[test]
fn help_shows_only_the_flags_a_command_uses() {
    let world = World::new();
    for command in ["verify", "guide", "keygen", "status", "apply", "inspect"] {
        let help = stdout(&world.run(&[command, "--help"]));
        assert!(!help.contains("--github-api"), "{command}:\n{help}");
    }
    for command in ["plan", "bundle", "mirror"] {
        let help = stdout(&world.run(&[command, "--help"]));
        assert!(help.contains("--github-api"), "{command}:\n{help}");
    }
    let demo = stdout(&world.run(&["demo", "--help"]));
    assert!(
        demo.contains("cluster") && demo.contains("air gap"),
        "{demo}"
    );
}
