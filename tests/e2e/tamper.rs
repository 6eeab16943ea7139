//! The real binary against chosen damage to a real 1.0.0 -> 1.3.0 bundle:
//! gzip header bytes of the first and last member, the inside of the last
//! member, its trailer, bytes appended after it, and what may follow the
//! tar end-of-archive marker. Every case exits 1 naming what is wrong; the
//! file's SHA-256 that `verify --json` prints is the one `sha256sum` sees.

use super::util::*;

const BUNDLE: &str = "b.tar.gz";
/// The gzip member header ferry writes (no name, no time, OS 255).
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];

/// A world holding a freshly built bundle, and the bundle's bytes.
fn built() -> (World, Vec<u8>) {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let bytes = std::fs::read(world.path(BUNDLE)).unwrap();
    (world, bytes)
}

/// Where each gzip member starts: every place ferry's header occurs.
fn member_starts(bytes: &[u8]) -> Vec<usize> {
    let starts: Vec<usize> = bytes
        .windows(HEADER.len())
        .enumerate()
        .filter(|(_, window)| *window == HEADER)
        .map(|(at, _)| at)
        .collect();
    assert_eq!(starts.first(), Some(&0), "the file starts with a member");
    assert!(starts.len() > 1, "a bundle has several members");
    starts
}

/// Writes `bytes` as `name`, verifies it with the real binary, expects
/// exit 1 and returns the error text.
fn refused(world: &World, name: &str, bytes: &[u8]) -> String {
    std::fs::write(world.path(name), bytes).unwrap();
    let out = world.run(&["verify", name, "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    stderr(&out)
}

#[test]
fn a_changed_gzip_header_byte_is_refused_naming_its_offset() {
    let (world, good) = built();
    let starts = member_starts(&good);
    let last = *starts.last().unwrap();
    for member in [0, last] {
        // MTIME (4-7), XFL (8) and OS (9): bytes no inflater looks at.
        for offset in member + 4..member + 10 {
            let mut bad = good.clone();
            bad[offset] ^= 0x01;
            let err = refused(&world, "header.tar.gz", &bad);
            assert!(
                err.contains(&format!("byte {offset} of the bundle")),
                "offset {offset}: {err}"
            );
        }
    }
}

#[test]
fn damage_inside_or_after_the_last_member_is_refused() {
    let (world, good) = built();
    let last = *member_starts(&good).last().unwrap();
    let len = good.len();

    let mut inside = good.clone();
    inside[last + HEADER.len() + (len - 8 - last - HEADER.len()) / 2] ^= 0x10;
    let err = refused(&world, "inside.tar.gz", &inside);
    assert!(
        err.contains("re-download") || err.contains("do not use"),
        "{err}"
    );

    for (offset, field) in [(len - 8, "CRC32"), (len - 4, "ISIZE")] {
        let mut bad = good.clone();
        bad[offset] ^= 0x01;
        let err = refused(&world, "trailer.tar.gz", &bad);
        assert!(
            err.contains(&format!("{field} at offset {offset}")),
            "{field}: {err}"
        );
    }

    for garbage in [&b"x"[..], &[0u8; 512][..]] {
        let err = refused(&world, "appended.tar.gz", &[&good[..], garbage].concat());
        assert!(err.contains(&format!("offset {len}")), "{garbage:?}: {err}");
    }
    // A member header with nothing after it: a member cut short.
    let err = refused(
        &world,
        "appended.tar.gz",
        &[&good[..], &HEADER[..]].concat(),
    );
    assert!(err.contains("truncated"), "{err}");
}

#[test]
fn only_zero_blocks_may_follow_the_end_of_archive() {
    let (world, good) = built();
    // A further member in ferry's own header holding zero blocks: padding.
    gzip_like_ferry(world.dir.path(), "head -c 10240 /dev/zero", "zeros.gz");
    let zeros = std::fs::read(world.path("zeros.gz")).unwrap();
    std::fs::write(
        world.path("padded.tar.gz"),
        [&good[..], &zeros[..]].concat(),
    )
    .unwrap();
    assert_success(&world.run(&["verify", "padded.tar.gz", "--pub", "ops.pub"]));

    // The same member holding a second archive: refused, though tar -i reads it.
    std::fs::write(world.path("evil.yaml"), "kind: Evil\n").unwrap();
    gzip_like_ferry(world.dir.path(), "tar cf - evil.yaml", "evil.gz");
    let evil = std::fs::read(world.path("evil.gz")).unwrap();
    let bad = [&good[..], &evil[..]].concat();
    let err = refused(&world, "evil.tar.gz", &bad);
    assert!(err.contains("after the end of its tar archive"), "{err}");
    let listed = tool(world.dir.path(), "tar", &["-tizf", "evil.tar.gz"]);
    assert!(listed.contains("evil.yaml"), "{listed}");
}

#[test]
fn verify_prints_the_sha256_that_sha256sum_sees() {
    let (world, _) = built();
    let verified = json(&world.run(&["verify", BUNDLE, "--pub", "ops.pub", "--json"]));
    let summed = tool(world.dir.path(), "sha256sum", &[BUNDLE]);
    let summed = summed.split_whitespace().next().unwrap();
    assert_eq!(verified["sha256"], summed, "{verified}");
    let shown = stdout(&world.run(&["inspect", BUNDLE]));
    assert!(shown.contains(&format!("sha256 {summed}")), "{shown}");
}
