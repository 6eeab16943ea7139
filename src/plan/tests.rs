//! Planning on (a compact copy of) the real Kyma 1.x release history.

use super::guides::{attach, BranchListing};
use super::*;
use crate::source::Asset;

const FINALS: &str = "1.0.0 1.1.0 1.2.0 1.2.1 1.2.2 1.3.0 1.4.0 1.4.1 1.5.0 1.6.0 1.7.0 1.7.1 \
    1.8.0 1.9.0 1.10.0 1.11.0 1.11.1 1.12.0 1.13.0 1.14.0 1.15.0 1.15.1 1.17.0 1.17.1 1.18.0 \
    1.18.1 1.18.2 1.19.0 1.19.1 1.19.2 1.20.0 1.21.0 1.21.1 1.21.2 1.22.0 1.22.1 1.23.0 1.23.1 \
    1.24.0 1.24.11";
const PRE: &str = "1.2.0-rc0 1.2.0-rc1 1.3.0-rc1 1.16.0-rc1 1.16.0-rc2 1.16.0-rc3 1.16.0-rc4 \
    1.17.0-rc1 0.4-rc v0.5.0 0.90.0";

fn assets_for(version: &str) -> Vec<&'static str> {
    let minor = version
        .parse::<Version>()
        .map(|v| v.minor_key())
        .unwrap_or(Minor { major: 0, minor: 0 });
    if minor <= (Minor { major: 1, minor: 1 }) {
        vec![
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-config-cluster.yaml",
            "kyma-installer-cluster.yaml",
        ]
    } else if minor
        <= (Minor {
            major: 1,
            minor: 14,
        })
    {
        vec![
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-installer-cluster.yaml",
        ]
    } else {
        vec![
            "kyma-config-local.yaml",
            "kyma-installer.yaml",
            "kyma-installer-cr-local.yaml",
            "kyma-installer-cr-cluster.yaml",
        ]
    }
}

fn release(id: u64, tag: &str) -> Release {
    Release {
        id,
        tag: tag.to_string(),
        name: None,
        draft: false,
        prerelease: tag.contains("rc"),
        published_at: None,
        body: None,
        commit: None,
        assets: assets_for(tag)
            .into_iter()
            .enumerate()
            .map(|(i, name)| Asset {
                id: id * 10 + i as u64,
                name: name.to_string(),
                size: 1,
                url: format!("api/{id}/{name}"),
                browser_download_url: format!("dl/{tag}/{name}"),
                updated_at: None,
                digest: None,
            })
            .collect(),
    }
}

fn kyma_releases() -> Vec<Release> {
    FINALS
        .split_whitespace()
        .chain(PRE.split_whitespace())
        .enumerate()
        .map(|(i, tag)| release(i as u64 + 1, tag))
        .collect()
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

fn hop_versions(from: &str, to: &str) -> Result<Vec<String>, PlanError> {
    let profile = Profile::load("kyma").unwrap();
    let plan = plan(&profile, &kyma_releases(), &v(from), &v(to), Variant::All)?;
    Ok(plan.hops.iter().map(|h| h.version.to_string()).collect())
}

#[test]
fn goes_minor_by_minor_to_the_newest_patch() {
    assert_eq!(
        hop_versions("1.0.0", "1.3.0").unwrap(),
        ["1.1.0", "1.2.2", "1.3.0"]
    );
}

#[test]
fn routes_through_the_pinned_1_16_release_candidate() {
    assert_eq!(
        hop_versions("1.15.1", "1.18.2").unwrap(),
        ["1.16.0-rc4", "1.17.1", "1.18.2"]
    );
}

#[test]
fn patch_only_upgrade_is_one_hop() {
    assert_eq!(hop_versions("1.2.0", "1.2.2").unwrap(), ["1.2.2"]);
    assert!(hop_versions("1.2.2", "1.2.2").unwrap().is_empty());
}

#[test]
fn target_is_exactly_to_even_when_a_newer_patch_exists() {
    assert_eq!(hop_versions("1.17.0", "1.18.0").unwrap(), ["1.18.0"]);
}

#[test]
fn refuses_downgrades_unknown_versions_and_gaps() {
    assert!(matches!(
        hop_versions("1.3.0", "1.1.0"),
        Err(PlanError::Downgrade { .. })
    ));
    let err = hop_versions("1.0.0", "1.3.7").unwrap_err();
    assert!(
        err.to_string().contains("1.3.0"),
        "hint lists the minor's releases: {err}"
    );
    let mut profile = Profile::load("kyma").unwrap();
    profile.pins.clear();
    let err = plan(
        &profile,
        &kyma_releases(),
        &v("1.15.1"),
        &v("1.17.1"),
        Variant::All,
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Gap { minor, .. } if minor.to_string() == "1.16"),
        "{err}"
    );
    assert!(err.to_string().contains("1.16.0-rc4"), "{err}");
}

#[test]
fn a_minor_with_no_release_at_all_is_a_gap() {
    let profile = Profile::load("kyma").unwrap();
    let releases: Vec<Release> = kyma_releases()
        .into_iter()
        .filter(|r| !r.tag.starts_with("1.5."))
        .collect();
    let err = plan(&profile, &releases, &v("1.4.1"), &v("1.6.0"), Variant::All).unwrap_err();
    assert!(
        matches!(&err, PlanError::Gap { minor, .. } if minor.to_string() == "1.5"),
        "{err}"
    );
}

#[test]
fn recipes_pick_assets_by_target_version_and_variant() {
    let profile = Profile::load("kyma").unwrap();
    let releases = kyma_releases();
    let plan = plan(
        &profile,
        &releases,
        &v("1.9.0"),
        &v("1.15.1"),
        Variant::Cluster,
    )
    .unwrap();
    let by_version = |s: &str| plan.hops.iter().find(|h| h.version == v(s)).unwrap();
    assert_eq!(
        by_version("1.10.0").repo_files,
        ["installation/resources/tiller.yaml"]
    );
    assert_eq!(by_version("1.10.0").assets, ["kyma-installer-cluster.yaml"]);
    assert!(matches!(
        by_version("1.11.1").steps[0],
        StepSpec::Delete { .. }
    ));
    assert!(by_version("1.14.0").repo_files.is_empty());
    assert_eq!(
        by_version("1.15.1").assets,
        ["kyma-installer.yaml", "kyma-installer-cr-cluster.yaml"]
    );
    assert_eq!(plan.base.assets, ["kyma-installer-cluster.yaml"]);
    let local = super::plan(
        &profile,
        &releases,
        &v("1.14.0"),
        &v("1.15.1"),
        Variant::Local,
    )
    .unwrap();
    assert_eq!(
        local.hops[0].assets,
        [
            "kyma-config-local.yaml",
            "kyma-installer.yaml",
            "kyma-installer-cr-local.yaml"
        ]
    );
}

#[test]
fn guides_attach_to_the_hops_they_span() {
    let profile = Profile::load("kyma").unwrap();
    let mut plan = plan(
        &profile,
        &kyma_releases(),
        &v("1.3.0"),
        &v("1.18.2"),
        Variant::All,
    )
    .unwrap();
    let listing = |branch: &str, files: &[&str]| BranchListing {
        branch: branch.to_string(),
        files: files.iter().map(|f| f.to_string()).collect(),
    };
    let listings = vec![
        listing("release-1.4", &["1.3-1.4.md"]),
        listing("release-1.5", &["1.3-1.4.md"]),
        listing("release-1.6", &["1.5-1.6.md"]),
        listing("release-1.16", &["1.15-1.16.md"]),
        listing("release-1.17", &["1.15-1.17.md"]),
        listing("release-1.18", &["1.15-1.17.md", "1.17-1.18.md"]),
    ];
    attach(&profile, &mut plan.hops, &listings);
    let guides = |s: &str| -> Vec<(String, String)> {
        plan.hops
            .iter()
            .find(|h| h.version == v(s))
            .unwrap()
            .guides
            .iter()
            .map(|g| (g.name.clone(), g.branch.clone()))
            .collect()
    };
    let pair = |n: &str, b: &str| (n.to_string(), b.to_string());
    assert_eq!(guides("1.4.1"), [pair("1.3-1.4.md", "release-1.4")]);
    assert!(
        guides("1.5.0").is_empty(),
        "stale 1.3-1.4.md must not land on 1.4 -> 1.5"
    );
    assert_eq!(guides("1.6.0"), [pair("1.5-1.6.md", "release-1.6")]);
    assert_eq!(
        guides("1.16.0-rc4"),
        [
            pair("1.15-1.16.md", "release-1.16"),
            pair("1.15-1.17.md", "release-1.17")
        ]
    );
    assert_eq!(guides("1.17.1"), [pair("1.15-1.17.md", "release-1.17")]);
    assert_eq!(guides("1.18.2"), [pair("1.17-1.18.md", "release-1.18")]);
    assert!(guides("1.7.1").is_empty());
}

#[test]
fn drafts_strays_and_ignored_tags_are_not_releases() {
    let profile = Profile::load("kyma").unwrap();
    let mut releases = kyma_releases();
    releases.push(Release {
        draft: true,
        ..release(999, "1.25.0")
    });
    let index = index_releases(&profile, &releases);
    assert!(!index.contains_key(&v("1.25.0")));
    assert!(!index.contains_key(&v("0.90.0")));
    assert!(index.contains_key(&v("0.5.0")), "v0.5.0 reads as 0.5.0");
    assert!(index.keys().all(|k| k.to_string() != "0.4-rc"));
}
