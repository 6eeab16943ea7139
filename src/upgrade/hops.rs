//! Where the cluster stands in a bundle, a pure function: the cluster's
//! version (and whether its installer is still busy) in, the hops still to
//! run out, or the reason the bundle does not fit this cluster.

use crate::bundle::manifest::{Hop, Manifest};
use crate::version::Version;

/// Why a bundle cannot upgrade this cluster.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PositionError {
    /// The cluster is older than the bundle's start.
    #[error("the cluster runs {cluster}, older than this bundle's start {from}; build a bundle from {cluster} (ferry bundle --from {cluster} --to {to})")]
    ClusterOlder {
        /// Cluster version.
        cluster: String,
        /// Bundle start.
        from: String,
        /// Bundle target.
        to: String,
    },
    /// The cluster is newer than the bundle's target.
    #[error("the cluster runs {cluster}, newer than this bundle's target {to}; there are no downgrades (restore a backup to go back)")]
    ClusterNewer {
        /// Cluster version.
        cluster: String,
        /// Bundle target.
        to: String,
    },
    /// The next hop starts from another minor than the cluster's.
    #[error("the cluster runs {cluster}, but the bundle's next hop starts from {previous}: the bundle skips the cluster's minor; build a bundle from {cluster}")]
    SkipsMinor {
        /// Cluster version.
        cluster: String,
        /// Where the next hop starts.
        previous: String,
    },
}

/// The hops still to run on a cluster that reports `current`.
///
/// `installer_busy` says the installer has not finished its last install
/// (interrupted mid-hop): the hop landing on `current` then runs again
/// (idempotently) instead of counting as done. Hops inside the cluster's
/// minor are skipped unless the bundle ends in that minor: patches may be
/// skipped, so a cluster at 1.2.0 goes straight to 1.3.0.
pub fn remaining<'a>(
    manifest: &'a Manifest,
    current: &Version,
    installer_busy: bool,
) -> Result<Vec<&'a Hop>, PositionError> {
    if installer_busy {
        if let Some(index) = manifest.hops.iter().position(|hop| &hop.version == current) {
            return Ok(manifest.hops[index..].iter().collect());
        }
    }
    if current == &manifest.to {
        return Ok(Vec::new());
    }
    if current > &manifest.to {
        return Err(PositionError::ClusterNewer {
            cluster: current.to_string(),
            to: manifest.to.to_string(),
        });
    }
    if current < &manifest.from {
        return Err(PositionError::ClusterOlder {
            cluster: current.to_string(),
            from: manifest.from.to_string(),
            to: manifest.to.to_string(),
        });
    }
    let last = manifest.hops.len().saturating_sub(1);
    let hops: Vec<&Hop> = manifest
        .hops
        .iter()
        .enumerate()
        .filter(|(index, hop)| {
            &hop.version > current
                && (hop.version.minor_key() != current.minor_key() || *index == last)
        })
        .map(|(_, hop)| hop)
        .collect();
    if let Some(first) = hops.first() {
        if first.previous.minor_key() != current.minor_key() && &first.previous != current {
            return Err(PositionError::SkipsMinor {
                cluster: current.to_string(),
                previous: first.previous.to_string(),
            });
        }
    }
    Ok(hops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::manifest::BaseRelease;
    use crate::profile::Profile;
    use crate::recipe::Variant;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    fn manifest(from: &str, hops: &[&str]) -> Manifest {
        let mut previous = v(from);
        let hops = hops
            .iter()
            .map(|version| {
                let hop = Hop {
                    version: v(version),
                    previous: previous.clone(),
                    tag: version.to_string(),
                    commit: None,
                    published: None,
                    prerelease: false,
                    pin_reason: None,
                    guides: Vec::new(),
                    steps: Vec::new(),
                    files: Vec::new(),
                    images: Vec::new(),
                };
                previous = v(version);
                hop
            })
            .collect::<Vec<_>>();
        Manifest {
            schema: 1,
            product: "kyma".into(),
            repo: "kyma-project/kyma".into(),
            from: v(from),
            to: hops.last().unwrap().version.clone(),
            variant: Variant::All,
            source_date_epoch: 0,
            created: None,
            expires: None,
            cluster: Profile::load("kyma").unwrap().cluster,
            base: BaseRelease {
                version: v(from),
                tag: from.into(),
                files: Vec::new(),
            },
            hops,
            images: None,
        }
    }

    fn versions(hops: &[&Hop]) -> Vec<String> {
        hops.iter().map(|h| h.version.to_string()).collect()
    }

    #[test]
    fn starts_after_the_clusters_version() {
        let m = manifest("1.0.0", &["1.1.0", "1.2.2", "1.3.0"]);
        assert_eq!(
            versions(&remaining(&m, &v("1.0.0"), false).unwrap()),
            ["1.1.0", "1.2.2", "1.3.0"]
        );
        assert_eq!(
            versions(&remaining(&m, &v("1.1.0"), false).unwrap()),
            ["1.2.2", "1.3.0"]
        );
        assert_eq!(
            versions(&remaining(&m, &v("1.2.0"), false).unwrap()),
            ["1.3.0"]
        );
        assert_eq!(
            versions(&remaining(&m, &v("1.2.2"), false).unwrap()),
            ["1.3.0"]
        );
        assert!(remaining(&m, &v("1.3.0"), false).unwrap().is_empty());
    }

    #[test]
    fn an_interrupted_hop_runs_again() {
        let m = manifest("1.0.0", &["1.1.0", "1.2.2", "1.3.0"]);
        assert_eq!(
            versions(&remaining(&m, &v("1.2.2"), true).unwrap()),
            ["1.2.2", "1.3.0"]
        );
        assert_eq!(
            versions(&remaining(&m, &v("1.3.0"), true).unwrap()),
            ["1.3.0"]
        );
    }

    #[test]
    fn a_patch_only_bundle_still_applies() {
        let m = manifest("1.2.0", &["1.2.2"]);
        assert_eq!(
            versions(&remaining(&m, &v("1.2.1"), false).unwrap()),
            ["1.2.2"]
        );
    }

    #[test]
    fn refuses_clusters_the_bundle_does_not_fit() {
        let m = manifest("1.1.0", &["1.2.2", "1.3.0"]);
        assert!(matches!(
            remaining(&m, &v("1.0.0"), false),
            Err(PositionError::ClusterOlder { .. })
        ));
        assert!(matches!(
            remaining(&m, &v("1.4.0"), false),
            Err(PositionError::ClusterNewer { .. })
        ));
        let gap = manifest("1.0.0", &["1.1.0", "1.3.0"]);
        let err = remaining(&gap, &v("1.2.0"), false).unwrap_err();
        assert!(matches!(err, PositionError::SkipsMinor { .. }), "{err}");
    }
}
