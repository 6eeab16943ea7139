//! The order of a concurrent apply: which objects of one batch may be in
//! flight together. Pure: objects in, waves of indices out.
//!
//! Waves go one after another; the objects of one wave are applied
//! concurrently. Namespaces come first (everything namespaced may live in
//! them), then every other kind, then (Cluster)RoleBindings (the API server
//! checks the Roles and ClusterRoles they grant, and ServiceAccounts are
//! their subjects), then custom resources (their controllers act on the
//! built-in objects around them: an installer CR must not start before its
//! Deployment carries the new image), then admission webhooks and
//! APIServices (they could intercept or take over requests for the objects
//! before them). Within a
//! tier the input order is kept, and an object named twice starts a new
//! wave so the later copy wins, as it would applied one by one.
//!
//! CRDs are not ordered here: `apply` sends and waits on them before any wave.

use super::crd::type_of;
use kube::api::DynamicObject;
use kube::ResourceExt;
use std::collections::HashSet;

/// The last tier.
const LAST_TIER: u8 = 4;

/// True for Kubernetes' own API groups (core, `apps`, `*.k8s.io`, ...);
/// anything else is a custom resource's group.
fn built_in(group: &str) -> bool {
    !group.contains('.') || group.ends_with(".k8s.io")
}

/// The tier of an object's kind: lower tiers are applied first.
fn tier(object: &DynamicObject) -> u8 {
    let (api_version, kind) = type_of(object);
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match (group, kind) {
        ("", "Namespace") => 0,
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => 2,
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration",
        )
        | ("apiregistration.k8s.io", "APIService") => LAST_TIER,
        _ if !built_in(group) => 3,
        _ => 1,
    }
}

/// The waves of `objects`: indices into it, each wave in input order.
pub(crate) fn waves(objects: &[&DynamicObject]) -> Vec<Vec<usize>> {
    let mut waves = Vec::new();
    for level in 0..=LAST_TIER {
        let mut wave = Vec::new();
        let mut names = HashSet::new();
        for (i, object) in objects.iter().enumerate() {
            if tier(object) != level {
                continue;
            }
            let (api_version, kind) = type_of(object);
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            let key = (group, kind, object.namespace(), object.name_any());
            if !names.insert(key.clone()) {
                waves.push(std::mem::take(&mut wave));
                names.clear();
                names.insert(key);
            }
            wave.push(i);
        }
        if !wave.is_empty() {
            waves.push(wave);
        }
    }
    waves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::parse_documents;

    fn objects(spec: &[(&str, &str, &str)]) -> Vec<DynamicObject> {
        let yaml: String = spec
            .iter()
            .map(|(api, kind, name)| {
                format!("---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n")
            })
            .collect();
        parse_documents(&yaml, "test.yaml").unwrap()
    }

    #[test]
    fn namespaces_first_then_built_ins_bindings_custom_resources_webhooks() {
        let list = objects(&[
            ("rbac.authorization.k8s.io/v1", "RoleBinding", "rb"),
            ("v1", "ConfigMap", "cm"),
            (
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "hook",
            ),
            ("v1", "Namespace", "ns"),
            ("rbac.authorization.k8s.io/v1", "Role", "role"),
            ("v1", "ServiceAccount", "sa"),
            ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "crb"),
            ("example.com/v1", "Namespace", "not-core"),
            ("apps/v1", "Deployment", "installer"),
        ]);
        let refs: Vec<&DynamicObject> = list.iter().collect();
        assert_eq!(
            waves(&refs),
            vec![vec![3], vec![1, 4, 5, 8], vec![0, 6], vec![7], vec![2]]
        );
    }

    #[test]
    fn an_object_named_twice_splits_its_wave() {
        let list = objects(&[
            ("v1", "ConfigMap", "a"),
            ("v1", "ConfigMap", "b"),
            ("v1", "Secret", "a"),
            ("v1", "ConfigMap", "a"),
            ("v1", "ConfigMap", "c"),
        ]);
        let refs: Vec<&DynamicObject> = list.iter().collect();
        assert_eq!(waves(&refs), vec![vec![0, 1, 2], vec![3, 4]]);
    }

    #[test]
    fn no_objects_no_waves() {
        assert!(waves(&[]).is_empty());
    }
}
