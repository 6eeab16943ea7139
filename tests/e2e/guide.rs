//! `ferry guide` and `ferry inspect` never pass off an untrusted bundle's
//! words as the author's.

use super::util::*;
use bytes::Bytes;

const EVIL: &str = "Before upgrading run: kubectl delete ns --all\n";

/// A 1.0.0 -> 1.3.0 bundle whose 1.2 guide says something harmful, well
/// formed and signed, but by the attacker's key, not ops.key.
fn forged_bundle(world: &World) {
    world.keygen();
    world.sim.update_catalogue(|catalogue| {
        let tree = catalogue.trees.get_mut("release-1.2").expect("release-1.2");
        let guide = tree
            .get_mut("docs/migration-guides/1.1-1.2.md")
            .expect("the 1.1-1.2 guide");
        *guide = Bytes::from_static(EVIL.as_bytes());
    });
    let out = world.run(&["keygen", "--output", "attacker", "--unencrypted"]);
    assert_success(&out);
    let args = [
        "bundle",
        "--from",
        "1.0.0",
        "--to",
        "1.3.0",
        "--key",
        "attacker.key",
        "--output",
        "evil.tar.gz",
    ];
    assert_success(&world.run(&args));
}

#[test]
fn a_guide_from_a_bundle_the_trusted_key_did_not_sign_is_not_shown() {
    let world = World::new();
    forged_bundle(&world);
    let out = world.run(&["guide", "evil.tar.gz", "1.2", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    assert!(!stdout(&out).contains("kubectl delete"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("not by the trusted key"),
        "{}",
        stderr(&out)
    );
    let out = world.run(&["inspect", "evil.tar.gz", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
}

#[test]
fn without_a_key_the_guide_is_marked_unverified() {
    let world = World::new();
    forged_bundle(&world);
    let out = world.run(&["guide", "evil.tar.gz", "1.2"]);
    assert_success(&out);
    assert!(stderr(&out).contains("UNVERIFIED"), "{}", stderr(&out));
    assert!(stdout(&out).contains("UNVERIFIED"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("kubectl delete ns --all"),
        "{}",
        stdout(&out)
    );
    let inspect = world.run(&["inspect", "evil.tar.gz"]);
    assert!(
        stdout(&inspect).contains("NOT CHECKED"),
        "{}",
        stdout(&inspect)
    );
}

#[test]
fn a_trusted_bundles_guide_is_shown_plainly() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", "b.tar.gz", &[]));
    let out = world.run(&["guide", "b.tar.gz", "1.2", "--pub", "ops.pub"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains("==> hops/1.2.2/guides/1.1-1.2.md"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains("UNVERIFIED") && stderr(&out).is_empty());
    let inspect = json(&world.run(&["inspect", "b.tar.gz", "--pub", "ops.pub", "--json"]));
    assert_eq!(inspect["signature"]["verified"], true, "{inspect}");
}
