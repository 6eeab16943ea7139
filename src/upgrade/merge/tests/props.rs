//! Randomized properties over many generated override sets (a small
//! hand-rolled generator, seeded, so failures reproduce).

use crate::upgrade::merge::{three_way, DecisionKind, OverrideKind, OverrideObject, Prefer};
use std::collections::BTreeMap;

/// xorshift64*: deterministic and good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A random set of overrides from a small universe, so sides overlap often.
fn side(rng: &mut Rng) -> Vec<OverrideObject> {
    let mut objects = Vec::new();
    for kind in [OverrideKind::ConfigMap, OverrideKind::Secret] {
        for name in ["a", "b", "c"] {
            if rng.below(3) == 0 {
                continue;
            }
            let pick = |rng: &mut Rng, pool: &[&str]| {
                let mut map = BTreeMap::new();
                for key in pool {
                    if rng.below(3) != 0 {
                        let value = ["x", "y", "z"][rng.below(3) as usize];
                        map.insert(key.to_string(), value.to_string());
                    }
                }
                map
            };
            objects.push(OverrideObject {
                kind,
                namespace: ["kyma-installer", "other"][rng.below(2) as usize].into(),
                name: name.into(),
                labels: pick(rng, &["installer", "component"]),
                data: pick(rng, &["k1", "k2", "k3", "k4"]),
            });
        }
    }
    objects
}

/// Kind, namespace, name and data of each object, sorted as the merge sorts.
fn ids(objects: &[OverrideObject]) -> Vec<(OverrideKind, &str, &str, &BTreeMap<String, String>)> {
    let mut ids: Vec<_> = objects
        .iter()
        .map(|o| (o.kind, o.namespace.as_str(), o.name.as_str(), &o.data))
        .collect();
    ids.sort();
    ids
}

#[test]
fn merging_with_an_unchanged_side_gives_the_other_side() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..2000 {
        let (base, other) = (side(&mut rng), side(&mut rng));
        let mut sorted = other.clone();
        sorted
            .sort_by(|x, y| (x.kind, &x.namespace, &x.name).cmp(&(y.kind, &y.namespace, &y.name)));
        for prefer in [None, Some(Prefer::Release), Some(Prefer::Cluster)] {
            let user_only = three_way(&base, &base, &other, prefer);
            assert_eq!(
                user_only.objects, sorted,
                "case {case}: merge(base, base, live) != live"
            );
            assert!(user_only.conflicts.is_empty(), "case {case}");
            assert!(user_only.decisions.iter().all(|d| matches!(
                d.what,
                DecisionKind::KeptUserValue | DecisionKind::KeptUserAddition
            )));
            let release_only = three_way(&base, &other, &base, prefer);
            assert_eq!(
                release_only.objects, sorted,
                "case {case}: merge(base, target, base) != target"
            );
            assert!(release_only.conflicts.is_empty(), "case {case}");
        }
    }
}

#[test]
fn preferences_mirror_and_settle_every_conflict() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut conflicts_seen = 0;
    for case in 0..2000 {
        let (base, target, live) = (side(&mut rng), side(&mut rng), side(&mut rng));
        let open = three_way(&base, &target, &live, None);
        conflicts_seen += open.conflicts.len();
        for prefer in [Prefer::Release, Prefer::Cluster] {
            let settled = three_way(&base, &target, &live, Some(prefer));
            assert!(settled.conflicts.is_empty(), "case {case}");
            let resolved = settled
                .decisions
                .iter()
                .filter(|d| d.what == DecisionKind::ResolvedConflict(prefer))
                .count();
            assert_eq!(resolved, open.conflicts.len(), "case {case}");
        }
        // Preferring the cluster is preferring the release with the sides swapped.
        let cluster = three_way(&base, &target, &live, Some(Prefer::Cluster));
        let swapped = three_way(&base, &live, &target, Some(Prefer::Release));
        assert_eq!(ids(&cluster.objects), ids(&swapped.objects), "case {case}");
        // Agreeing sides need no decisions.
        let agreed = three_way(&base, &target, &target, None);
        assert!(
            agreed.decisions.is_empty() && agreed.conflicts.is_empty(),
            "case {case}"
        );
        assert_eq!(ids(&agreed.objects), ids(&target), "case {case}");
    }
    assert!(conflicts_seen > 100, "the generator must produce conflicts");
}
