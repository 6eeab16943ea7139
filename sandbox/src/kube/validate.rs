//! Structural validation of written objects: the checks Kubernetes answers
//! 422 Invalid for (names, ConfigMap data, Deployment selectors, CRD
//! names). Schema validation of custom resources is not simulated.

use super::resources::ResourceDef;
use super::status::ApiError;
use serde_json::Value;

/// Structural checks Kubernetes would answer 422 for.
pub(crate) fn validate(def: &ResourceDef, obj: &Value) -> Result<(), ApiError> {
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let invalid =
        |field: &str, why: &str| Err(ApiError::invalid(&def.group, &def.kind, name, field, why));
    let dns = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && !s.starts_with(['-', '.'])
            && !s.ends_with(['-', '.'])
    };
    if !dns(name) {
        return invalid("metadata.name", "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
    }
    match def.kind.as_str() {
        "ConfigMap" | "Secret" => {
            for field in ["data", "stringData"] {
                if let Some(data) = obj.get(field).and_then(Value::as_object) {
                    if let Some((k, _)) = data.iter().find(|(_, v)| !v.is_string()) {
                        return invalid(&format!("{field}.{k}"), "must be a string");
                    }
                }
            }
        }
        "Deployment" => {
            let selector = obj
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object);
            let Some(selector) = selector else {
                return invalid("spec.selector", "Required value");
            };
            let labels = obj.pointer("/spec/template/metadata/labels");
            if selector
                .iter()
                .any(|(k, v)| labels.and_then(|l| l.get(k)) != Some(v))
            {
                return invalid(
                    "spec.template.metadata.labels",
                    "`selector` does not match template `labels`",
                );
            }
            let containers = obj
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array);
            if containers.is_none_or(|c| c.is_empty()) {
                return invalid("spec.template.spec.containers", "Required value");
            }
        }
        "CustomResourceDefinition" => {
            let spec = &obj["spec"];
            let (group, plural) = (
                spec["group"].as_str(),
                spec.pointer("/names/plural").and_then(Value::as_str),
            );
            let (Some(group), Some(plural)) = (group, plural) else {
                return invalid("spec", "group and names.plural are required");
            };
            if spec
                .pointer("/names/kind")
                .and_then(Value::as_str)
                .is_none()
            {
                return invalid("spec.names.kind", "Required value");
            }
            if name != format!("{plural}.{group}") {
                return invalid(
                    "metadata.name",
                    "must be spec.names.plural+\".\"+spec.group",
                );
            }
        }
        _ => {}
    }
    Ok(())
}
