//! Server-side printing: `meta.k8s.io/v1` Tables for clients that ask for
//! `as=Table` (kubectl's human-readable `get`), with the columns Kubernetes
//! prints for the common kinds and a CRD's `additionalPrinterColumns`.

use super::resources::ResourceDef;
use serde_json::{json, Value};
use std::time::SystemTime;

/// True when the Accept header asks for a Table.
pub(crate) fn wanted(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// kubectl-style age of an RFC 3339 timestamp.
fn age(obj: &Value) -> String {
    let created = obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .and_then(|t| humantime::parse_rfc3339(t).ok());
    let Some(secs) = created
        .and_then(|c| SystemTime::now().duration_since(c).ok())
        .map(|d| d.as_secs())
    else {
        return "<unknown>".into();
    };
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 3 * 3600 => format!("{}m", s / 60),
        s if s < 48 * 3600 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn num(obj: &Value, pointer: &str) -> u64 {
    obj.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

fn count(obj: &Value, field: &str) -> u64 {
    obj.get(field)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len() as u64)
}

/// A printer column: header, type, and how to read the cell.
struct Column {
    name: String,
    kind: &'static str,
    cell: Box<dyn Fn(&Value) -> Value>,
}

fn column(name: &str, kind: &'static str, cell: impl Fn(&Value) -> Value + 'static) -> Column {
    Column {
        name: name.into(),
        kind,
        cell: Box::new(cell),
    }
}

/// Reads a simple `.a.b` JSONPath (CRD printer columns).
fn json_path(obj: &Value, path: &str) -> Value {
    path.trim_start_matches('.')
        .split('.')
        .filter(|s| !s.is_empty())
        .try_fold(obj, |v, k| v.get(k))
        .cloned()
        .unwrap_or(Value::Null)
}

fn builtin_columns(kind: &str) -> Vec<Column> {
    match kind {
        "Namespace" => vec![column("Status", "string", |o| {
            json!(o.pointer("/status/phase"))
        })],
        "ConfigMap" => vec![column("Data", "integer", |o| {
            json!(count(o, "data") + count(o, "binaryData"))
        })],
        "Secret" => vec![
            column("Type", "string", |o| o["type"].clone()),
            column("Data", "integer", |o| json!(count(o, "data"))),
        ],
        "Deployment" => vec![
            column("Ready", "string", |o| {
                let want = o
                    .pointer("/spec/replicas")
                    .and_then(Value::as_u64)
                    .unwrap_or(1);
                json!(format!("{}/{want}", num(o, "/status/readyReplicas")))
            }),
            column("Up-to-date", "integer", |o| {
                json!(num(o, "/status/updatedReplicas"))
            }),
            column("Available", "integer", |o| {
                json!(num(o, "/status/availableReplicas"))
            }),
        ],
        "Pod" => vec![
            column("Ready", "string", |o| {
                let statuses = o
                    .pointer("/status/containerStatuses")
                    .and_then(Value::as_array);
                let total = statuses.map_or(0, Vec::len);
                let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
                json!(format!("{ready}/{total}"))
            }),
            column("Status", "string", |o| json!(o.pointer("/status/phase"))),
            column("Restarts", "integer", |_| json!(0)),
        ],
        "Service" => vec![
            column("Type", "string", |o| {
                json!(o
                    .pointer("/spec/type")
                    .and_then(Value::as_str)
                    .unwrap_or("ClusterIP"))
            }),
            column("Cluster-IP", "string", |o| {
                json!(o
                    .pointer("/spec/clusterIP")
                    .and_then(Value::as_str)
                    .unwrap_or("<none>"))
            }),
        ],
        _ => vec![],
    }
}

fn crd_columns(crd: Option<&Value>, version: &str) -> Vec<Column> {
    let columns = crd
        .and_then(|c| c.pointer("/spec/versions"))
        .and_then(Value::as_array)
        .and_then(|vs| vs.iter().find(|v| v["name"] == version))
        .and_then(|v| v.get("additionalPrinterColumns"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    columns
        .into_iter()
        .filter_map(|c| {
            let name = c["name"].as_str()?.to_string();
            let path = c["jsonPath"].as_str()?.to_string();
            Some(Column {
                name,
                kind: "string",
                cell: Box::new(move |o| json_path(o, &path)),
            })
        })
        .collect()
}

/// A Table of `objects` (already in `def`'s version). `crd` is the
/// defining CRD for custom kinds.
pub(crate) fn table(def: &ResourceDef, crd: Option<&Value>, objects: &[Value], rv: u64) -> Value {
    let mut columns = vec![column("Name", "string", |o| {
        json!(o.pointer("/metadata/name"))
    })];
    columns.extend(if crd.is_some() {
        crd_columns(crd, &def.version)
    } else {
        builtin_columns(&def.kind)
    });
    columns.push(column("Age", "string", |o| json!(age(o))));
    let definitions: Vec<Value> = columns
        .iter()
        .map(|c| {
            let mut d = json!({"name": c.name, "type": c.kind, "format": "", "description": c.name, "priority": 0});
            if c.name == "Name" {
                d["format"] = json!("name");
            }
            d
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let cells: Vec<Value> = columns.iter().map(|c| (c.cell)(o)).collect();
            json!({"cells": cells, "object": {"kind": "PartialObjectMetadata",
                   "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}})
        })
        .collect();
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
           "metadata": {"resourceVersion": rv.to_string()},
           "columnDefinitions": definitions, "rows": rows})
}
