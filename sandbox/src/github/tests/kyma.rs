//! Spot checks of the built-in catalogue against KYMA-FACTS.

use super::*;
use ferry_formats::version::Version;

fn guides(c: &Catalogue, git_ref: &str) -> Vec<String> {
    c.tree(git_ref)
        .unwrap()
        .keys()
        .filter_map(|p| p.strip_prefix("docs/migration-guides/"))
        .map(str::to_string)
        .collect()
}

fn asset_names(c: &Catalogue, tag: &str) -> Vec<String> {
    c.release(tag)
        .unwrap()
        .assets
        .iter()
        .map(|a| a.name.clone())
        .collect()
}

#[test]
fn releases_follow_the_facts() {
    let c = Catalogue::kyma();
    assert!(c.release("1.16.0").is_none(), "1.16 never had a final");
    for rc in 1..=4 {
        assert!(c.release(&format!("1.16.0-rc{rc}")).unwrap().prerelease);
    }
    for tag in [
        "1.0.0", "1.2.2", "1.15.1", "1.17.1", "1.24.11", "0.7.0", "0.8.1", "0.9.0",
    ] {
        let r = c.release(tag).unwrap();
        assert!(!r.prerelease && !r.draft, "{tag}");
    }
    for tag in ["v0.5.0", "0.4-rc"] {
        assert!(c.release(tag).is_some(), "{tag}");
    }
    assert!(c.release("0.90.0").is_none());
    assert!(c.tags.iter().any(|t| t.name == "0.90.0"));
    assert_eq!(c.releases.iter().filter(|r| r.draft).count(), 1);
    let finals_1x = c
        .releases
        .iter()
        .filter_map(|r| r.tag.parse::<Version>().ok())
        .filter(|v| v.major == 1 && !v.is_prerelease())
        .count();
    assert_eq!(
        finals_1x,
        50 + 1,
        "50 published 1.x finals plus the 1.25.0 draft"
    );

    let published = |tag: &str| c.release(tag).unwrap().published_at.clone();
    assert!(published("1.7.0") < published("1.6.0"));
    assert!(published("1.18.0") < published("1.17.1"));
    assert!(published("1.24.11").starts_with("2022-02-17T"));
    assert_eq!(c.commit_of("1.2.0-rc0"), c.commit_of("1.2.2"));
    assert!(c.branches.iter().any(|b| b.name == "release-1.25"));
    assert!(c
        .releases
        .iter()
        .all(|r| !r.tag.starts_with("1.25.") || r.draft));
}

#[test]
fn guides_follow_the_table() {
    let c = Catalogue::kyma();
    assert_eq!(guides(&c, "release-1.5"), vec!["1.3-1.4.md"]);
    assert_eq!(guides(&c, "release-1.17"), vec!["1.15-1.17.md"]);
    assert_eq!(
        guides(&c, "release-1.18"),
        vec!["1.15-1.17.md", "1.17-1.18.md"]
    );
    assert_eq!(
        guides(&c, "1.18.2"),
        guides(&c, "release-1.18"),
        "tags carry their branch's guides"
    );
    for empty in ["release-1.1", "release-1.7", "release-1.24", "1.24.11"] {
        assert!(guides(&c, empty).is_empty(), "{empty}");
    }
    let path = "docs/migration-guides/1.15-1.17.md";
    let two_step = &c.tree("release-1.17").unwrap()[path];
    assert_eq!(two_step, &c.tree("release-1.18").unwrap()[path]);
    let text = std::str::from_utf8(two_step).unwrap();
    assert!(text.contains("## Upgrade from 1.15 to 1.16.0-rc4"));
    assert!(text.contains("## Upgrade from 1.16.0-rc4 to 1.17"));
    assert!(text.contains("### Before the upgrade") && text.contains("### After the upgrade"));
    assert!(text.contains("kubectl"));
}

#[test]
fn assets_follow_the_table() {
    let c = Catalogue::kyma();
    assert_eq!(
        asset_names(&c, "1.1.0"),
        [
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-config-cluster.yaml",
            "kyma-installer-cluster.yaml"
        ]
    );
    assert_eq!(
        asset_names(&c, "1.2.0"),
        [
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-installer-cluster.yaml"
        ]
    );
    let new_set = [
        "kyma-config-local.yaml",
        "kyma-installer.yaml",
        "kyma-installer-cr-local.yaml",
        "kyma-installer-cr-cluster.yaml",
    ];
    assert_eq!(asset_names(&c, "1.15.0"), new_set);
    assert_eq!(asset_names(&c, "1.16.0-rc4"), new_set);
    for r in &c.releases {
        for a in &r.assets {
            assert!(
                a.content.len() < 8 * 1024,
                "{} {} is {} bytes",
                r.tag,
                a.name,
                a.content.len()
            );
        }
    }
}

#[test]
fn contents_are_realistic() {
    let c = Catalogue::kyma();
    let text = |tag: &str, name: &str| {
        String::from_utf8(
            c.release(tag)
                .unwrap()
                .asset(name)
                .unwrap()
                .content
                .to_vec(),
        )
        .unwrap()
    };
    let old = text("1.9.0", "kyma-installer-local.yaml");
    assert!(old.contains("image: eu.gcr.io/kyma-project/kyma-installer:1.9.0\n"));
    assert!(old.contains("apiVersion: extensions/v1beta1\nkind: Deployment"));
    assert!(
        old.contains("name: kyma-installation\n  labels:"),
        "no namespace before 1.10"
    );
    assert!(old.contains("apiVersion: apiextensions.k8s.io/v1beta1"));
    let newer = text("1.10.0", "kyma-installer-cluster.yaml");
    assert!(newer.contains("apiVersion: apps/v1\nkind: Deployment"));
    assert!(newer.contains("name: kyma-installation\n  namespace: default"));
    assert!(newer.contains("finalizer.installer.kyma-project.io"));
    let rc = text("1.16.0-rc4", "kyma-installer.yaml");
    assert!(rc.contains("eu.gcr.io/kyma-project/kyma-installer:1.16.0-rc4\n"));
    assert!(!rc.contains("\nkind: Installation\n"));
    let cr = text("1.17.0", "kyma-installer-cr-cluster.yaml");
    assert!(cr.contains("version: \"__VERSION__\"") && cr.contains("url: \"__URL__\""));
    assert!(cr.contains("action: install"));

    let config = |tag: &str| text(tag, "kyma-config-local.yaml");
    assert!(config("1.2.0").contains("installer: overrides"));
    let (a, b) = (config("1.11.0"), config("1.12.0"));
    let stable = "global.domainName: \"kyma.local\"";
    assert!(a.contains(stable) && b.contains(stable));
    assert_ne!(a, b, "some overrides change with the version");

    let tiller = |r: &str| {
        String::from_utf8(c.tree(r).unwrap()["installation/resources/tiller.yaml"].to_vec())
            .unwrap()
    };
    assert!(tiller("1.10.0").contains("name: tiller-deploy\n  namespace: kube-system"));
    assert_ne!(tiller("1.9.0"), tiller("1.10.0"));
    assert_ne!(tiller("release-1.10"), tiller("release-1.11"));
    assert!(c.release("1.24.11").unwrap().body.contains("Kyma 1.24.11"));
}

#[test]
fn yaml_documents_are_well_formed() {
    // No YAML parser in the dependencies: check each document has the
    // top-level keys every Kubernetes object needs and no tabs.
    let c = Catalogue::kyma();
    for r in &c.releases {
        for a in &r.assets {
            let text = std::str::from_utf8(&a.content).unwrap();
            assert!(!text.contains('\t'));
            for doc in text.split("---\n").filter(|d| !d.trim().is_empty()) {
                assert!(
                    doc.starts_with("apiVersion: "),
                    "{} {}: {doc}",
                    r.tag,
                    a.name
                );
                assert!(doc.contains("\nkind: ") && doc.contains("\nmetadata:\n  name: "));
            }
        }
    }
}
