//! The real tools agree: GNU tar lists and unpacks bundles, `sha256sum -c`
//! passes inside them, Debian's minisign verifies ferry's signatures, and
//! keys and signatures made by minisign work in ferry.

use super::fixtures::{Fixture, LONG_PATH};
use crate::bundle::manifest::{MANIFEST_NAME, SIGNATURE_NAME, SUMS_NAME, SUMS_SIGNATURE_NAME};
use crate::bundle::sign::{load_public_key, load_secret_key, secret_key_is_encrypted, verify};
use crate::bundle::{verify_bundle, write_bundle, WriteOptions};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn gnu_tar_lists_bundle_in_order() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let out = run(fx.dir.path(), "tar", &["tzf", bundle.to_str().unwrap()]);
    let listed: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let mut payload: Vec<String> = fx.files.iter().map(|(p, _)| p.clone()).collect();
    payload.sort();
    let mut expected = vec![
        MANIFEST_NAME.to_string(),
        SIGNATURE_NAME.into(),
        SUMS_NAME.into(),
        SUMS_SIGNATURE_NAME.into(),
    ];
    expected.extend(payload);
    assert_eq!(listed, expected);
    assert!(listed.iter().any(|p| p == LONG_PATH));
}

#[test]
fn unpacked_bundle_passes_sha256sum_and_minisign() {
    let fx = Fixture::new();
    let bundle = fx.write("b.tar.gz");
    let x = fx.path("x");
    std::fs::create_dir(&x).unwrap();
    run(&x, "tar", &["xzf", bundle.to_str().unwrap()]);
    let sums = run(&x, "sha256sum", &["-c", "--strict", SUMS_NAME]);
    let report = String::from_utf8(sums.stdout).unwrap();
    assert_eq!(report.lines().count(), fx.files.len());
    assert!(report.lines().all(|l| l.ends_with(": OK")), "{report}");
    let pubkey = fx.public_path.to_str().unwrap();
    let out = run(&x, "minisign", &["-Vm", MANIFEST_NAME, "-p", pubkey]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("Trusted comment: ferry bundle kyma 1.0.0 -> 1.1.0 (all)"),
        "{text}"
    );
    // And minisign notices tampering.
    let mut json = std::fs::read(x.join(MANIFEST_NAME)).unwrap();
    json[10] ^= 1;
    std::fs::write(x.join(MANIFEST_NAME), json).unwrap();
    let status = Command::new("minisign")
        .args(["-Vm", MANIFEST_NAME, "-p", pubkey])
        .current_dir(&x)
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .status;
    assert!(!status.success());
}

#[test]
fn minisign_made_unencrypted_key_signs_bundles() {
    let fx = Fixture::new();
    let keys = fx.path("mk");
    std::fs::create_dir(&keys).unwrap();
    run(
        &keys,
        "minisign",
        &["-G", "-W", "-p", "k.pub", "-s", "k.key"],
    );
    let secret_path = keys.join("k.key");
    assert!(!secret_key_is_encrypted(&secret_path).unwrap());
    let secret = load_secret_key(&secret_path, None).unwrap();
    let public = load_public_key(&keys.join("k.pub")).unwrap();
    assert_eq!(secret.key_id(), public.key_id());
    let bundle = fx.path("mk.tar.gz");
    write_bundle(
        &fx.manifest,
        &fx.payload,
        &secret,
        &bundle,
        WriteOptions::default(),
    )
    .unwrap();
    let verified = verify_bundle(&bundle, &public).unwrap();
    assert_eq!(verified.signer.key_id, public.key_id());
}

#[test]
fn minisign_signatures_verify_in_ferry() {
    let fx = Fixture::new();
    let keys = fx.path("mk");
    std::fs::create_dir(&keys).unwrap();
    run(
        &keys,
        "minisign",
        &["-G", "-W", "-p", "k.pub", "-s", "k.key"],
    );
    std::fs::write(keys.join("data"), b"payload bytes\n").unwrap();
    run(
        &keys,
        "minisign",
        &["-S", "-s", "k.key", "-m", "data", "-t", "made by minisign"],
    );
    let signature = std::fs::read_to_string(keys.join("data.minisig")).unwrap();
    let public = load_public_key(&keys.join("k.pub")).unwrap();
    let info = verify(&public, b"payload bytes\n", &signature).unwrap();
    assert_eq!(info.trusted_comment, "made by minisign");
    assert_eq!(info.key_id, public.key_id());
    // The key id is the one minisign prints in its public key comment.
    let pub_text = std::fs::read_to_string(keys.join("k.pub")).unwrap();
    assert!(
        pub_text.lines().next().unwrap().ends_with(&info.key_id),
        "{pub_text}"
    );
}
