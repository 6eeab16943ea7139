//! The command line itself: help that teaches, exit codes, the demo.

use super::util::*;

#[test]
fn help_teaches_with_examples() {
    let world = World::new();
    let out = world.run(&["--help"]);
    assert_success(&out);
    for expected in ["bundle", "verify", "ferry demo", "GITHUB_TOKEN"] {
        assert!(
            stdout(&out).contains(expected),
            "{expected}:\n{}",
            stdout(&out)
        );
    }
    let out = world.run(&["bundle", "--help"]);
    assert!(stdout(&out).contains("--jobs") && stdout(&out).contains("Example"));
}

#[test]
fn usage_errors_exit_2() {
    let world = World::new();
    assert_exit(&world.run(&["frobnicate"]), 2);
    assert_exit(&world.run(&["plan", "--from", "1.0.0"]), 2);
    assert_exit(
        &world.run(&[
            "plan",
            "--from",
            "1.0.0",
            "--to",
            "1.1.0",
            "--variant",
            "mini",
        ]),
        2,
    );
    let out = world.run(&[
        "--profile",
        "nosuch",
        "plan",
        "--from",
        "1.0.0",
        "--to",
        "1.1.0",
    ]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("built-in profiles are kyma"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn demo_runs_the_connected_side_end_to_end() {
    let world = World::new();
    let out = world.run(&["demo", "--keep", "demo"]);
    assert_success(&out);
    let text = stdout(&out);
    for expected in [
        "$ ferry keygen",
        "bundle --from 1.0.0 --to 1.3.0",
        "--images --registry-mirror",
        "OK:",
        "$ ferry images",
        "$ ferry push",
        "pushed 10 images to 127.0.0.1:",
        "==> hops/1.2.2/guides/1.1-1.2.md",
        "has all 10 images",
        "demo finished",
    ] {
        assert!(text.contains(expected), "{expected}:\n{text}");
    }
    // The last status: every workload image comes from the site registry.
    let site = text
        .lines()
        .find_map(|line| line.strip_prefix("the site's registry (simulated, empty) listens at "))
        .expect("the site registry's address");
    let last_status = &text[text.rfind("$ ferry status").unwrap()..];
    let images: Vec<&str> = last_status
        .lines()
        .skip_while(|line| *line != "images:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .collect();
    assert_eq!(
        images,
        [format!(
            "  {site}/kyma/kyma-project/kyma-installer:1.3.0  kyma-installer/kyma-installer"
        )],
        "{last_status}"
    );
    assert!(world.path("demo/kyma-1.0.0-1.3.0.ferry.tar.gz").exists());
    assert_success(&world.run(&[
        "verify",
        "demo/kyma-1.0.0-1.3.0.ferry.tar.gz",
        "--pub",
        "demo/ops.pub",
    ]));
}
