//! Multi-document YAML manifests to Kubernetes objects: file order kept,
//! empty documents skipped, every document checked for `apiVersion`, `kind`
//! and `metadata.name` before anything is sent.
//!
//! Resolving kinds against the cluster is `apply`'s job.

use super::error::ClusterError;
use kube::api::DynamicObject;
use serde_json::Value;

/// Parses multi-document YAML into objects in file order; skips empty
/// documents; each must have apiVersion, kind, metadata.name (the error names
/// the file `origin` and the document's position among the non-empty ones).
/// Plain block-style manifests are read by [`plain_yaml`](super::plain_yaml)
/// (several times faster); anything else by serde-saphyr, with the same result.
pub fn parse_documents(text: &str, origin: &str) -> Result<Vec<DynamicObject>, ClusterError> {
    let documents = match super::plain_yaml::documents(text) {
        Some(documents) => documents,
        None => saphyr_documents(text).map_err(|source| ClusterError::Yaml {
            origin: origin.to_string(),
            source: Box::new(source),
        })?,
    };
    documents
        .into_iter()
        .filter(|doc| !doc.is_null())
        .enumerate()
        .map(|(i, doc)| {
            to_object(doc).map_err(|problem| ClusterError::Document {
                origin: origin.to_string(),
                index: i + 1,
                problem,
            })
        })
        .collect()
}

/// Every document of `text` (empty ones as null), read by serde-saphyr.
pub(crate) fn saphyr_documents(text: &str) -> Result<Vec<Value>, serde_saphyr::Error> {
    serde_saphyr::from_multiple_with_options(text, options())
}

/// Parser limits sized for product manifests (thousands of documents, deep
/// CRD schemas); the alias and anchor limits against expansion bombs stay.
fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_documents = 1_000_000;
    budget.max_nodes = 50_000_000;
    budget.max_events = 200_000_000;
    budget.max_total_scalar_bytes = 1 << 30;
    budget.max_depth = 256;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Checks one document and converts it.
fn to_object(doc: Value) -> Result<DynamicObject, String> {
    let Some(map) = doc.as_object() else {
        return Err("is not a mapping, so not a Kubernetes object".into());
    };
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if text("apiVersion").is_none() {
        return Err("has no apiVersion".into());
    }
    let Some(kind) = text("kind").map(String::from) else {
        return Err("has no kind".into());
    };
    let name = doc.pointer("/metadata/name").and_then(Value::as_str);
    if name.is_none_or(str::is_empty) {
        return Err(format!("{kind} has no metadata.name"));
    }
    serde_json::from_value(doc).map_err(|e| format!("{kind} is malformed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::ResourceExt;

    #[test]
    fn documents_come_back_in_order_without_empty_ones() {
        let text = "---\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n\
                    ---\n# only a comment\n---\napiVersion: apps/v1\nkind: Deployment\n\
                    metadata:\n  name: b\n  namespace: a\nspec:\n  replicas: 2\n...\n";
        let objects = parse_documents(text, "x.yaml").unwrap();
        let names: Vec<_> = objects.iter().map(|o| o.name_any()).collect();
        assert_eq!(names, ["a", "b"]);
        let types = objects[1].types.as_ref().unwrap();
        assert_eq!(
            (types.api_version.as_str(), types.kind.as_str()),
            ("apps/v1", "Deployment")
        );
        assert_eq!(objects[1].namespace().as_deref(), Some("a"));
        assert_eq!(objects[1].data["spec"]["replicas"], 2);
    }

    #[test]
    fn a_document_without_name_is_named_by_file_and_index() {
        let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n\
                    apiVersion: v1\nkind: ConfigMap\nmetadata:\n  namespace: a\n";
        let err = parse_documents(text, "hops/1.1.0/assets/x.yaml").unwrap_err();
        assert_eq!(
            err.to_string(),
            "hops/1.1.0/assets/x.yaml, document 2: ConfigMap has no metadata.name"
        );
        let err = parse_documents("kind: A\nmetadata: {name: a}\n", "f").unwrap_err();
        assert_eq!(err.to_string(), "f, document 1: has no apiVersion");
        let err = parse_documents("- 1\n- 2\n", "f").unwrap_err();
        assert!(err.to_string().contains("not a mapping"), "{err}");
    }

    #[test]
    fn invalid_yaml_names_the_file() {
        let err = parse_documents("a: [1, 2\n", "bad.yaml").unwrap_err();
        assert!(matches!(err, ClusterError::Yaml { ref origin, .. } if origin == "bad.yaml"));
    }

    #[test]
    fn the_generated_kyma_installer_parses() {
        let v: crate::version::Version = "1.15.0".parse().unwrap();
        let text = ferry_sandbox::github::asset_content(&v, "1.15.0", "kyma-installer.yaml");
        let objects = parse_documents(&text, "kyma-installer.yaml").unwrap();
        assert!(objects.len() >= 8, "{}", objects.len());
        assert!(objects
            .iter()
            .any(|o| o.name_any() == "installations.installer.kyma-project.io"));
    }

    #[test]
    fn objects_are_valid_namespaced_first_and_counted() {
        let yaml = ferry_sandbox::github::synthetic_objects_yaml("1.3.0", 1000);
        let objects = parse_documents(&yaml, "objects.yaml").unwrap();
        assert_eq!(objects.len(), 1000);
        let kind = |i: usize| objects[i].types.as_ref().unwrap().kind.clone();
        let namespaces = objects
            .iter()
            .take_while(|o| o.namespace().is_none())
            .count();
        assert_eq!(namespaces, 5);
        assert!((0..namespaces).all(|i| kind(i) == "Namespace"));
        assert!(objects[namespaces..]
            .iter()
            .all(|o| o.namespace().is_some()));
        for k in [
            "ConfigMap",
            "Service",
            "ServiceAccount",
            "Role",
            "RoleBinding",
        ] {
            assert!((0..1000).any(|i| kind(i) == k), "{k}");
        }
        let mut names: Vec<_> = objects
            .iter()
            .map(|o| (kind_of(o), o.namespace(), o.name_any()))
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 1000, "no object twice");
        assert!(objects
            .iter()
            .all(|o| o.labels().get("release").map(String::as_str) == Some("1.3.0")));
    }

    fn kind_of(o: &kube::api::DynamicObject) -> String {
        o.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default()
    }
}
