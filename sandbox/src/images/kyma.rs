//! The images a Kyma 1.x upgrade needs in the tests, small (about 1.3 MB
//! for 1.1.0, 1.2.2 and 1.3.0) and shaped like the real ones: per version
//! the installer image `eu.gcr.io/kyma-project/kyma-installer:V`, a base
//! layer shared by every version (the operator) under a layer of charts in
//! `kyma/injected/resources/<component>/` whose `values.yaml` files name the
//! component images in three of Kyma's conventions:
//!
//! - `helm-broker` and `application-connector`: `global.containerRegistry.path`
//!   plus `global.<x>.{dir, name, version}` (the latter with `dir: "develop/"`);
//!   helm-broker's version changes every second minor, so hops share its image;
//! - `monitoring`: `grafana.image.{repository, tag}` (full strings) and a plain
//!   `image: "docker.io/library/busybox:1.31"`, a linux/amd64 + linux/arm64 index.
//!
//! Every component image is one base layer shared by all of them plus one
//! pseudo-random layer of its own. [`kyma_chart_images`] lists what the charts
//! of a version name, for tests of discovery.

use super::random::pseudo_random;
use super::spec::{FileSpec, GeneratedImage, ImageContent, ImageSpec, LayerSpec};
use ferry_formats::oci::Platform;
use ferry_formats::version::Version;
use std::collections::BTreeMap;

/// Kyma's registry path, as the charts' `global.containerRegistry.path` says.
const KYMA_REGISTRY_PATH: &str = "eu.gcr.io/kyma-project";
/// Grafana, named by the monitoring chart as repository + tag.
pub const GRAFANA_IMAGE: &str = "eu.gcr.io/kyma-project/tpi/grafana:7.0.6";
/// Busybox, named by the monitoring chart as a plain `image:` value; an index.
pub const BUSYBOX_IMAGE: &str = "docker.io/library/busybox:1.31";
/// Where the installer image keeps the charts.
const RESOURCES_DIR: &str = "kyma/injected/resources";
/// KiB.
const KIB: usize = 1024;

/// The installer image of Kyma `version`.
pub fn kyma_installer_image(version: &str) -> String {
    format!("{KYMA_REGISTRY_PATH}/kyma-installer:{version}")
}

/// helm-broker's tag in Kyma `version`: it changes every second minor
/// (1.1 and 1.2 share `v1.1.0`, 1.3 has `v1.2.0`).
fn helm_broker_tag(version: &str) -> String {
    match version.parse::<Version>() {
        Ok(parsed) => format!("v1.{}.0", parsed.minor.div_ceil(2)),
        Err(_) => version.to_string(),
    }
}

/// A component in the main convention: `global.<key>.{dir, name, version}`.
struct MainConvention {
    chart: &'static str,
    key: &'static str,
    dir: &'static str,
    name: &'static str,
    layer_kib: usize,
}

/// The charts in the main convention.
const MAIN_CONVENTION: [MainConvention; 2] = [
    MainConvention {
        chart: "helm-broker",
        key: "helm_broker",
        dir: "",
        name: "helm-broker",
        layer_kib: 96,
    },
    MainConvention {
        chart: "application-connector",
        key: "application_connector",
        dir: "develop/",
        name: "application-connector",
        layer_kib: 128,
    },
];

impl MainConvention {
    fn tag(&self, version: &str) -> String {
        match self.chart {
            "helm-broker" => helm_broker_tag(version),
            _ => version.to_string(),
        }
    }

    fn image(&self, version: &str) -> String {
        let (dir, name, tag) = (self.dir, self.name, self.tag(version));
        format!("{KYMA_REGISTRY_PATH}/{dir}{name}:{tag}")
    }

    fn values_yaml(&self, version: &str) -> String {
        format!(
            "global:\n  containerRegistry:\n    path: {KYMA_REGISTRY_PATH}\n  {key}:\n    dir: \"{dir}\"\n    name: {name}\n    version: \"{tag}\"\n",
            key = self.key,
            dir = self.dir,
            name = self.name,
            tag = self.tag(version),
        )
    }

    fn deployment_yaml(&self) -> String {
        let key = self.key;
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {name}\n          image: \"{{{{ .Values.global.containerRegistry.path }}}}/{{{{ .Values.global.{key}.dir }}}}{name}:{{{{ .Values.global.{key}.version }}}}\"\n",
            name = self.name,
        )
    }
}

/// The monitoring chart's values: grafana as repository + tag, busybox plain.
fn monitoring_values_yaml() -> String {
    let (repository, tag) = GRAFANA_IMAGE
        .rsplit_once(':')
        .unwrap_or((GRAFANA_IMAGE, ""));
    format!(
        "grafana:\n  image:\n    repository: {repository}\n    tag: \"{tag}\"\n  sidecar:\n    image: \"{BUSYBOX_IMAGE}\"\n"
    )
}

/// A chart's `Chart.yaml`.
fn chart_yaml(chart: &str, version: &str) -> String {
    format!("apiVersion: v1\nname: {chart}\nversion: {version}\ndescription: Kyma component {chart} (generated for tests)\n")
}

/// The references the charts of Kyma `version` name, sorted.
pub fn kyma_chart_images(version: &str) -> Vec<String> {
    let mut images: Vec<String> = MAIN_CONVENTION.iter().map(|c| c.image(version)).collect();
    images.push(GRAFANA_IMAGE.to_string());
    images.push(BUSYBOX_IMAGE.to_string());
    images.sort();
    images
}

/// The installer images of `versions` and every component image their
/// charts name, each once, sorted by reference.
pub fn kyma_images(versions: &[&str]) -> Vec<GeneratedImage> {
    let mut images: BTreeMap<String, GeneratedImage> = BTreeMap::new();
    let mut add = |image: GeneratedImage| {
        images.entry(image.reference.clone()).or_insert(image);
    };
    for version in versions {
        add(installer_image(version));
        for component in &MAIN_CONVENTION {
            add(component_image(
                &component.image(version),
                component.layer_kib,
            ));
        }
    }
    if !versions.is_empty() {
        add(component_image(GRAFANA_IMAGE, 200));
        add(busybox_image());
    }
    images.into_values().collect()
}

/// The installer: the shared operator layer under this version's charts.
fn installer_image(version: &str) -> GeneratedImage {
    let operator = LayerSpec {
        files: vec![FileSpec::executable(
            "kyma/bin/operator",
            pseudo_random("kyma-operator", 300 * KIB),
        )],
    };
    let mut charts = Vec::new();
    for component in &MAIN_CONVENTION {
        let dir = format!("{RESOURCES_DIR}/{}", component.chart);
        charts.push(FileSpec::new(
            &format!("{dir}/Chart.yaml"),
            chart_yaml(component.chart, version),
        ));
        charts.push(FileSpec::new(
            &format!("{dir}/values.yaml"),
            component.values_yaml(version),
        ));
        charts.push(FileSpec::new(
            &format!("{dir}/templates/deployment.yaml"),
            component.deployment_yaml(),
        ));
    }
    let dir = format!("{RESOURCES_DIR}/monitoring");
    charts.push(FileSpec::new(
        &format!("{dir}/Chart.yaml"),
        chart_yaml("monitoring", version),
    ));
    charts.push(FileSpec::new(
        &format!("{dir}/values.yaml"),
        monitoring_values_yaml(),
    ));
    GeneratedImage::single(
        &kyma_installer_image(version),
        vec![operator, LayerSpec { files: charts }],
    )
}

/// The base layer every component image shares.
fn component_base() -> LayerSpec {
    LayerSpec {
        files: vec![
            FileSpec::executable("bin/sh", pseudo_random("component-base", 32 * KIB)),
            FileSpec::new("etc/os-release", "NAME=\"ferry test base\"\n"),
        ],
    }
}

/// A component image's own layer, seeded by `seed`.
fn own_layer(seed: &str, kib: usize) -> LayerSpec {
    LayerSpec {
        files: vec![FileSpec::executable(
            "app/component",
            pseudo_random(seed, kib * KIB),
        )],
    }
}

/// A single-platform component image: the shared base plus its own layer.
fn component_image(reference: &str, kib: usize) -> GeneratedImage {
    GeneratedImage::single(reference, vec![component_base(), own_layer(reference, kib)])
}

/// Busybox as an index over linux/amd64 and linux/arm64.
fn busybox_image() -> GeneratedImage {
    let platforms = ["amd64", "arm64"]
        .into_iter()
        .map(|arch| {
            let seed = format!("{BUSYBOX_IMAGE} linux/{arch}");
            let spec = ImageSpec {
                layers: vec![component_base(), own_layer(&seed, 64)],
            };
            (Platform::new("linux", arch), spec)
        })
        .collect();
    GeneratedImage {
        reference: BUSYBOX_IMAGE.to_string(),
        content: ImageContent::Index(platforms),
    }
}
