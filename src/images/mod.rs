//! Which container images a hop needs, and why: found in the hop's
//! manifests (`workloads`), in files inside a listed image (`charts`, by the
//! profile's rules), or named by the profile outright. Pure: data in, image
//! references with reasons out. Pulling them is `registry`'s job, packing
//! them `pack`'s.

pub mod charts;
pub mod reference;
pub mod workloads;

use std::collections::BTreeMap;

/// One image a hop needs, with the reasons it is in (one per place that
/// names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    /// The reference as named (normalized: `busybox` is `docker.io/library/busybox:latest`).
    pub reference: String,
    /// Where it was found, in words (`hops/1.1.0/assets/x.yaml: Deployment ns/name`).
    pub reasons: Vec<String>,
}

/// Collects found references, merging the reasons of repeated ones, in
/// first-seen order.
#[derive(Debug, Default, Clone)]
pub struct NeededSet {
    order: Vec<String>,
    reasons: BTreeMap<String, Vec<String>>,
}

impl NeededSet {
    /// Adds `reference` (normalized first) found for `reason`. A reference
    /// that does not parse is kept as written, for the error that names it.
    pub fn add(&mut self, reference: &str, reason: String) {
        let normalized = reference::normalize(reference).unwrap_or_else(|_| reference.to_string());
        let reasons = self.reasons.entry(normalized.clone()).or_default();
        if reasons.is_empty() {
            self.order.push(normalized);
        }
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }

    /// True when `reference` (normalized) is in the set.
    pub fn contains(&self, reference: &str) -> bool {
        let normalized = reference::normalize(reference).unwrap_or_else(|_| reference.to_string());
        self.reasons.contains_key(&normalized)
    }

    /// The images in first-seen order.
    pub fn into_vec(self) -> Vec<Needed> {
        let mut reasons = self.reasons;
        self.order
            .into_iter()
            .map(|reference| Needed {
                reasons: reasons.remove(&reference).unwrap_or_default(),
                reference,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_references_merge_their_reasons() {
        let mut set = NeededSet::default();
        set.add("busybox:1.31", "a".into());
        set.add("docker.io/library/busybox:1.31", "b".into());
        set.add("eu.gcr.io/kyma-project/x:1", "c".into());
        set.add("busybox:1.31", "a".into());
        assert!(set.contains("library/busybox:1.31"));
        let all = set.into_vec();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].reference, "docker.io/library/busybox:1.31");
        assert_eq!(all[0].reasons, ["a", "b"]);
    }
}
