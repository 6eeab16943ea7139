//! How a test registry stands in for the real ones: it mirrors
//! [`MIRRORED_REGISTRY`] at its root (`eu.gcr.io/kyma-project/x:1` lives at
//! `HOST/kyma-project/x:1`) and any other registry `R` under `HOST/R`
//! (`docker.io/library/busybox:1.31` at `HOST/docker.io/library/busybox:1.31`),
//! which is what `--registry-mirror R=TARGET` flags then say to ferry.

use oci_client::{ParseError, Reference};
use std::collections::BTreeSet;

/// The registry a test registry mirrors at its root: Kyma's own.
pub const MIRRORED_REGISTRY: &str = "eu.gcr.io";

/// Where the test registry at `host` serves the images of `registry`.
pub fn mirror_target(host: &str, registry: &str) -> String {
    if registry == MIRRORED_REGISTRY {
        host.to_string()
    } else {
        format!("{host}/{registry}")
    }
}

/// Where the test registry at `host` serves `reference`
/// (`HOST/kyma-project/kyma-installer:1.1.0`).
pub fn mirrored_reference(host: &str, reference: &str) -> Result<String, ParseError> {
    Ok(format!("{host}/{}", mirror_path(reference)?))
}

/// Where any test registry serves `reference`, without the host: the
/// repository and tag (or digest), `kyma-project/kyma-installer:1.1.0` or
/// `docker.io/library/busybox:1.31`.
pub fn mirror_path(reference: &str) -> Result<String, ParseError> {
    let parsed: Reference = reference.parse()?;
    let name = match parsed.registry() {
        MIRRORED_REGISTRY => parsed.repository().to_string(),
        registry => format!("{registry}/{}", parsed.repository()),
    };
    Ok(match (parsed.tag(), parsed.digest()) {
        (Some(tag), _) => format!("{name}:{tag}"),
        (None, Some(digest)) => format!("{name}@{digest}"),
        (None, None) => format!("{name}:latest"),
    })
}

/// The `--registry-mirror` values (`eu.gcr.io=HOST`, `docker.io=HOST/docker.io`)
/// that send ferry to the test registry at `host` for every registry that
/// `references` name, sorted, each once. Unparsable references are skipped.
pub fn registry_mirror_flags(host: &str, references: &[String]) -> Vec<String> {
    let registries: BTreeSet<String> = references
        .iter()
        .filter_map(|reference| reference.parse::<Reference>().ok())
        .map(|parsed| parsed.registry().to_string())
        .collect();
    registries
        .iter()
        .map(|registry| format!("{registry}={}", mirror_target(host, registry)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kyma_images_sit_at_the_root_and_others_under_their_registry() {
        let host = "127.0.0.1:5000";
        let at = |reference: &str| mirrored_reference(host, reference).unwrap();
        assert_eq!(
            at("eu.gcr.io/kyma-project/kyma-installer:1.1.0"),
            "127.0.0.1:5000/kyma-project/kyma-installer:1.1.0"
        );
        assert_eq!(
            at("docker.io/library/busybox:1.31"),
            "127.0.0.1:5000/docker.io/library/busybox:1.31"
        );
        assert_eq!(
            at("busybox:1.31"),
            "127.0.0.1:5000/docker.io/library/busybox:1.31"
        );
        assert_eq!(
            at("gcr.io/kubernetes-helm/tiller:v2.10.0"),
            "127.0.0.1:5000/gcr.io/kubernetes-helm/tiller:v2.10.0"
        );
        assert_eq!(
            mirror_path("eu.gcr.io/kyma-project/kyma-installer:1.1.0").unwrap(),
            "kyma-project/kyma-installer:1.1.0"
        );
        let flags = registry_mirror_flags(
            host,
            &[
                "eu.gcr.io/kyma-project/a:1".to_string(),
                "docker.io/library/busybox:1.31".to_string(),
                "eu.gcr.io/kyma-project/b:1".to_string(),
            ],
        );
        assert_eq!(
            flags,
            [
                "docker.io=127.0.0.1:5000/docker.io",
                "eu.gcr.io=127.0.0.1:5000"
            ]
        );
    }
}
