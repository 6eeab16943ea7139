//! A profile whose `release_branch` or `guide_dir` names nothing fails
//! `plan` and `bundle` (from GitHub and from an archive) instead of silently
//! dropping every migration guide; the real Kyma ranges plan as before.

use super::util::*;

const KYMA: &str = include_str!("../../bundles/kyma.toml");

/// Writes a copy of the Kyma profile with `from` replaced by `to`.
fn profile_with(world: &World, name: &str, from: &str, to: &str) -> String {
    assert!(KYMA.contains(from), "{from}");
    std::fs::write(world.path(name), KYMA.replace(from, to)).unwrap();
    world.path(name).display().to_string()
}

/// Copies of the Kyma profile with a mistyped `release_branch` and `guide_dir`.
fn mistyped_profiles(world: &World) -> (String, String) {
    let branch = profile_with(
        world,
        "branch.toml",
        r#"release_branch = "release-{major}.{minor}""#,
        r#"release_branch = "releases-{major}.{minor}""#,
    );
    let dir = profile_with(
        world,
        "dir.toml",
        r#"guide_dir = "docs/migration-guides""#,
        r#"guide_dir = "docs/migration-guide""#,
    );
    (branch, dir)
}

/// Runs `args` with `--profile profile` and expects exit 1 with all of `words`.
fn assert_fails_naming(world: &World, profile: &str, args: &[&str], words: &[&str]) {
    let mut all = vec!["--profile", profile];
    all.extend_from_slice(args);
    let out = world.run(&all);
    assert_exit(&out, 1);
    let message = stderr(&out);
    for word in words {
        assert!(
            message.contains(word),
            "{args:?}: {word} missing from {message}"
        );
    }
}

#[test]
fn a_mistyped_release_branch_or_guide_dir_fails_plan_and_bundle() {
    let world = World::new();
    world.keygen();
    let (branch, dir) = mistyped_profiles(&world);
    let bundle = [
        "bundle", "--from", "1.0.0", "--to", "1.3.0", "--key", "ops.key", "--output", "b.tar.gz",
    ];
    for args in [&["plan", "--from", "1.0.0", "--to", "1.3.0"][..], &bundle] {
        assert_fails_naming(&world, &branch, args, &["releases-1.1", "`release_branch`"]);
        assert_fails_naming(
            &world,
            &dir,
            args,
            &["docs/migration-guide ", "`guide_dir`"],
        );
    }
    assert!(!world.path("b.tar.gz").exists());
}

#[test]
fn real_ranges_with_guideless_branches_still_plan() {
    let world = World::new();
    // release-1.1, 1.22 and 1.24 have no guide folder; the folder is found elsewhere.
    for (from, to, guides) in [
        ("1.0.0", "1.1.0", 0),
        ("1.22.0", "1.22.1", 0),
        ("1.24.0", "1.24.11", 0),
        ("1.0.0", "1.24.11", 17),
    ] {
        let plan = json(&world.run(&["plan", "--from", from, "--to", to, "--json"]));
        let found: usize = plan["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|hop| hop["guides"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(found, guides, "{from} -> {to}: {plan}");
    }
}

#[test]
fn bundling_from_an_archive_checks_the_profile_the_same_way() {
    let world = World::new();
    world.keygen();
    assert_success(&world.run(&[
        "mirror",
        "--dest",
        "archive",
        "--since",
        "1.0.0",
        "--assets",
        "kyma-*-cluster.yaml",
    ]));
    let (branch, dir) = mistyped_profiles(&world);
    let args = [
        "bundle",
        "--source",
        "archive",
        "--from",
        "1.0.0",
        "--to",
        "1.3.0",
        "--variant",
        "cluster",
        "--key",
        "ops.key",
        "--output",
        "b.tar.gz",
    ];
    assert_fails_naming(
        &world,
        &branch,
        &args,
        &["releases-1.1", "`release_branch`"],
    );
    assert_fails_naming(
        &world,
        &dir,
        &args,
        &["docs/migration-guide ", "`guide_dir`"],
    );
    assert!(!world.path("b.tar.gz").exists());
    let kyma = world.path("kyma.toml");
    std::fs::write(&kyma, KYMA).unwrap();
    let mut all = vec!["--profile", kyma.to_str().unwrap()];
    all.extend_from_slice(&args);
    assert_success(&world.run(&all));
}
