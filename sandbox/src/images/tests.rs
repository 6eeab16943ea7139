//! Unit tests of the generated images and their layout.

use super::build::layer_tar;
use super::*;
use ferry_formats::oci::layout::{blob_path, REF_NAME};
use ferry_formats::oci::{media, Digest, Platform};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

const VERSIONS: [&str; 3] = ["1.1.0", "1.2.2", "1.3.0"];

/// Every file of a layout, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn the_same_images_give_the_same_layout_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = write_layout(a.path(), &kyma_images(&VERSIONS)).unwrap();
    let second = write_layout(b.path(), &kyma_images(&VERSIONS)).unwrap();
    assert_eq!(first, second);
    assert_eq!(files(a.path()), files(b.path()));
    for (name, bytes) in files(a.path()) {
        if let Some(hex) = name.strip_prefix("blobs/sha256/") {
            assert_eq!(Digest::of(&bytes).hex(), hex, "{name}");
        }
    }
    let total: usize = files(a.path()).values().map(Vec::len).sum();
    assert!(total < 3_000_000, "the fixture set is small: {total} bytes");
}

#[test]
fn the_index_is_sorted_by_reference_and_names_every_image() {
    let dir = tempfile::tempdir().unwrap();
    let images = kyma_images(&VERSIONS);
    write_layout(dir.path(), &images).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    let names: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["annotations"][REF_NAME].as_str().unwrap().to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let mut expected: Vec<String> = VERSIONS.iter().map(|v| kyma_installer_image(v)).collect();
    expected.extend(VERSIONS.iter().flat_map(|v| kyma_chart_images(v)));
    expected.sort();
    expected.dedup();
    assert_eq!(names, expected);
    // helm-broker is shared by 1.1 and 1.2: 3 installers, 2 helm-brokers,
    // 3 application-connectors, grafana, busybox.
    assert_eq!(names.len(), 10);
}

#[test]
fn shared_layers_are_stored_once() {
    let images = kyma_images(&VERSIONS);
    let built: Vec<BuiltImage> = images.iter().map(|i| i.build().unwrap()).collect();
    let listed: usize = built.iter().map(|b| b.blobs.len()).sum();
    let dir = tempfile::tempdir().unwrap();
    write_layout(dir.path(), &images).unwrap();
    let stored = std::fs::read_dir(dir.path().join("blobs/sha256"))
        .unwrap()
        .count();
    let unique: std::collections::BTreeSet<&Digest> =
        built.iter().flat_map(|b| b.blobs.keys()).collect();
    assert_eq!(stored, unique.len());
    assert!(stored < listed, "{stored} stored of {listed}");

    let layers = |reference: &str| -> Vec<String> {
        let image = built.iter().find(|b| b.reference == reference).unwrap();
        let manifest: serde_json::Value =
            serde_json::from_slice(&image.blobs[&image.top.digest]).unwrap();
        let layers = manifest["layers"].as_array().unwrap();
        layers
            .iter()
            .map(|l| l["digest"].as_str().unwrap().to_string())
            .collect()
    };
    let (old, new) = (
        layers(&kyma_installer_image("1.1.0")),
        layers(&kyma_installer_image("1.3.0")),
    );
    assert_eq!(
        old[0], new[0],
        "the operator layer is shared by every version"
    );
    assert_ne!(old[1], new[1], "the charts differ");
    assert_eq!(
        layers(GRAFANA_IMAGE)[0],
        layers("eu.gcr.io/kyma-project/helm-broker:v1.1.0")[0]
    );
}

#[test]
fn the_busybox_index_has_two_platforms() {
    let image = kyma_images(&["1.1.0"])
        .into_iter()
        .find(|i| i.reference == BUSYBOX_IMAGE)
        .unwrap();
    assert_eq!(
        image.platforms(),
        [
            Platform::new("linux", "amd64"),
            Platform::new("linux", "arm64")
        ]
    );
    let built = image.build().unwrap();
    assert_eq!(built.top.media_type, media::OCI_INDEX);
    let index: serde_json::Value = serde_json::from_slice(&built.blobs[&built.top.digest]).unwrap();
    let arches: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["platform"]["architecture"].as_str().unwrap())
        .collect();
    assert_eq!(arches, ["amd64", "arm64"]);
}

#[test]
fn the_installer_layer_holds_the_charts_and_its_config_the_diff_ids() {
    let version = "1.3.0";
    let image = kyma_images(&[version])
        .into_iter()
        .find(|i| i.reference == kyma_installer_image(version))
        .unwrap();
    let built = image.build().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&built.blobs[&built.top.digest]).unwrap();
    let config_digest = Digest::parse(manifest["config"]["digest"].as_str().unwrap()).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&built.blobs[&config_digest]).unwrap();
    let charts = Digest::parse(manifest["layers"][1]["digest"].as_str().unwrap()).unwrap();
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&built.blobs[&charts][..])
        .read_to_end(&mut tar)
        .unwrap();
    assert_eq!(config["rootfs"]["diff_ids"][1], Digest::of(&tar).as_str());
    assert_eq!(config["os"], "linux");

    let mut archive = tar::Archive::new(&tar[..]);
    let mut found = BTreeMap::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header();
        assert_eq!((header.mtime().unwrap(), header.uid().unwrap()), (0, 0));
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut text = String::new();
        entry.read_to_string(&mut text).unwrap();
        found.insert(path, text);
    }
    let values = &found["kyma/injected/resources/helm-broker/values.yaml"];
    assert_eq!(
        values,
        "global:\n  containerRegistry:\n    path: eu.gcr.io/kyma-project\n  helm_broker:\n    dir: \"\"\n    name: helm-broker\n    version: \"v1.2.0\"\n"
    );
    assert!(
        found["kyma/injected/resources/application-connector/values.yaml"]
            .contains("dir: \"develop/\"")
    );
    assert!(found["kyma/injected/resources/monitoring/values.yaml"]
        .contains("image: \"docker.io/library/busybox:1.31\""));
    let paths: Vec<&String> = found.keys().collect();
    assert!(paths.contains(&&"kyma/injected/resources/".to_string()));
    assert_eq!(
        kyma_chart_images(version),
        [
            "docker.io/library/busybox:1.31",
            "eu.gcr.io/kyma-project/develop/application-connector:1.3.0",
            "eu.gcr.io/kyma-project/helm-broker:v1.2.0",
            "eu.gcr.io/kyma-project/tpi/grafana:7.0.6",
        ]
    );
}

#[test]
fn layer_tars_are_sorted_with_fixed_modes() {
    let layer = LayerSpec {
        files: vec![
            FileSpec::new("b/z.txt", "z"),
            FileSpec::executable("a/run", "#!"),
        ],
    };
    let tar = layer_tar(&layer).unwrap();
    assert_eq!(tar, layer_tar(&layer).unwrap());
    let mut archive = tar::Archive::new(&tar[..]);
    let entries: Vec<(String, u32)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                e.header().mode().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            ("a/".to_string(), 0o755),
            ("a/run".to_string(), 0o755),
            ("b/".to_string(), 0o755),
            ("b/z.txt".to_string(), 0o644),
        ]
    );
    assert!(blob_path(&Digest::of(&tar)).starts_with("blobs/sha256/"));
}
