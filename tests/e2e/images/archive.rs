//! `ferry mirror --images` and `bundle --source DIR --images`: every
//! release's images kept in the archive's blob store, re-mirrored without
//! downloading anything, checked by `mirror verify`, and bundled with the
//! registry gone into the same bytes as an online bundle.

use super::ImageWorld;
use crate::e2e::util::*;
use ferry::sandbox::images::kyma_installer_image;

/// Every release the archive covers: the base of 1.0.0 -> 1.3.0 and all
/// releases up to 1.3.0 (patch releases included), each with its images.
const RELEASES: [&str; 6] = ["1.0.0", "1.1.0", "1.2.0", "1.2.1", "1.2.2", "1.3.0"];

fn mirror(iw: &ImageWorld, dest: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "mirror", "--dest", dest, "--since", "1.0.0", "--until", "1.3.0", "--json",
    ];
    args.extend(iw.flags.iter().map(String::as_str));
    args.extend_from_slice(extra);
    iw.world.run(&args)
}

fn index(world: &World, dest: &str, tag: &str) -> serde_json::Value {
    let path = world.path(dest).join(format!("releases/{tag}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn image_record<'a>(index: &'a serde_json::Value, reference: &str) -> &'a serde_json::Value {
    index["images"]
        .as_array()
        .and_then(|images| images.iter().find(|i| i["reference"] == reference))
        .unwrap_or_else(|| panic!("no image {reference} in {index}"))
}

#[test]
fn an_archive_keeps_each_releases_images_and_bundles_them_offline_byte_for_byte() {
    let iw = ImageWorld::around(World::new(), &RELEASES);
    let first = json(&mirror(&iw, "archive", &[]));
    let images = &first["images"];
    assert!(images["images"].as_u64().unwrap() >= 10, "{first}");
    let installer = kyma_installer_image("1.3.0");
    let added: Vec<&str> = images["added"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .collect();
    assert!(
        added.contains(&format!("1.3.0: image {installer}").as_str()),
        "{added:?}"
    );

    // The index names the digest and every blob, all present.
    let record = image_record(&index(&iw.world, "archive", "1.3.0"), &installer).clone();
    assert!(record["digest"].as_str().unwrap().starts_with("sha256:"));
    // Both variants' installer files name it.
    let reasons = record["reasons"].to_string();
    assert!(reasons.contains("kyma-installer-cluster.yaml"), "{reasons}");
    assert!(reasons.contains("kyma-installer-local.yaml"), "{reasons}");
    let blobs = record["blobs"].as_array().unwrap();
    assert!(blobs.len() >= 3, "manifest, config and layers: {record}");
    for blob in blobs {
        let path = iw
            .world
            .path("archive")
            .join(blob["blob"].as_str().unwrap());
        assert!(path.is_file(), "{}", path.display());
    }

    // A rerun finds every image already archived; a plain rerun keeps them.
    let again = json(&mirror(&iw, "archive", &[]));
    assert_eq!(again["images"]["added"], serde_json::json!([]), "{again}");
    let plain = iw.world.run(&[
        "mirror", "--dest", "archive", "--since", "1.0.0", "--until", "1.3.0",
    ]);
    assert_success(&plain);
    let kept = index(&iw.world, "archive", "1.3.0");
    assert_eq!(image_record(&kept, &installer), &record);

    // `mirror verify` re-hashes the image blobs too.
    let report = json(&iw.world.run(&["mirror", "verify", "archive", "--json"]));
    assert_eq!(report["ok"], true, "{report}");

    assert_success(&iw.bundle("online.tar.gz", &[]));
    // With the registry gone, the archive alone builds the same bundle.
    let ImageWorld {
        world,
        registry,
        flags,
        ..
    } = iw;
    drop(registry);
    let mut offline: Vec<&str> = vec!["--source", "archive"];
    offline.extend(flags.iter().map(String::as_str));
    let out = world.bundle("1.0.0", "1.3.0", "offline.tar.gz", &offline);
    assert_success(&out);
    let online = std::fs::read(world.path("online.tar.gz")).unwrap();
    let built = std::fs::read(world.path("offline.tar.gz")).unwrap();
    assert!(
        online == built,
        "the offline bundle differs from the online one"
    );
    assert_success(&world.run(&["verify", "offline.tar.gz", "--pub", "ops.pub"]));

    // A damaged image blob in the archive is found by `mirror verify`.
    let layer = blobs.last().unwrap()["blob"].as_str().unwrap();
    std::fs::write(world.path("archive").join(layer), b"not the layer").unwrap();
    let out = world.run(&["mirror", "verify", "archive", "--json"]);
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["ok"], false, "{report}");
    let problems = report["problems"].to_string();
    assert!(
        problems.contains(&format!("image {installer} blob")),
        "{problems}"
    );
}

#[test]
fn an_image_the_archive_lacks_is_named_with_what_to_run() {
    let iw = ImageWorld::around(World::new(), &RELEASES);
    let installer = kyma_installer_image("1.3.0");
    assert_success(&mirror(&iw, "archive", &["--skip-image", &installer]));
    let record = index(&iw.world, "archive", "1.3.0");
    assert!(
        !record["images"].to_string().contains(&installer),
        "a skipped image is not archived: {record}"
    );
    let out = iw.bundle("b.tar.gz", &["--source", "archive"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&installer), "{err}");
    assert!(err.contains("not in the archive"), "{err}");
    assert!(err.contains("ferry mirror --images"), "{err}");
    assert!(!iw.world.path("b.tar.gz").exists());
    // Skipped on the bundle too, it builds, and the hop marks it skipped.
    let out = iw.bundle(
        "b.tar.gz",
        &["--source", "archive", "--skip-image", &installer],
    );
    assert_success(&out);
}
