//! Patch documents: JSON merge patch (RFC 7386, also used for strategic
//! merge patches, whose `$` directives are dropped) and JSON patch
//! (RFC 6902). Pure functions on JSON values; field ownership is left to
//! `apply`.

use serde_json::Value;

/// Applies a JSON merge patch; with `strategic`, `$`-directive keys are ignored.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value, strategic: bool) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Some(map) = target.as_object_mut() else {
        return;
    };
    for (k, v) in patch {
        if strategic && k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            map.remove(k);
        } else {
            merge_patch(map.entry(k.clone()).or_insert(Value::Null), v, strategic);
        }
    }
}

/// Why a JSON patch did not apply.
#[derive(Debug, thiserror::Error, PartialEq)]
pub(crate) enum JsonPatchError {
    /// The document is not a list of operations.
    #[error("the JSON patch is not a list of operations")]
    NotAList,
    /// An operation is malformed or unknown.
    #[error("JSON patch operation {0} is malformed")]
    Malformed(usize),
    /// A path does not exist.
    #[error("JSON patch path `{0}` does not exist")]
    Missing(String),
    /// A `test` operation failed.
    #[error("JSON patch test on `{0}` failed")]
    TestFailed(String),
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn parent_and_last<'a>(
    doc: &'a mut Value,
    path: &str,
) -> Result<(&'a mut Value, String), JsonPatchError> {
    let mut toks = tokens(path);
    let last = toks
        .pop()
        .ok_or_else(|| JsonPatchError::Missing(path.into()))?;
    let parent = doc
        .pointer_mut(&toks.iter().fold(String::new(), |acc, t| {
            acc + "/" + &t.replace('~', "~0").replace('/', "~1")
        }))
        .ok_or_else(|| JsonPatchError::Missing(path.into()))?;
    Ok((parent, last))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), JsonPatchError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent_and_last(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
        }
        Value::Array(a) => {
            let idx = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|i| *i <= a.len())
                    .ok_or_else(|| JsonPatchError::Missing(path.into()))?
            };
            a.insert(idx, value);
        }
        _ => return Err(JsonPatchError::Missing(path.into())),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, JsonPatchError> {
    let (parent, last) = parent_and_last(doc, path)?;
    let missing = || JsonPatchError::Missing(path.into());
    match parent {
        Value::Object(m) => m.remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let idx = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < a.len())
                .ok_or_else(missing)?;
            Ok(a.remove(idx))
        }
        _ => Err(missing()),
    }
}

/// Applies an RFC 6902 JSON patch.
pub(crate) fn json_patch(doc: &mut Value, patch: &Value) -> Result<(), JsonPatchError> {
    let ops = patch.as_array().ok_or(JsonPatchError::NotAList)?;
    for (i, op) in ops.iter().enumerate() {
        let field = |k: &str| op.get(k).and_then(Value::as_str);
        let (Some(name), Some(path)) = (field("op"), field("path")) else {
            return Err(JsonPatchError::Malformed(i));
        };
        let value = || op.get("value").cloned().ok_or(JsonPatchError::Malformed(i));
        match name {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                remove(doc, path)?;
                add(doc, path, value()?)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(JsonPatchError::TestFailed(path.into()));
                }
            }
            "move" | "copy" => {
                let from = field("from").ok_or(JsonPatchError::Malformed(i))?;
                let v = if name == "move" {
                    remove(doc, from)?
                } else {
                    doc.pointer(from)
                        .cloned()
                        .ok_or_else(|| JsonPatchError::Missing(from.into()))?
                };
                add(doc, path, v)?;
            }
            _ => return Err(JsonPatchError::Malformed(i)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_sets_and_removes() {
        let mut doc = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        merge_patch(
            &mut doc,
            &json!({"metadata": {"labels": {"a": null, "c": "3"}, "$retainKeys": []}}),
            true,
        );
        assert_eq!(doc, json!({"metadata": {"labels": {"b": "2", "c": "3"}}}));
    }

    #[test]
    fn json_patch_ops_and_test_failure() {
        let mut doc = json!({"a": [1, 2], "b": {"c": "x"}});
        json_patch(
            &mut doc,
            &json!([{"op": "add", "path": "/a/-", "value": 3},
                    {"op": "replace", "path": "/b/c", "value": "y"},
                    {"op": "move", "from": "/b/c", "path": "/d"},
                    {"op": "test", "path": "/d", "value": "y"}]),
        )
        .unwrap();
        assert_eq!(doc, json!({"a": [1, 2, 3], "b": {}, "d": "y"}));
        let err = json_patch(
            &mut doc,
            &json!([{"op": "test", "path": "/d", "value": "z"}]),
        );
        assert_eq!(err, Err(JsonPatchError::TestFailed("/d".into())));
    }
}
