//! `ferry bundle --output`: an existing file, a directory or the signing key
//! itself is refused before anything is downloaded; `--force` replaces a file.

use super::util::*;

const BUNDLE: &str = "kyma-1.0.0-1.3.0.ferry.tar.gz";

/// ferry asked the simulator nothing (not even the release list).
fn assert_no_requests(world: &World) {
    let requests = world.sim.requests();
    assert!(requests.is_empty(), "requests were made: {requests:?}");
}

#[test]
fn the_signing_key_is_never_the_output_even_with_force() {
    let world = World::new();
    let (key, _) = world.keygen();
    let secret = std::fs::read(&key).unwrap();
    std::fs::hard_link(&key, world.path("same-key")).unwrap();
    std::os::unix::fs::symlink(&key, world.path("key-link")).unwrap();

    for (output, extra) in [
        ("ops.key", &[][..]),
        ("ops.key", &["--force"][..]),
        ("./ops.key", &["--force"][..]),
        ("same-key", &["--force"][..]),
        ("key-link", &["--force"][..]),
    ] {
        let out = world.bundle("1.0.0", "1.3.0", output, extra);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("is the signing key"),
            "{output} {extra:?}: {}",
            stderr(&out)
        );
        assert!(!stdout(&out).contains("wrote"), "{}", stdout(&out));
    }
    assert_eq!(std::fs::read(&key).unwrap(), secret);
    assert_no_requests(&world);
}

#[test]
fn an_existing_output_is_refused_unless_forced() {
    let world = World::new();
    world.keygen();
    std::fs::write(world.path(BUNDLE), "an older bundle").unwrap();

    let out = world.bundle("1.0.0", "1.3.0", BUNDLE, &[]);
    assert_exit(&out, 2);
    let message = stderr(&out);
    assert!(
        message.contains("already exists") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(world.path(BUNDLE)).unwrap(),
        "an older bundle"
    );
    assert_no_requests(&world);

    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &["--force"]));
    assert_success(&world.run(&["verify", BUNDLE, "--pub", "ops.pub"]));
    let leftovers: Vec<_> = std::fs::read_dir(world.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".ferry-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_directory_as_output_fails_before_any_download() {
    let world = World::new();
    world.keygen();
    std::fs::create_dir(world.path("out")).unwrap();

    for output in ["out", "out/", "missing/"] {
        let out = world.bundle("1.0.0", "1.3.0", output, &["--force"]);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("is a directory") || stderr(&out).contains("does not exist"),
            "{output}: {}",
            stderr(&out)
        );
    }
    assert_no_requests(&world);
    assert_eq!(std::fs::read_dir(world.path("out")).unwrap().count(), 0);
}
