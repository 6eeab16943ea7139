//! An interrupted `ferry bundle` leaves no temporary file behind, a later
//! run sweeps those of writers that died, and finished downloads leave no
//! lock files in the cache.

use super::util::*;
use ferry::sandbox::github::Catalogue;
use std::path::Path;
use std::process::{Command, Stdio};

const PROFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/synthetic.toml");

/// Names in `dir` that look like ferry's temporary output files.
fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".ferry-"))
        .collect()
}

/// Bundle arguments for the synthetic release set into `output`.
fn synthetic_bundle<'a>(to: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "--profile",
        PROFILE,
        "bundle",
        "--from",
        "1.0.0",
        "--to",
        to,
        "--key",
        "ops.key",
        "--output",
        output,
    ]
}

#[test]
fn sigint_while_packing_removes_the_temporary_bundle() {
    // 6 hops x 5 assets x 4 MiB: compressing it takes a while on a debug build.
    let world = World::with_catalogue(Catalogue::synthetic(6, 5, 4 << 20));
    world.keygen();
    std::fs::create_dir(world.path("out")).unwrap();

    // The first run downloads, then packs; the second finds the downloads
    // in the cache and goes straight to packing.
    for signal in ["INT", "TERM"] {
        let mut child = world
            .ferry()
            .args(synthetic_bundle("1.6.0", "out/b.tar.gz"))
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until packing has started: the temporary bundle exists.
        loop {
            if !temporaries(&world.path("out")).is_empty() {
                break;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("ferry ended ({status}) before it could be interrupted");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let kill = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = child.wait_with_output().unwrap();
        let expected = if signal == "INT" { 130 } else { 143 };
        assert_eq!(out.status.code(), Some(expected), "{}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        assert_eq!(temporaries(&world.path("out")), Vec::<String>::new());
        assert!(!world.path("out/b.tar.gz").exists());
    }
}

#[test]
fn a_later_run_sweeps_temporaries_of_dead_writers_and_no_locks_stay() {
    let world = World::with_catalogue(Catalogue::synthetic(2, 5, 10_000));
    world.keygen();
    // A pid that surely is gone: a child that has exited and been reaped.
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let dead = format!(".ferry-{}-Ab12Cd.partial", gone.id());
    let alive = format!(".ferry-{}-Ef34Gh.partial", std::process::id());
    std::fs::write(world.path(&dead), vec![0u8; 4096]).unwrap();
    std::fs::write(world.path(&alive), b"a writer that still runs").unwrap();

    assert_success(&world.run(&synthetic_bundle("1.2.0", "b.tar.gz")));
    assert_eq!(temporaries(world.dir.path()), vec![alive]);

    let locks: Vec<String> = std::fs::read_dir(world.path("cache/partial"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".lock"))
                .collect()
        })
        .unwrap_or_default();
    assert!(locks.is_empty(), "lock files left: {locks:?}");
}
