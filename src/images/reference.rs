//! Image references: normalizing what manifests write (`busybox`,
//! `quay.io/x/y:1`, `...@sha256:...`) to one full form, and the two ways
//! ferry moves a reference to another registry: a pull-through mirror on the
//! connected side, and the site registry on the air-gapped side (where the
//! original repository path is kept: `eu.gcr.io/kyma-project/x:1` becomes
//! `HOST/PREFIX/kyma-project/x:1`).

use oci_client::Reference;

/// A reference that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{reference}` is not a valid image reference: {problem}")]
pub struct ReferenceError {
    /// The text.
    pub reference: String,
    /// The parser's complaint.
    pub problem: String,
}

/// Parses a reference the way container runtimes do (Docker Hub and
/// `library/` implied, `latest` when neither tag nor digest is given).
pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
    text.trim()
        .parse::<Reference>()
        .map_err(|err| ReferenceError {
            reference: text.to_string(),
            problem: err.to_string(),
        })
}

/// The full form of a reference: `registry/repository[:tag][@digest]`.
pub fn normalize(text: &str) -> Result<String, ReferenceError> {
    Ok(full(&parse(text)?))
}

/// `registry/repository[:tag][@digest]` (the parser already added `latest`
/// where neither tag nor digest was given).
pub fn full(reference: &Reference) -> String {
    reference.whole()
}

/// `registry/repository` of a reference, without tag or digest (the text
/// itself when it does not parse).
pub fn repository_of(text: &str) -> String {
    match parse(text) {
        Ok(reference) => format!("{}/{}", reference.registry(), reference.repository()),
        Err(_) => text.to_string(),
    }
}

/// Where an image goes on a site registry `HOST[:PORT][/PREFIX]`: the
/// original repository path below it.
pub fn relocated_repository(reference: &Reference, site: &str) -> String {
    format!("{}/{}", site.trim_end_matches('/'), reference.repository())
}

/// The full reference of an image on a site registry: the relocated
/// repository with the original tag (or digest, for a digest-only reference).
pub fn relocated(text: &str, site: &str) -> Result<String, ReferenceError> {
    let reference = parse(text)?;
    let repository = relocated_repository(&reference, site);
    Ok(match (reference.tag(), reference.digest()) {
        (Some(tag), _) => format!("{repository}:{tag}"),
        (None, Some(digest)) => format!("{repository}@{digest}"),
        (None, None) => format!("{repository}:latest"),
    })
}

/// A pull-through mirror for one registry: `eu.gcr.io=HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The registry it stands in for (`eu.gcr.io`, `docker.io`).
    pub registry: String,
    /// Its registry host (`HOST[:PORT]`).
    pub host: String,
    /// Its repository prefix, without slashes at the ends (may be empty).
    pub prefix: String,
}

impl std::str::FromStr for Mirror {
    type Err = String;

    fn from_str(text: &str) -> Result<Mirror, String> {
        let usage = || {
            format!("`{text}` is not REGISTRY=HOST[:PORT][/PREFIX] (e.g. eu.gcr.io=localhost:5000/mirror)")
        };
        let (registry, target) = text.split_once('=').ok_or_else(usage)?;
        let (host, prefix) = target.split_once('/').unwrap_or((target, ""));
        if registry.trim().is_empty() || host.trim().is_empty() || registry.contains('/') {
            return Err(usage());
        }
        Ok(Mirror {
            registry: registry.trim().to_string(),
            host: host.trim().to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }
}

/// The reference to pull `reference` from: through the first mirror of its
/// registry, else itself. The bundle keeps the original name either way.
pub fn through_mirrors(reference: &Reference, mirrors: &[Mirror]) -> Reference {
    let Some(mirror) = mirrors.iter().find(|m| m.registry == reference.registry()) else {
        return reference.clone();
    };
    let repository = if mirror.prefix.is_empty() {
        reference.repository().to_string()
    } else {
        format!("{}/{}", mirror.prefix, reference.repository())
    };
    let host = mirror.host.clone();
    match (reference.tag(), reference.digest()) {
        (_, Some(digest)) => Reference::with_digest(host, repository, digest.to_string()),
        (tag, None) => Reference::with_tag(host, repository, tag.unwrap_or("latest").to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_get_their_registry_and_tag() {
        assert_eq!(
            normalize("busybox").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize("minio/minio:RELEASE.1").unwrap(),
            "docker.io/minio/minio:RELEASE.1"
        );
        assert_eq!(
            normalize("eu.gcr.io/kyma-project/kyma-installer:1.1.0").unwrap(),
            "eu.gcr.io/kyma-project/kyma-installer:1.1.0"
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize(&format!("quay.io/x/y@{digest}")).unwrap(),
            format!("quay.io/x/y@{digest}")
        );
        assert!(normalize("UPPER/Case:1").is_err());
    }

    #[test]
    fn mirrors_keep_the_path_under_their_prefix() {
        let mirrors: Vec<Mirror> = [
            "eu.gcr.io=127.0.0.1:5000",
            "docker.io=127.0.0.1:5000/docker.io",
        ]
        .iter()
        .map(|m| m.parse().unwrap())
        .collect();
        let pulled = through_mirrors(&parse("eu.gcr.io/kyma-project/x:1").unwrap(), &mirrors);
        assert_eq!(full(&pulled), "127.0.0.1:5000/kyma-project/x:1");
        let pulled = through_mirrors(&parse("busybox:1.31").unwrap(), &mirrors);
        assert_eq!(
            full(&pulled),
            "127.0.0.1:5000/docker.io/library/busybox:1.31"
        );
        let untouched = parse("quay.io/a/b:2").unwrap();
        assert_eq!(through_mirrors(&untouched, &mirrors), untouched);
        assert!("nohost".parse::<Mirror>().is_err());
        assert!("a/b=host".parse::<Mirror>().is_err());
    }

    #[test]
    fn the_site_registry_keeps_the_original_path() {
        let reference = parse("eu.gcr.io/kyma-project/kyma-installer:1.3.0").unwrap();
        assert_eq!(
            relocated_repository(&reference, "registry.site:5000/mirror/"),
            "registry.site:5000/mirror/kyma-project/kyma-installer"
        );
        assert_eq!(
            relocated("busybox:1.31", "site:5000").unwrap(),
            "site:5000/library/busybox:1.31"
        );
    }
}
