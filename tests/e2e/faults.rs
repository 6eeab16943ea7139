//! Faults on the wire change nothing in the result.

use super::util::*;
use ferry::sandbox::github::Faults;

#[test]
fn a_bundle_built_through_every_fault_kind_is_byte_identical() {
    let world = World::new();
    assert_success(&world.bundle(
        "1.0.0",
        "1.3.0",
        "clean.tar.gz",
        &["--cache", "clean-cache"],
    ));

    world.sim.clear_requests();
    world.sim.set_faults(Faults::all());
    let out = world.bundle(
        "1.0.0",
        "1.3.0",
        "faulty.tar.gz",
        &["--cache", "faulty-cache"],
    );
    assert_success(&out);

    let clean = std::fs::read(world.path("clean.tar.gz")).unwrap();
    let faulty = std::fs::read(world.path("faulty.tar.gz")).unwrap();
    assert!(clean == faulty, "the bundle built through faults differs");

    let log = world.sim.requests();
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert!(statuses.contains(&502), "server errors were injected");
    assert!(
        statuses.contains(&429),
        "a secondary rate limit was injected"
    );
    assert!(statuses.contains(&403), "a primary rate limit was injected");
    assert!(
        log.iter().any(|r| r.range.is_some()),
        "a cut download was resumed with Range"
    );
    let text = stderr(&out);
    assert!(text.contains("rate limit"), "waits are reported: {text}");
    assert!(text.contains("retrying"), "retries are reported: {text}");
}
