//! Preflight: which objects of a hop the cluster cannot accept because it
//! does not serve their `apiVersion`/`kind` and no CustomResourceDefinition
//! of the same hop defines it, each with a hint saying why (the Kubernetes
//! release that removed an API, the versions the cluster does serve).
//!
//! Pure over a discovery snapshot; deciding to stop is the caller's job.

use super::catalog::Catalog;
use super::crd::{defined_kinds, is_crd, split_api_version, type_of, DefinedKind};
use kube::api::DynamicObject;
use kube::ResourceExt;
use serde::Serialize;

/// An object whose kind the cluster does not serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unservable {
    /// The object's API version (`apiextensions.k8s.io/v1beta1`).
    pub api_version: String,
    /// The object's kind (`CustomResourceDefinition`).
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// Why, and what to do (`Kubernetes >= 1.22 no longer serves it; ...`).
    pub hint: String,
}

/// APIs Kubernetes removed: `(apiVersion, kind or "*", removed in 1.x, replacement)`.
const REMOVED: &[(&str, &str, u32, &str)] = &[
    (
        "apiextensions.k8s.io/v1beta1",
        "*",
        22,
        "apiextensions.k8s.io/v1",
    ),
    ("extensions/v1beta1", "Ingress", 22, "networking.k8s.io/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        16,
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "PodSecurityPolicy",
        16,
        "policy/v1beta1",
    ),
    ("extensions/v1beta1", "*", 16, "apps/v1"),
    ("apps/v1beta1", "*", 16, "apps/v1"),
    ("apps/v1beta2", "*", 16, "apps/v1"),
    ("networking.k8s.io/v1beta1", "*", 22, "networking.k8s.io/v1"),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        22,
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        "*",
        22,
        "apiregistration.k8s.io/v1",
    ),
    ("scheduling.k8s.io/v1beta1", "*", 22, "scheduling.k8s.io/v1"),
    (
        "certificates.k8s.io/v1beta1",
        "*",
        22,
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        "*",
        22,
        "coordination.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "StorageClass",
        22,
        "storage.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        22,
        "storage.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        22,
        "storage.k8s.io/v1",
    ),
    ("storage.k8s.io/v1beta1", "CSINode", 22, "storage.k8s.io/v1"),
    ("batch/v1beta1", "CronJob", 25, "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget", 25, "policy/v1"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        25,
        "Pod Security Admission",
    ),
    ("autoscaling/v2beta1", "*", 25, "autoscaling/v2"),
    ("autoscaling/v2beta2", "*", 26, "autoscaling/v2"),
    ("discovery.k8s.io/v1beta1", "*", 25, "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", "*", 25, "events.k8s.io/v1"),
];

/// The API version that took over the objects of a removed `api_version`
/// and `kind` (`extensions/v1beta1` Deployments are `apps/v1` ones).
pub(crate) fn successor(api_version: &str, kind: &str) -> Option<&'static str> {
    removal(api_version, kind).map(|(_, _, _, replacement)| *replacement)
}

fn removal(
    api_version: &str,
    kind: &str,
) -> Option<&'static (&'static str, &'static str, u32, &'static str)> {
    REMOVED
        .iter()
        .find(|(av, k, _, _)| *av == api_version && (*k == "*" || *k == kind))
}

/// Why `api_version`/`kind` is not served, given what the cluster serves.
pub(crate) fn hint(catalog: &Catalog, api_version: &str, kind: &str) -> String {
    if let Some((_, _, minor, replacement)) = removal(api_version, kind) {
        return format!(
            "Kubernetes >= 1.{minor} no longer serves it; the manifest needs {replacement}, \
             so this hop must run on an older Kubernetes"
        );
    }
    let (group, version) = split_api_version(api_version);
    let served = catalog.versions_of(group);
    let shown = if group.is_empty() {
        "the core API"
    } else {
        group
    };
    if served.iter().any(|v| v == version) {
        format!("{api_version} on this cluster has no kind {kind}")
    } else if !served.is_empty() {
        format!("this cluster serves {shown} only as {}", served.join(", "))
    } else {
        format!("no API group {group} on this cluster: install the CustomResourceDefinition for {kind} first")
    }
}

/// Objects of `objects` the cluster cannot accept: their kind is not served
/// and no servable CRD among `defined_by` defines it.
pub(crate) fn unservable(
    catalog: &Catalog,
    objects: &[DynamicObject],
    defined_by: &[DynamicObject],
) -> Vec<Unservable> {
    let servable = |o: &DynamicObject| {
        let (api_version, kind) = type_of(o);
        catalog.resolve(api_version, kind).is_some()
    };
    let crds: Vec<(&DynamicObject, Vec<DefinedKind>)> = defined_by
        .iter()
        .filter(|o| is_crd(o))
        .map(|crd| (crd, defined_kinds(crd)))
        .collect();
    let defining = |api_version: &str, kind: &str| {
        crds.iter().find(|(_, kinds)| {
            kinds
                .iter()
                .any(|k| k.kind == kind && k.api_version() == api_version)
        })
    };
    objects
        .iter()
        .filter(|o| !servable(o))
        .filter_map(|o| {
            let (api_version, kind) = type_of(o);
            let hint = match defining(api_version, kind) {
                Some((crd, _)) if servable(crd) => return None,
                Some((crd, _)) => format!(
                    "it is defined by CustomResourceDefinition {}, which this cluster cannot accept either",
                    crd.name_any()
                ),
                None => hint(catalog, api_version, kind),
            };
            Some(Unservable {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
                name: o.name_any(),
                hint,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.insert("v1", "ConfigMap", "configmaps", true);
        c.insert("apps/v1", "Deployment", "deployments", true);
        c.insert(
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            false,
        );
        c.insert("example.com/v2", "Thing", "things", true);
        c
    }

    #[test]
    fn hints_name_the_removal_or_what_is_served() {
        let c = catalog();
        assert!(hint(
            &c,
            "apiextensions.k8s.io/v1beta1",
            "CustomResourceDefinition"
        )
        .starts_with(
            "Kubernetes >= 1.22 no longer serves it; the manifest needs apiextensions.k8s.io/v1"
        ));
        assert!(hint(&c, "extensions/v1beta1", "Ingress").starts_with("Kubernetes >= 1.22"));
        assert!(hint(&c, "extensions/v1beta1", "Deployment").starts_with("Kubernetes >= 1.16"));
        assert_eq!(
            hint(&c, "example.com/v1", "Thing"),
            "this cluster serves example.com only as v2"
        );
        assert_eq!(
            hint(&c, "v1", "Widget"),
            "v1 on this cluster has no kind Widget"
        );
        assert_eq!(
            hint(&c, "other.io/v1", "Gadget"),
            "no API group other.io on this cluster: install the CustomResourceDefinition for Gadget first"
        );
    }

    #[test]
    fn removed_apis_name_their_successor() {
        assert_eq!(
            successor("extensions/v1beta1", "Deployment"),
            Some("apps/v1")
        );
        assert_eq!(
            successor("extensions/v1beta1", "Ingress"),
            Some("networking.k8s.io/v1")
        );
        assert_eq!(successor("apps/v1", "Deployment"), None);
    }

    #[test]
    fn a_crd_of_the_same_hop_makes_its_kind_servable() {
        let c = catalog();
        let objects = super::super::yaml::parse_documents(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
             metadata: {name: gadgets.other.io}\n\
             spec: {group: other.io, scope: Namespaced, names: {kind: Gadget, plural: gadgets},\n\
               versions: [{name: v1, served: true}]}\n\
             ---\napiVersion: other.io/v1\nkind: Gadget\nmetadata: {name: g}\n\
             ---\napiVersion: other.io/v2\nkind: Gadget\nmetadata: {name: h}\n",
            "t",
        )
        .unwrap();
        let found = unservable(&c, &objects, &objects);
        let names: Vec<_> = found.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["h"], "v2 is not defined by the CRD");
        assert_eq!(unservable(&c, &objects[1..], &[]).len(), 2);
    }
}
