//! What a CustomResourceDefinition says, read generically so that
//! `apiextensions.k8s.io/v1` and the `v1beta1` of Kyma 1.x manifests are
//! handled alike: the kinds it defines and whether it is Established.
//!
//! Pure functions over objects; applying and waiting are `apply`'s job.

use kube::api::DynamicObject;
use serde_json::Value;

/// The API group of CustomResourceDefinitions.
pub(crate) const CRD_GROUP: &str = "apiextensions.k8s.io";
/// The kind of CustomResourceDefinitions.
pub(crate) const CRD_KIND: &str = "CustomResourceDefinition";

/// One kind a CRD serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefinedKind {
    /// API group.
    pub group: String,
    /// Version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// True unless `spec.scope` is `Cluster`.
    pub namespaced: bool,
}

impl DefinedKind {
    /// `group/version`.
    pub fn api_version(&self) -> String {
        format!("{}/{}", self.group, self.version)
    }
}

/// `(group, version)` of an `apiVersion` (`v1` is the core group).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}

/// The object's `(apiVersion, kind)`, empty strings when absent.
pub(crate) fn type_of(obj: &DynamicObject) -> (&str, &str) {
    obj.types
        .as_ref()
        .map(|t| (t.api_version.as_str(), t.kind.as_str()))
        .unwrap_or(("", ""))
}

/// True for a CustomResourceDefinition of any apiextensions version.
pub(crate) fn is_crd(obj: &DynamicObject) -> bool {
    let (api_version, kind) = type_of(obj);
    kind == CRD_KIND && split_api_version(api_version).0 == CRD_GROUP
}

/// The kinds a CRD serves: every `spec.versions[]` entry not marked
/// `served: false`, plus the v1beta1 `spec.version`.
pub(crate) fn defined_kinds(crd: &DynamicObject) -> Vec<DefinedKind> {
    let spec = &crd.data["spec"];
    let (Some(group), Some(kind)) = (
        spec["group"].as_str(),
        spec.pointer("/names/kind").and_then(Value::as_str),
    ) else {
        return Vec::new();
    };
    let mut versions: Vec<&str> = spec["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["served"].as_bool() != Some(false))
        .filter_map(|v| v["name"].as_str())
        .collect();
    if let Some(v) = spec["version"].as_str() {
        if !versions.contains(&v) {
            versions.push(v);
        }
    }
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    versions
        .into_iter()
        .map(|version| DefinedKind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            namespaced,
        })
        .collect()
}

/// True when `status.conditions` holds `Established` = `True`.
pub(crate) fn is_established(crd: &DynamicObject) -> bool {
    crd.data
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Established" && c["status"] == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(yaml: &str) -> DynamicObject {
        super::super::yaml::parse_documents(yaml, "test")
            .unwrap()
            .remove(0)
    }

    #[test]
    fn v1beta1_and_v1_crds_define_their_kinds() {
        let beta = object(
            "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n\
             metadata: {name: installations.installer.kyma-project.io}\n\
             spec: {group: installer.kyma-project.io, version: v1alpha1, scope: Namespaced,\n\
               names: {kind: Installation, plural: installations}}\n",
        );
        assert!(is_crd(&beta));
        assert_eq!(
            defined_kinds(&beta),
            [DefinedKind {
                group: "installer.kyma-project.io".into(),
                version: "v1alpha1".into(),
                kind: "Installation".into(),
                namespaced: true,
            }]
        );
        let v1 = object(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
             metadata: {name: things.example.com}\n\
             spec: {group: example.com, scope: Cluster, names: {kind: Thing, plural: things},\n\
               versions: [{name: v1, served: true}, {name: v2}, {name: v0, served: false}]}\n",
        );
        let versions: Vec<_> = defined_kinds(&v1)
            .into_iter()
            .map(|k| k.api_version())
            .collect();
        assert_eq!(versions, ["example.com/v1", "example.com/v2"]);
        let cm = object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        assert!(!is_crd(&cm));
        assert!(defined_kinds(&cm).is_empty());
    }

    #[test]
    fn established_is_read_from_conditions() {
        let crd = |status: &str| {
            object(&format!(
                "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n\
                 metadata: {{name: a.b}}\nstatus:\n  conditions:\n\
                 \x20 - {{type: NamesAccepted, status: \"True\"}}\n\
                 \x20 - {{type: Established, status: \"{status}\"}}\n"
            ))
        };
        assert!(is_established(&crd("True")));
        assert!(!is_established(&crd("False")));
        let fresh = object("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b}\n");
        assert!(!is_established(&fresh));
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        assert_eq!(split_api_version("v1"), ("", "v1"));
        assert_eq!(split_api_version("apps/v1"), ("apps", "v1"));
    }
}
