//! Tests for the overrides merge: decisions, object handling, JSON round
//! trips, Kyma's real config assets and randomized properties.

mod decisions;
mod kyma;
mod objects;
mod props;

use super::{OverrideKind, OverrideObject};
use std::collections::BTreeMap;

/// An override object in `kyma-installer` with the overrides label.
fn obj(kind: OverrideKind, name: &str, data: &[(&str, &str)]) -> OverrideObject {
    OverrideObject {
        kind,
        namespace: "kyma-installer".into(),
        name: name.into(),
        labels: BTreeMap::from([("installer".to_string(), "overrides".to_string())]),
        data: data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// A ConfigMap override.
fn cm(name: &str, data: &[(&str, &str)]) -> OverrideObject {
    obj(OverrideKind::ConfigMap, name, data)
}
