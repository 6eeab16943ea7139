//! Every decision kind, conflicts with and without a preference, whole
//! objects added or removed, labels, display and determinism.

use super::{cm, obj};
use crate::upgrade::merge::{three_way, Conflict, Decision, DecisionKind, OverrideKind, Prefer};
use std::collections::BTreeMap;

fn decision(object: &str, key: &str, what: DecisionKind) -> Decision {
    Decision {
        object: format!("ConfigMap kyma-installer/{object}"),
        key: key.into(),
        what,
    }
}

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn every_key_rule_gives_its_decision_and_value() {
    let base = cm(
        "c",
        &[
            ("same", "1"),
            ("user", "1"),
            ("userdel", "1"),
            ("rel", "1"),
            ("relrm", "1"),
            ("both", "1"),
        ],
    );
    let live = cm(
        "c",
        &[
            ("same", "1"),
            ("user", "2"),
            ("rel", "1"),
            ("useradd", "5"),
            ("relrm", "1"),
            ("both", "6"),
        ],
    );
    let target = cm(
        "c",
        &[
            ("same", "1"),
            ("user", "1"),
            ("userdel", "1"),
            ("rel", "3"),
            ("reladd", "4"),
            ("both", "6"),
        ],
    );
    let out = three_way(&[base], &[target], &[live], None);
    assert!(out.conflicts.is_empty(), "{:?}", out.conflicts);
    assert_eq!(out.objects.len(), 1);
    assert_eq!(
        out.objects[0].data,
        data(&[
            ("same", "1"),
            ("user", "2"),
            ("rel", "3"),
            ("reladd", "4"),
            ("useradd", "5"),
            ("both", "6")
        ])
    );
    assert_eq!(
        out.decisions,
        vec![
            decision("c", "rel", DecisionKind::TookReleaseValue),
            decision("c", "reladd", DecisionKind::AddedByRelease),
            decision("c", "relrm", DecisionKind::RemovedByRelease),
            decision("c", "user", DecisionKind::KeptUserValue),
            decision("c", "useradd", DecisionKind::KeptUserAddition),
            decision("c", "userdel", DecisionKind::KeptUserValue),
        ]
    );
}

#[test]
fn a_conflict_without_preference_is_listed_and_keeps_the_cluster_value() {
    let base = cm("c", &[("k", "1"), ("gone", "1"), ("new", "x")]);
    let live = cm("c", &[("k", "2"), ("gone", "9"), ("new", "x")]);
    let target = cm("c", &[("k", "3"), ("new", "y")]);
    let out = three_way(&[base], &[target], &[live], None);
    assert_eq!(
        out.conflicts,
        vec![
            Conflict {
                object: "ConfigMap kyma-installer/c".into(),
                key: "gone".into(),
                base: Some("1".into()),
                cluster: Some("9".into()),
                release: None,
            },
            Conflict {
                object: "ConfigMap kyma-installer/c".into(),
                key: "k".into(),
                base: Some("1".into()),
                cluster: Some("2".into()),
                release: Some("3".into()),
            },
        ]
    );
    assert_eq!(
        out.decisions,
        vec![decision("c", "new", DecisionKind::TookReleaseValue)]
    );
    assert_eq!(
        out.objects[0].data,
        data(&[("gone", "9"), ("k", "2"), ("new", "y")])
    );
}

#[test]
fn a_preference_resolves_conflicts_its_way() {
    let base = cm("c", &[("k", "1"), ("gone", "1")]);
    let live = cm("c", &[("k", "2"), ("gone", "9")]);
    let target = cm("c", &[("k", "3")]);
    for (prefer, expected) in [
        (Prefer::Release, data(&[("k", "3")])),
        (Prefer::Cluster, data(&[("gone", "9"), ("k", "2")])),
    ] {
        let out = three_way(
            std::slice::from_ref(&base),
            std::slice::from_ref(&target),
            std::slice::from_ref(&live),
            Some(prefer),
        );
        assert!(out.conflicts.is_empty());
        assert_eq!(out.objects[0].data, expected, "{prefer}");
        let resolved = DecisionKind::ResolvedConflict(prefer);
        assert_eq!(
            out.decisions,
            vec![
                decision("c", "gone", resolved),
                decision("c", "k", resolved)
            ]
        );
    }
}

#[test]
fn objects_added_or_removed_follow_the_key_rules() {
    let base = [
        cm("dropped", &[("a", "1")]),
        cm("edited-then-dropped", &[("a", "1")]),
        cm("user-deleted", &[("a", "1")]),
    ];
    let live = [
        cm("dropped", &[("a", "1")]),
        cm("edited-then-dropped", &[("a", "2")]),
        cm("mine", &[("m", "1")]),
    ];
    let target = [
        cm("user-deleted", &[("a", "1")]),
        cm("theirs", &[("t", "1")]),
    ];
    let out = three_way(&base, &target, &live, None);
    let names: Vec<_> = out.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["edited-then-dropped", "mine", "theirs"]);
    assert_eq!(
        out.decisions,
        vec![
            decision("dropped", "a", DecisionKind::RemovedByRelease),
            decision("mine", "m", DecisionKind::KeptUserAddition),
            decision("theirs", "t", DecisionKind::AddedByRelease),
            decision("user-deleted", "a", DecisionKind::KeptUserValue),
        ]
    );
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(
        out.conflicts[0].object,
        "ConfigMap kyma-installer/edited-then-dropped"
    );
    assert_eq!(out.conflicts[0].release, None);

    // The release wins: the object it dropped goes.
    let out = three_way(&base, &target, &live, Some(Prefer::Release));
    let names: Vec<_> = out.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["mine", "theirs"]);
}

#[test]
fn an_object_present_on_both_sides_survives_with_no_keys() {
    let out = three_way(
        &[cm("c", &[("a", "1")])],
        &[cm("c", &[])],
        &[cm("c", &[("a", "1")])],
        None,
    );
    assert_eq!(out.objects, vec![cm("c", &[])]);
    assert_eq!(
        out.decisions,
        vec![decision("c", "a", DecisionKind::RemovedByRelease)]
    );
}

#[test]
fn labels_merge_three_ways_with_the_release_winning() {
    let mut base = cm("c", &[]);
    base.labels.insert("component".into(), "core".into());
    base.labels.insert("old".into(), "x".into());
    let mut live = base.clone();
    live.labels.insert("team".into(), "ops".into());
    live.labels.insert("component".into(), "mine".into());
    let mut target = base.clone();
    target.labels.remove("old");
    target.labels.insert("component".into(), "core-v2".into());
    let out = three_way(&[base], &[target], &[live], None);
    assert!(out.decisions.is_empty() && out.conflicts.is_empty());
    assert_eq!(
        out.objects[0].labels,
        data(&[
            ("component", "core-v2"),
            ("installer", "overrides"),
            ("team", "ops")
        ])
    );
}

#[test]
fn kinds_and_namespaces_keep_objects_apart() {
    let secret = obj(OverrideKind::Secret, "c", &[("k", "s")]);
    let mut other_ns = cm("c", &[("k", "n")]);
    other_ns.namespace = "other".into();
    let live = [secret.clone(), other_ns.clone(), cm("c", &[("k", "c")])];
    let out = three_way(&[], &[], &live, None);
    assert_eq!(out.objects, vec![cm("c", &[("k", "c")]), other_ns, secret]);
    let objects: Vec<_> = out.decisions.iter().map(|d| d.object.as_str()).collect();
    assert_eq!(
        objects,
        [
            "ConfigMap kyma-installer/c",
            "ConfigMap other/c",
            "Secret kyma-installer/c"
        ]
    );
}

#[test]
fn output_does_not_depend_on_input_order() {
    let base = vec![cm("b", &[("x", "1")]), cm("a", &[("y", "1"), ("z", "1")])];
    let live = vec![
        cm("a", &[("y", "2"), ("z", "1")]),
        cm("c", &[("q", "1")]),
        cm("b", &[("x", "5")]),
    ];
    let target = vec![cm("b", &[("x", "3")]), cm("a", &[("y", "1"), ("z", "4")])];
    let first = three_way(&base, &target, &live, None);
    let rev = |v: &Vec<_>| v.iter().rev().cloned().collect::<Vec<_>>();
    let second = three_way(&rev(&base), &rev(&target), &rev(&live), None);
    assert_eq!(first, second);
    assert_eq!(first, three_way(&base, &target, &live, None));
    let names: Vec<_> = first.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(first.conflicts.len(), 1);
}

#[test]
fn display_names_what_happened_and_hides_secret_values() {
    let d = decision("c", "k", DecisionKind::ResolvedConflict(Prefer::Cluster));
    assert_eq!(
        d.to_string(),
        "ConfigMap kyma-installer/c k: conflict, took the cluster's value"
    );
    let mut c = Conflict {
        object: "ConfigMap kyma-installer/c".into(),
        key: "k".into(),
        base: Some("1".into()),
        cluster: Some("2".into()),
        release: None,
    };
    assert!(!c.is_secret());
    assert_eq!(
        c.to_string(),
        "ConfigMap kyma-installer/c k: base \"1\", cluster \"2\", release (absent)"
    );
    c.object = "Secret kyma-installer/c".into();
    assert!(c.is_secret());
    assert_eq!(
        c.to_string(),
        "Secret kyma-installer/c k: base <redacted>, cluster <redacted>, release (absent)"
    );
}
