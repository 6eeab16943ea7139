//! The verbs on stored objects, independent of HTTP: get, list, create,
//! update, patch (merge, strategic, JSON, server-side apply) and delete,
//! with validation, identity metadata, dry runs and field ownership.
//!
//! Parsing requests and rendering responses is left to `handlers`.

use super::apply::{server_side_apply, track_update, Writer};
use super::convert::{to_storage, to_version};
use super::objects::{keep_identity, now, stamp_new};
use super::patch::{json_patch, merge_patch};
use super::resources::ResourceDef;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::Key;
use super::validate::validate;
use super::State;
use serde_json::{json, Value};

/// The object(s) a request addresses.
pub(crate) struct Target<'a> {
    /// The resource.
    pub def: &'a ResourceDef,
    /// Namespace from the URL.
    pub namespace: Option<String>,
    /// `status` for the status subresource.
    pub subresource: Option<String>,
}

/// Options of a write.
pub(crate) struct WriteOpts {
    /// Field manager.
    pub manager: String,
    /// `dryRun=All`.
    pub dry_run: bool,
    /// `force=true` (apply).
    pub force: bool,
}

impl Target<'_> {
    fn ns(&self) -> Option<&str> {
        if self.def.namespaced {
            self.namespace.as_deref()
        } else {
            None
        }
    }

    fn key(&self, name: &str) -> Key {
        Key::new(&self.def.storage_group, &self.def.plural, self.ns(), name)
    }

    fn not_found(&self, name: &str) -> ApiError {
        ApiError::not_found(&self.def.group, &self.def.plural, name)
    }

    fn status_sub(&self) -> bool {
        self.subresource.as_deref() == Some("status")
    }

    fn writer<'a>(&'a self, opts: &'a WriteOpts, now: &'a str, api_version: &'a str) -> Writer<'a> {
        Writer {
            manager: &opts.manager,
            api_version,
            subresource: if self.status_sub() { "status" } else { "" },
            status_subresource: self.def.status,
            now,
        }
    }
}

fn stored(state: &State, t: &Target<'_>, name: &str) -> Result<Value, ApiError> {
    let obj = state
        .store
        .get(&t.key(name))
        .ok_or_else(|| t.not_found(name))?;
    Ok(to_version(t.def, obj.clone()))
}

/// GET one object.
pub(crate) fn get(state: &State, t: &Target<'_>, name: &str) -> Result<Value, ApiError> {
    stored(state, t, name)
}

/// LIST objects as a `<Kind>List`.
pub(crate) fn list(
    state: &State,
    t: &Target<'_>,
    labels: &LabelSelector,
    fields: &FieldSelector,
) -> Value {
    let items: Vec<Value> = state
        .store
        .list(&t.def.storage_group, &t.def.plural, t.ns())
        .into_iter()
        .map(|(_, v)| to_version(t.def, v.clone()))
        .filter(|v| labels.matches(v) && fields.matches(v))
        .collect();
    json!({
        "kind": format!("{}List", t.def.kind), "apiVersion": t.def.api_version(),
        "metadata": {"resourceVersion": state.store.rv().to_string()}, "items": items,
    })
}

fn check_kind(t: &Target<'_>, body: &Value) -> Result<(), ApiError> {
    let api_version = body["apiVersion"].as_str().unwrap_or_default();
    let kind = body["kind"].as_str().unwrap_or_default();
    if api_version != t.def.api_version() || kind != t.def.kind {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) or kind ({kind}) does not match the \
             expected API version ({}) and kind ({})",
            t.def.api_version(),
            t.def.kind
        )));
    }
    Ok(())
}

/// Puts the namespace from the URL into the body, or rejects a mismatch.
fn place(t: &Target<'_>, body: &mut Value) -> Result<(), ApiError> {
    if !body["metadata"].is_object() {
        body["metadata"] = json!({});
    }
    let meta = &mut body["metadata"];
    if !t.def.namespaced {
        if let Some(m) = meta.as_object_mut() {
            m.remove("namespace");
        }
        return Ok(());
    }
    let url_ns = t.namespace.as_deref().ok_or_else(|| {
        ApiError::bad_request("a namespaced object must be written under /namespaces/{namespace}/")
    })?;
    match meta["namespace"].as_str() {
        Some(ns) if !ns.is_empty() && ns != url_ns => Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        )),
        _ => {
            meta["namespace"] = json!(url_ns);
            Ok(())
        }
    }
}

fn require_namespace(state: &State, t: &Target<'_>) -> Result<(), ApiError> {
    if let Some(ns) = t.ns() {
        if state
            .store
            .get(&Key::new("", "namespaces", None, ns))
            .is_none()
        {
            return Err(ApiError::not_found("", "namespaces", ns));
        }
    }
    Ok(())
}

/// Fills server-set fields of a brand-new object.
fn initialise(state: &mut State, def: &ResourceDef, obj: &mut Value) {
    state.uid_counter += 1;
    stamp_new(obj, state.uid_counter);
    if def.status {
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    if def.kind == "Namespace" {
        obj["status"] = json!({"phase": "Active"});
    }
}

/// Stores the result of a write (unless dry run or a no-op) and returns it.
fn commit(
    state: &mut State,
    t: &Target<'_>,
    old: Option<&Value>,
    new: Value,
    dry_run: bool,
) -> Result<Value, ApiError> {
    validate(t.def, &new)?;
    if old == Some(&new) || dry_run {
        return Ok(new);
    }
    let key = t.key(super::objects::name(&new));
    let stored = state.store.put(key, to_storage(t.def, new));
    Ok(to_version(t.def, stored))
}

/// POST: create an object.
pub(crate) fn create(
    state: &mut State,
    t: &Target<'_>,
    mut body: Value,
    opts: &WriteOpts,
) -> Result<Value, ApiError> {
    check_kind(t, &body)?;
    place(t, &mut body)?;
    if body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .is_empty()
    {
        if let Some(prefix) = body
            .pointer("/metadata/generateName")
            .and_then(Value::as_str)
        {
            let name = format!(
                "{prefix}{}",
                super::objects::random_hex(state.uid_counter, 5)
            );
            body["metadata"]["name"] = json!(name);
        }
    }
    let name = super::objects::name(&body).to_string();
    require_namespace(state, t)?;
    if state.store.get(&t.key(&name)).is_some() {
        return Err(ApiError::already_exists(&t.def.group, &t.def.plural, &name));
    }
    initialise(state, t.def, &mut body);
    let now = now();
    let api_version = t.def.api_version();
    let writer = t.writer(opts, &now, &api_version);
    track_update(None, &mut body, &writer);
    commit(state, t, None, body, opts.dry_run)
}

/// Combines a main-resource or status write with the current object.
fn scoped(t: &Target<'_>, old: &Value, mut new: Value) -> Value {
    if t.status_sub() {
        let mut merged = old.clone();
        merged["status"] = new.get("status").cloned().unwrap_or(Value::Null);
        return merged;
    }
    if t.def.status {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    new
}

/// PUT: replace an object (stale resourceVersion -> 409).
pub(crate) fn update(
    state: &mut State,
    t: &Target<'_>,
    name: &str,
    mut body: Value,
    opts: &WriteOpts,
) -> Result<Value, ApiError> {
    check_kind(t, &body)?;
    place(t, &mut body)?;
    let old = stored(state, t, name)?;
    if super::objects::name(&body) != name {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let sent_rv = body
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str);
    let old_rv = old
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str);
    if sent_rv.is_some_and(|rv| Some(rv) != old_rv) {
        return Err(ApiError::stale(&t.def.group, &t.def.plural, name));
    }
    let mut new = scoped(t, &old, body);
    keep_identity(&old, &mut new);
    finish_update(state, t, &old, new, opts)
}

fn finish_update(
    state: &mut State,
    t: &Target<'_>,
    old: &Value,
    mut new: Value,
    opts: &WriteOpts,
) -> Result<Value, ApiError> {
    let now = now();
    let api_version = t.def.api_version();
    let writer = t.writer(opts, &now, &api_version);
    track_update(Some(old), &mut new, &writer);
    commit(state, t, Some(old), new, opts.dry_run)
}

/// The patch types Kubernetes accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PatchKind {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/json-patch+json`.
    Json,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

/// PATCH: returns the object and whether it was created (apply only).
pub(crate) fn patch(
    state: &mut State,
    t: &Target<'_>,
    name: &str,
    kind: PatchKind,
    body: Value,
    opts: &WriteOpts,
) -> Result<(Value, bool), ApiError> {
    if kind == PatchKind::Apply {
        return apply(state, t, name, body, opts);
    }
    let old = stored(state, t, name)?;
    let mut new = old.clone();
    match kind {
        PatchKind::Json => json_patch(&mut new, &body).map_err(|e| {
            ApiError::invalid(&t.def.group, &t.def.kind, name, "patch", &e.to_string())
        })?,
        _ => merge_patch(&mut new, &body, kind == PatchKind::Strategic),
    }
    let sent_rv = body
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str);
    if sent_rv.is_some_and(|rv| {
        Some(rv)
            != old
                .pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
    }) {
        return Err(ApiError::stale(&t.def.group, &t.def.plural, name));
    }
    new["metadata"]["name"] = json!(name);
    let mut new = scoped(t, &old, new);
    keep_identity(&old, &mut new);
    Ok((finish_update(state, t, &old, new, opts)?, false))
}

fn apply(
    state: &mut State,
    t: &Target<'_>,
    name: &str,
    mut body: Value,
    opts: &WriteOpts,
) -> Result<(Value, bool), ApiError> {
    if opts.manager.is_empty() {
        return Err(ApiError::invalid(
            "meta.k8s.io",
            "PatchOptions",
            "",
            "fieldManager",
            "Required value: is required for apply patch",
        ));
    }
    check_kind(t, &body)?;
    place(t, &mut body)?;
    if super::objects::name(&body) != name {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let old = stored(state, t, name).ok();
    let base = match &old {
        Some(o) => o.clone(),
        None => {
            require_namespace(state, t)?;
            let mut skeleton = json!({"apiVersion": t.def.api_version(), "kind": t.def.kind,
                "metadata": {"name": name}});
            place(t, &mut skeleton)?;
            initialise(state, t.def, &mut skeleton);
            skeleton
        }
    };
    let now = now();
    let api_version = t.def.api_version();
    let writer = t.writer(opts, &now, &api_version);
    let mut new = server_side_apply(&base, &body, &writer, opts.force)
        .map_err(|c| ApiError::apply_conflicts(&t.def.group, &t.def.plural, name, &c))?;
    match &old {
        Some(o) => keep_identity(o, &mut new),
        None => {
            if t.def.kind == "Namespace" {
                new["status"] = json!({"phase": "Active"});
            }
        }
    }
    let created = old.is_none();
    Ok((commit(state, t, old.as_ref(), new, opts.dry_run)?, created))
}

/// DELETE: objects with finalizers get a deletionTimestamp, others vanish.
pub(crate) fn delete(
    state: &mut State,
    t: &Target<'_>,
    name: &str,
    dry_run: bool,
) -> Result<Value, ApiError> {
    let old = stored(state, t, name)?;
    if dry_run || old.pointer("/metadata/deletionTimestamp").is_some() {
        return Ok(old);
    }
    let key = t.key(name);
    let contents = |k: &Key| match t.def.kind.as_str() {
        "Namespace" => k.namespace == name,
        "CustomResourceDefinition" => {
            let spec = &old["spec"];
            Some(k.group.as_str()) == spec["group"].as_str()
                && Some(k.plural.as_str()) == spec.pointer("/names/plural").and_then(Value::as_str)
        }
        _ => false,
    };
    // Namespaces take their objects along, CRDs their custom resources.
    let inside: Vec<Key> = state
        .store
        .all()
        .map(|(k, _)| k)
        .filter(|k| contents(k))
        .cloned()
        .collect();
    for k in inside {
        state.store.remove(&k);
    }
    let mut doomed = old.clone();
    doomed["metadata"]["deletionTimestamp"] = json!(now());
    if t.def.kind == "Deployment" {
        // The simulated garbage collector takes a moment (see `controller`).
        let finalizers = doomed["metadata"]["finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !finalizers.contains(&json!("foregroundDeletion")) {
            let mut f = finalizers;
            f.push(json!("foregroundDeletion"));
            doomed["metadata"]["finalizers"] = json!(f);
        }
    }
    if t.def.kind == "Namespace" {
        doomed["status"] = json!({"phase": "Terminating"});
    }
    let stored = state.store.put(key, to_storage(t.def, doomed));
    Ok(to_version(t.def, stored))
}
