//! The stock-tool side of the bundle format, with the real gzip, tar,
//! sha256sum and minisign: the README's by-hand verification and archives
//! doctored with them.

use super::util::*;

const BUNDLE: &str = "kyma-1.0.0-1.3.0.ferry.tar.gz";

/// Runs `script` with `sh -c` in `dir`; panics with its output on failure.
fn shell(dir: &std::path::Path, script: &str) -> String {
    tool(dir, "sh", &["-c", script])
}

#[test]
fn verify_refuses_an_archive_appended_after_the_end_marker() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    std::fs::create_dir_all(world.path("hops/1.1.0")).unwrap();
    std::fs::write(world.path("hops/1.1.0/evil.yaml"), "kind: Evil\n").unwrap();
    shell(
        world.dir.path(),
        &format!("(gunzip -c {BUNDLE}; tar -cf - hops/1.1.0/evil.yaml) | gzip > x.tar.gz"),
    );
    // What the appended archive is for: `tar -i` reads past the end marker.
    let listed = tool(world.dir.path(), "tar", &["-tizf", "x.tar.gz"]);
    assert!(listed.contains("hops/1.1.0/evil.yaml"), "{listed}");

    for command in [&["verify"][..], &["apply", "--dry-run"][..]] {
        let mut args = command.to_vec();
        args.extend(["x.tar.gz", "--pub", "ops.pub"]);
        let out = world.run(&args);
        assert_exit(&out, 1);
        let message = stderr(&out);
        assert!(
            message.contains("after the end of its tar archive"),
            "{command:?}: {message}"
        );
    }
}

#[test]
fn zero_padding_after_the_end_marker_still_verifies() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    shell(
        world.dir.path(),
        &format!("(gunzip -c {BUNDLE}; head -c 9216 /dev/zero) | gzip > padded.tar.gz"),
    );
    assert_success(&world.run(&["verify", "padded.tar.gz", "--pub", "ops.pub"]));
}
