//! The merge itself: per object and per key, which side's value wins.
//! An object a side does not have counts as one without keys, so objects
//! follow the same rules as keys.

use super::{
    describe, Conflict, Decision, DecisionKind, MergeOutcome, OverrideKind, OverrideObject, Prefer,
};
use std::collections::{BTreeMap, BTreeSet};

type Strings = BTreeMap<String, String>;
type Id<'a> = (OverrideKind, &'a str, &'a str);

/// The values of an object a side does not have.
static EMPTY: Strings = BTreeMap::new();

/// Per object and key: only the user changed it (live != base, target ==
/// base) -> keep live; only the release changed it (target != base, live ==
/// base) -> take target; both changed it to the same value -> that value;
/// both changed it differently -> a conflict, settled by `prefer` when
/// given, else listed in `conflicts` (keeping live's value) for the caller
/// to stop the hop. Absent counts as a value: keys and objects the user
/// added are kept, keys the release removed and the user did not touch are
/// removed, keys the user removed stay removed. An object exists in the
/// result when its existence merges to present or it keeps any key. Labels
/// merge the same way, the release winning their conflicts silently.
/// Output is sorted (kind, namespace, name, key), whatever the input order;
/// when an input lists an object twice, the last one counts.
pub fn three_way(
    base: &[OverrideObject],
    target: &[OverrideObject],
    live: &[OverrideObject],
    prefer: Option<Prefer>,
) -> MergeOutcome {
    let (base, target, live) = (index(base), index(target), index(live));
    let ids: BTreeSet<Id<'_>> = base
        .keys()
        .chain(target.keys())
        .chain(live.keys())
        .copied()
        .collect();
    let mut outcome = MergeOutcome {
        objects: Vec::new(),
        decisions: Vec::new(),
        conflicts: Vec::new(),
    };
    for id @ (kind, namespace, name) in ids {
        let sides = [&base, &live, &target].map(|side| side.get(&id).copied());
        let [b, l, t] = sides;
        let object = describe(kind, namespace, name);
        let data = merge_data(
            &object,
            sides.map(|s| s.map_or(&EMPTY, |o| &o.data)),
            prefer,
            &mut outcome,
        );
        let exists = if l.is_some() == b.is_some() {
            t.is_some()
        } else {
            l.is_some()
        };
        if !exists && data.is_empty() {
            continue;
        }
        outcome.objects.push(OverrideObject {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
            labels: merge_labels(sides.map(|s| s.map_or(&EMPTY, |o| &o.labels))),
            data,
        });
    }
    outcome
}

/// Objects by identity; the last of duplicates wins.
fn index(objects: &[OverrideObject]) -> BTreeMap<Id<'_>, &OverrideObject> {
    objects
        .iter()
        .map(|o| ((o.kind, o.namespace.as_str(), o.name.as_str()), o))
        .collect()
}

/// How one key settles, given its base, live and target values.
enum Verdict<'a> {
    /// Live and target agree: nothing to decide.
    Same(Option<&'a str>),
    /// One side changed it; the value to keep and why.
    Decided(Option<&'a str>, DecisionKind),
    /// Both changed it, differently.
    Conflict,
}

fn verdict<'a>(b: Option<&'a str>, l: Option<&'a str>, t: Option<&'a str>) -> Verdict<'a> {
    if l == t {
        Verdict::Same(l)
    } else if l == b {
        let what = match (b, t) {
            (None, _) => DecisionKind::AddedByRelease,
            (_, None) => DecisionKind::RemovedByRelease,
            _ => DecisionKind::TookReleaseValue,
        };
        Verdict::Decided(t, what)
    } else if t == b {
        let what = match b {
            None => DecisionKind::KeptUserAddition,
            Some(_) => DecisionKind::KeptUserValue,
        };
        Verdict::Decided(l, what)
    } else {
        Verdict::Conflict
    }
}

/// Every key of the three maps, sorted, with its base, live and target values.
fn keyed([b, l, t]: [&Strings; 3]) -> impl Iterator<Item = (&str, [Option<&str>; 3])> {
    let keys: BTreeSet<&str> = b
        .keys()
        .chain(l.keys())
        .chain(t.keys())
        .map(String::as_str)
        .collect();
    keys.into_iter()
        .map(move |k| (k, [b, l, t].map(|m| m.get(k).map(String::as_str))))
}

/// One object's data, recording decisions and conflicts in `outcome`.
fn merge_data(
    object: &str,
    maps: [&Strings; 3],
    prefer: Option<Prefer>,
    outcome: &mut MergeOutcome,
) -> Strings {
    let mut merged = Strings::new();
    for (key, [b, l, t]) in keyed(maps) {
        let decide = |what| Decision {
            object: object.to_string(),
            key: key.to_string(),
            what,
        };
        let value = match verdict(b, l, t) {
            Verdict::Same(v) => v,
            Verdict::Decided(v, what) => {
                outcome.decisions.push(decide(what));
                v
            }
            Verdict::Conflict => match prefer {
                Some(p) => {
                    outcome
                        .decisions
                        .push(decide(DecisionKind::ResolvedConflict(p)));
                    match p {
                        Prefer::Release => t,
                        Prefer::Cluster => l,
                    }
                }
                None => {
                    outcome.conflicts.push(Conflict {
                        object: object.to_string(),
                        key: key.to_string(),
                        base: b.map(str::to_string),
                        cluster: l.map(str::to_string),
                        release: t.map(str::to_string),
                    });
                    l
                }
            },
        };
        if let Some(v) = value {
            merged.insert(key.to_string(), v.to_string());
        }
    }
    merged
}

/// One object's labels: the same rules, the release winning conflicts.
fn merge_labels(maps: [&Strings; 3]) -> Strings {
    keyed(maps)
        .filter_map(|(key, [b, l, t])| {
            let value = match verdict(b, l, t) {
                Verdict::Same(v) | Verdict::Decided(v, _) => v,
                Verdict::Conflict => t,
            };
            value.map(|v| (key.to_string(), v.to_string()))
        })
        .collect()
}
