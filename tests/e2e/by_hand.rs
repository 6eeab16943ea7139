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
    gzip_like_ferry(
        world.dir.path(),
        &format!("gunzip -c {BUNDLE}; tar -cf - hops/1.1.0/evil.yaml"),
        "x.tar.gz",
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
    gzip_like_ferry(
        world.dir.path(),
        &format!("gunzip -c {BUNDLE}; head -c 9216 /dev/zero"),
        "padded.tar.gz",
    );
    assert_success(&world.run(&["verify", "padded.tar.gz", "--pub", "ops.pub"]));
}

/// The README's by-hand verification: its two lines (unpack and `cd`, then
/// the checks), read from README.md so the test and the text cannot drift.
fn readme_procedure() -> (String, String) {
    let readme = include_str!("../../README.md");
    let after = readme
        .split_once("By hand:\n\n```sh\n")
        .map(|(_, rest)| rest)
        .expect("README has a by-hand block");
    let block = after.split_once("```").map(|(b, _)| b).unwrap_or(after);
    let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 2, "{block}");
    (lines[0].to_string(), lines[1].to_string())
}

/// Runs `script` with `sh -c` in `dir`, returning success and stdout + stderr.
fn shell_outcome(dir: &std::path::Path, script: &str) -> (bool, String) {
    let out = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .unwrap();
    let text = stdout(&out) + &stderr(&out);
    (out.status.success(), text)
}

#[test]
fn the_readme_procedure_passes_on_a_good_bundle() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let (unpack, check) = readme_procedure();
    assert!(check.contains("minisign -Vm SHA256SUMS"), "{check}");
    let (ok, text) = shell_outcome(world.dir.path(), &format!("{unpack}\n{check}"));
    assert!(ok, "{text}");
    assert_eq!(
        text.matches("Signature and comment signature verified")
            .count(),
        2,
        "{text}"
    );
    assert!(
        text.contains("SHA256SUMS of manifest.json sha256"),
        "{text}"
    );
    let manifest_sha = shell(&world.path("b"), "sha256sum manifest.json");
    let manifest_sha = manifest_sha.split_whitespace().next().unwrap();
    assert!(text.contains(manifest_sha), "{text}");
    assert!(text.contains("hops/1.1.0/assets/kyma-installer-cluster.yaml: OK"));
    assert!(!text.contains("FAILED"), "{text}");
}

#[test]
fn the_readme_procedure_catches_a_payload_forged_with_new_checksums() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    let (unpack, check) = readme_procedure();
    // Replace a payload file and regenerate SHA256SUMS with sha256sum.
    let forge = "echo 'kind: Evil' > hops/1.1.0/assets/kyma-installer-cluster.yaml \
                 && files=$(cut -c67- SHA256SUMS) && sha256sum $files > SHA256SUMS \
                 && sha256sum -c --quiet SHA256SUMS";
    let script = format!("{unpack}\n{forge} && echo FORGED-SUMS-PASS\n{check}");
    let (ok, text) = shell_outcome(world.dir.path(), &script);
    assert!(!ok, "the forgery passed:\n{text}");
    assert!(text.contains("FORGED-SUMS-PASS"), "{text}");
    // The manifest still verifies; the checksum list's signature does not.
    assert_eq!(
        text.matches("Signature and comment signature verified")
            .count(),
        1,
        "{text}"
    );
    assert!(text.contains("Signature verification failed"), "{text}");
    assert!(!text.contains(": OK"), "sha256sum ran:\n{text}");
}

#[test]
fn a_bundle_without_the_checksum_signature_is_refused_as_old() {
    let world = World::new();
    assert_success(&world.bundle("1.0.0", "1.3.0", BUNDLE, &[]));
    shell(
        world.dir.path(),
        &format!("mkdir old && tar xzf {BUNDLE} -C old"),
    );
    gzip_like_ferry(
        &world.path("old"),
        "tar cf - manifest.json manifest.json.minisig SHA256SUMS base hops",
        "../old.tar.gz",
    );
    let out = world.run(&["verify", "old.tar.gz", "--pub", "ops.pub"]);
    assert_exit(&out, 1);
    let message = stderr(&out);
    assert!(
        message.contains("no SHA256SUMS.minisig") && message.contains("rebuild it"),
        "{message}"
    );
}
