//! A bundle across media with a file-size limit: `ferry split` (or
//! `ferry bundle --split-size`) writes the parts and a signed index, the
//! stock tools (minisign, sha256sum, cat) reassemble them by hand, `ferry
//! join` checks every part before the joined file appears, and verify,
//! inspect, guide, push and apply read the parts in place; each names any
//! part that is missing, cut short, out of order or from another bundle.

use super::images::{push, ImageWorld};
use super::registry::Registry;
use super::util::*;
use std::path::Path;

const BUNDLE: &str = "b.tar.gz";

/// A world with a bundle split into parts of 4 KiB; returns the part count.
fn split_world() -> (World, usize) {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let out = world.run(&[
        "split", BUNDLE, "--size", "4K", "--key", "ops.key", "--json",
    ]);
    let index = json(&out);
    let count = index["parts"].as_array().unwrap().len();
    assert!(count >= 3, "{index}");
    assert_eq!(index["parts"][0]["size"], 4096);
    (world, count)
}

/// Copies the parts, index and signature into `dir` (the other side).
fn carry(world: &World, dir: &str, count: usize) {
    std::fs::create_dir(world.path(dir)).unwrap();
    let mut names: Vec<String> = (1..=count)
        .map(|n| format!("{BUNDLE}.part-{n:04}"))
        .collect();
    names.push(format!("{BUNDLE}.parts"));
    names.push(format!("{BUNDLE}.parts.minisig"));
    for name in names {
        std::fs::copy(world.path(&name), world.path(&format!("{dir}/{name}"))).unwrap();
    }
}

/// `ferry join` and `ferry verify` of `DIR/b.tar.gz.parts`, which must
/// both fail naming `needle`, writing nothing.
fn join_refused(world: &World, dir: &str, needle: &str) {
    let index = format!("{dir}/{BUNDLE}.parts");
    for command in ["join", "verify"] {
        let out = world.run(&[command, &index, "--pub", "ops.pub"]);
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains(needle), "{command} {needle}: {err}");
    }
    assert!(
        !world.path(&format!("{dir}/{BUNDLE}")).exists(),
        "no output"
    );
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[test]
fn split_parts_join_with_ferry_and_by_hand() {
    let (world, count) = split_world();
    carry(&world, "site", count);
    let out = world.run(&["join", &format!("site/{BUNDLE}.parts"), "--pub", "ops.pub"]);
    assert_success(&out);
    assert!(
        stdout(&out).contains(&format!("{count} parts checked")),
        "{}",
        stdout(&out)
    );
    assert!(same_bytes(
        &world.path(BUNDLE),
        &world.path(&format!("site/{BUNDLE}"))
    ));
    assert_success(&world.run(&["verify", &format!("site/{BUNDLE}"), "--pub", "ops.pub"]));

    // By hand, with the stock tools only.
    carry(&world, "hand", count);
    let dir = world.path("hand");
    let checked = tool(
        &dir,
        "minisign",
        &["-Vm", &format!("{BUNDLE}.parts"), "-p", "../ops.pub"],
    );
    assert!(checked.contains("ferry parts b.tar.gz"), "{checked}");
    let parts_ok = tool(
        &dir,
        "sha256sum",
        &["-c", "--ignore-missing", &format!("{BUNDLE}.parts")],
    );
    assert_eq!(parts_ok.matches(": OK").count(), count, "{parts_ok}");
    tool(
        &dir,
        "sh",
        &["-c", &format!("cat {BUNDLE}.part-* > {BUNDLE}")],
    );
    let all_ok = tool(&dir, "sha256sum", &["-c", &format!("{BUNDLE}.parts")]);
    assert!(all_ok.contains(&format!("{BUNDLE}: OK")), "{all_ok}");
    assert!(same_bytes(&world.path(BUNDLE), &dir.join(BUNDLE)));
}

#[test]
fn a_missing_short_reordered_or_foreign_part_is_named() {
    let (world, count) = split_world();
    let part = |dir: &str, n: usize| world.path(&format!("{dir}/{BUNDLE}.part-{n:04}"));

    carry(&world, "missing", count);
    std::fs::remove_file(part("missing", 2)).unwrap();
    join_refused(&world, "missing", &format!("part 2 of {count}"));

    carry(&world, "short", count);
    let data = std::fs::read(part("short", 2)).unwrap();
    std::fs::write(part("short", 2), &data[..1000]).unwrap();
    join_refused(&world, "short", "is 1000 bytes where the index says 4096");

    carry(&world, "swapped", count);
    std::fs::rename(part("swapped", 1), world.path("tmp-part")).unwrap();
    std::fs::rename(part("swapped", 2), part("swapped", 1)).unwrap();
    std::fs::rename(world.path("tmp-part"), part("swapped", 2)).unwrap();
    join_refused(&world, "swapped", &format!("part 1 of {count}"));
    join_refused(&world, "swapped", "holds part 2's bytes");

    // A part of another bundle split the same way.
    carry(&world, "foreign", count);
    assert_success(&world.bundle("1.0.0", "1.2.0", "other.tar.gz", &[]));
    assert_success(&world.run(&["split", "other.tar.gz", "--size", "4K", "--key", "ops.key"]));
    std::fs::copy(world.path("other.tar.gz.part-0001"), part("foreign", 1)).unwrap();
    join_refused(&world, "foreign", "from another bundle");
}

#[test]
fn an_index_not_signed_by_a_trusted_key_joins_nothing() {
    let (world, count) = split_world();
    carry(&world, "forged", count);
    let index = world.path(&format!("forged/{BUNDLE}.parts"));
    let text = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, text.replacen('0', "1", 1)).unwrap();
    join_refused(&world, "forged", "not signed by a trusted key");

    // Split refuses to overwrite parts unless --force, and a size of zero.
    let out = world.run(&["split", BUNDLE, "--size", "4K", "--key", "ops.key"]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
    assert_success(&world.run(&[
        "split", BUNDLE, "--size", "4K", "--key", "ops.key", "--force",
    ]));
    let out = world.run(&["split", BUNDLE, "--size", "0", "--key", "ops.key"]);
    assert_exit(&out, 2);
}

#[test]
fn verify_inspect_and_guide_read_the_parts_in_place_under_any_of_their_names() {
    let (world, count) = split_world();
    carry(&world, "site", count);
    let whole = json(&world.run(&["verify", BUNDLE, "--pub", "ops.pub", "--json"]));
    assert_eq!(whole["parts"], serde_json::Value::Null, "{whole}");
    // The index, a part, or the bundle's own name when only its parts are there.
    for name in [
        format!("site/{BUNDLE}.parts"),
        format!("site/{BUNDLE}.part-0001"),
        format!("site/{BUNDLE}.part-0002"),
        format!("site/{BUNDLE}"),
    ] {
        let out = world.run(&["verify", &name, "--pub", "ops.pub", "--json"]);
        let verified = json(&out);
        assert_eq!(verified["parts"], count, "{name}: {verified}");
        assert_eq!(verified["sha256"], whole["sha256"], "{name}");
        assert_eq!(verified["payload_bytes"], whole["payload_bytes"], "{name}");
    }
    let out = world.run(&[
        "verify",
        &format!("site/{BUNDLE}.parts"),
        "--pub",
        "ops.pub",
    ]);
    assert!(
        stdout(&out).contains(&format!("({count} parts read in place)")),
        "{}",
        stdout(&out)
    );
    let inspected = json(&world.run(&[
        "inspect",
        &format!("site/{BUNDLE}.parts"),
        "--pub",
        "ops.pub",
        "--json",
    ]));
    assert_eq!(inspected["sha256"], whole["sha256"], "{inspected}");
    assert_eq!(inspected["signature"]["verified"], true, "{inspected}");
    let unchecked = json(&world.run(&["inspect", &format!("site/{BUNDLE}.parts"), "--json"]));
    assert_eq!(unchecked["signature"]["verified"], false, "{unchecked}");
    let guide = world.run(&[
        "guide",
        &format!("site/{BUNDLE}.parts"),
        "1.1.0",
        "--pub",
        "ops.pub",
    ]);
    assert_success(&guide);
    assert!(!stdout(&guide).is_empty());
    assert!(
        !world.path(&format!("site/{BUNDLE}")).exists(),
        "nothing is joined on disk"
    );

    // The parts of a bundle written with --split-size read the same way.
    let out = world.bundle("1.0.0", "1.3.0", "direct.tar.gz", &["--split-size", "4K"]);
    assert_success(&out);
    assert!(
        !world.path("direct.tar.gz").exists(),
        "only the parts remain"
    );
    for n in 1..=count {
        assert!(
            same_bytes(
                &world.path(&format!("{BUNDLE}.part-{n:04}")),
                &world.path(&format!("direct.tar.gz.part-{n:04}"))
            ),
            "part {n} is the same bytes"
        );
    }
    let direct = json(&world.run(&[
        "verify",
        "direct.tar.gz.parts",
        "--pub",
        "ops.pub",
        "--json",
    ]));
    assert_eq!(direct["sha256"], whole["sha256"], "{direct}");
}

#[test]
fn push_and_apply_read_the_parts_in_place_and_a_foreign_part_changes_nothing() {
    let iw = ImageWorld::with_cluster();
    assert_success(&iw.bundle("b.tar.gz", &[]));
    let world = &iw.world;
    assert_success(&world.run(&["split", "b.tar.gz", "--size", "256K", "--key", "ops.key"]));
    std::fs::remove_file(world.path("b.tar.gz")).unwrap();
    let site = Registry::start(&world.path("site"), None);

    // A part of another bundle: push and apply refuse, naming it, before any change.
    std::fs::copy(world.path("b.tar.gz.part-0002"), world.path("good-part")).unwrap();
    std::fs::write(world.path("b.tar.gz.part-0002"), vec![7u8; 256 * 1024]).unwrap();
    let out = push(world, "b.tar.gz.parts", &site, &[]);
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("part 2 of"), "{}", stderr(&out));
    let apply = || world.run(&unattended_apply("b.tar.gz.parts", &[]));
    let out = apply();
    assert_exit(&out, 1);
    assert!(stderr(&out).contains("part 2 of"), "{}", stderr(&out));
    assert!(world.cluster().installed_versions().is_empty());

    std::fs::rename(world.path("good-part"), world.path("b.tar.gz.part-0002")).unwrap();
    let pushed = json(&push(world, "b.tar.gz.parts", &site, &["--json"]));
    assert!(pushed["uploaded"].as_u64().unwrap() > 0, "{pushed}");
    let out = apply();
    assert_success(&out);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(said.contains("parts read in place"), "{said}");
    assert_eq!(
        world.cluster().installed_versions(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
}
