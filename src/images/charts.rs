//! Images named in files inside another image, by a profile rule: each YAML
//! mapping that has a convention's fields becomes a reference through the
//! convention's template (Kyma: `{registry}/{dir}{name}:{version}` from a
//! chart's `values.yaml`, `{registry}` from `global.containerRegistry.path`).
//! Finding the files inside the image is `registry`'s job.

use super::NeededSet;
use crate::profile::{Convention, FileRule};
use serde_json::Value;

/// A rule's file that is not YAML.
#[derive(Debug, thiserror::Error)]
#[error("{origin} is not valid YAML, so the images it names cannot be read")]
pub struct ChartError {
    /// The file, and the image it is in.
    pub origin: String,
    /// The parser's message.
    #[source]
    pub source: Box<serde_saphyr::Error>,
}

/// Adds the images that YAML file `text` (`origin` names it in reasons)
/// names under `rule`.
pub fn add_file_images(
    rule: &FileRule,
    text: &str,
    origin: &str,
    found: &mut NeededSet,
) -> Result<(), ChartError> {
    let root: Value = serde_saphyr::from_str(text).map_err(|source| ChartError {
        origin: origin.to_string(),
        source: Box::new(source),
    })?;
    let registry = rule
        .registry_key
        .as_deref()
        .and_then(|key| lookup(&root, key))
        .or_else(|| rule.default_registry.clone());
    let mut path = Vec::new();
    walk(&root, &mut path, &mut |mapping, path| {
        for convention in &rule.conventions {
            if let Some(reference) = build(convention, mapping, registry.as_deref()) {
                let at = if path.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", path.join("."))
                };
                found.add(&reference, format!("{origin}{at}"));
                break;
            }
        }
    });
    Ok(())
}

/// A YAML mapping.
type Mapping = serde_json::Map<String, Value>;

/// Calls `visit` on every mapping of the tree, depth first, with its key path.
fn walk<'a>(value: &'a Value, path: &mut Vec<&'a str>, visit: &mut dyn FnMut(&Mapping, &[&str])) {
    match value {
        Value::Object(mapping) => {
            visit(mapping, path);
            for (key, child) in mapping {
                path.push(key);
                walk(child, path, visit);
                path.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, path, visit);
            }
        }
        _ => {}
    }
}

/// The reference `convention` builds from `mapping`, when it fits.
fn build(convention: &Convention, mapping: &Mapping, registry: Option<&str>) -> Option<String> {
    let mut reference = convention.template.clone();
    for field in &convention.fields {
        let value = scalar(mapping.get(field)?)?;
        if value.is_empty() {
            return None;
        }
        reference = reference.replace(&format!("{{{field}}}"), &value);
    }
    for field in &convention.optional {
        let value = mapping.get(field).and_then(scalar).unwrap_or_default();
        reference = reference.replace(&format!("{{{field}}}"), &value);
    }
    if reference.contains("{registry}") {
        reference = reference.replace("{registry}", registry?.trim_end_matches('/'));
    }
    Some(reference)
}

/// A string, number or boolean as text; None for mappings, lists and null.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// The string at dotted `key` (`global.containerRegistry.path`).
fn lookup(root: &Value, key: &str) -> Option<String> {
    key.split('.')
        .try_fold(root, |value, part| value.get(part))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    const VALUES: &str = r#"
global:
  containerRegistry:
    path: eu.gcr.io/kyma-project
  helm_broker:
    dir: ""
    name: helm-broker
    version: "1.1.0"
  connector:
    dir: develop/
    name: application-connector
    version: "a1b2c3"
grafana:
  image:
    repository: eu.gcr.io/kyma-project/tpi/grafana
    tag: "7.0.6"
tests:
  image: docker.io/library/busybox:1.31
  unrelated: {name: only-a-name}
"#;

    fn kyma_rule() -> FileRule {
        Profile::load("kyma").unwrap().images.from_files[0].clone()
    }

    #[test]
    fn the_kyma_conventions_name_every_image_of_a_chart() {
        let mut found = NeededSet::default();
        add_file_images(&kyma_rule(), VALUES, "values.yaml in X", &mut found).unwrap();
        let found = found.into_vec();
        let names: Vec<&str> = found.iter().map(|n| n.reference.as_str()).collect();
        assert_eq!(
            names,
            [
                "eu.gcr.io/kyma-project/develop/application-connector:a1b2c3",
                "eu.gcr.io/kyma-project/helm-broker:1.1.0",
                "eu.gcr.io/kyma-project/tpi/grafana:7.0.6",
                "docker.io/library/busybox:1.31",
            ]
        );
        assert_eq!(found[1].reasons, ["values.yaml in X at global.helm_broker"]);
    }

    #[test]
    fn without_the_registry_key_the_default_registry_fills_in() {
        let mut found = NeededSet::default();
        let text = "helm_broker: {dir: '', name: helm-broker, version: '2'}\n";
        add_file_images(&kyma_rule(), text, "v.yaml", &mut found).unwrap();
        assert!(found.contains("eu.gcr.io/kyma-project/helm-broker:2"));
    }

    #[test]
    fn a_file_that_is_not_yaml_is_named() {
        let err = add_file_images(
            &kyma_rule(),
            "a: [",
            "bad.yaml in X",
            &mut NeededSet::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("bad.yaml in X"), "{err}");
    }
}
