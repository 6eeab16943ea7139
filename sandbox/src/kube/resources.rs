//! Which resource types the simulated API server serves: the built-in table
//! (gated by the simulated Kubernetes minor) and the kinds that Established
//! CustomResourceDefinitions add. Conversions between API versions that
//! share one storage live in `convert`.
//!
//! Storing, routing and discovery documents are left to `store`, `router`
//! and `discovery`.

use serde_json::Value;

/// Verbs of a normal read-write resource.
const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Verbs of a resource the simulator only lets clients read (and delete).
const READ_VERBS: &[&str] = &["delete", "get", "list", "watch"];

/// One served resource in one group/version.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ResourceDef {
    /// API group, empty for core.
    pub group: String,
    /// Version within the group.
    pub version: String,
    /// Plural resource name used in URLs.
    pub plural: String,
    /// Singular name.
    pub singular: String,
    /// Kind of the objects.
    pub kind: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Short names (`cm`, `deploy`).
    pub short_names: Vec<String>,
    /// Categories (`all`).
    pub categories: Vec<String>,
    /// Verbs allowed on the main resource.
    pub verbs: Vec<String>,
    /// True when a `/status` subresource exists.
    pub status: bool,
    /// Group under which objects are stored (shared across API versions).
    pub storage_group: String,
}

impl ResourceDef {
    /// `group/version`, or `version` for core.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// True when clients may create, update and patch objects.
    pub fn writable(&self) -> bool {
        self.verbs.iter().any(|v| v == "create")
    }
}

#[allow(clippy::too_many_arguments)]
fn builtin(
    group: &str,
    version: &str,
    plural: &str,
    kind: &str,
    namespaced: bool,
    short: &[&str],
    status: bool,
    verbs: &[&str],
) -> ResourceDef {
    let storage_group = match group {
        "extensions" => "apps",
        g => g,
    };
    let in_all = matches!(plural, "pods" | "services" | "deployments");
    ResourceDef {
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        singular: kind.to_lowercase(),
        kind: kind.into(),
        namespaced,
        short_names: short.iter().map(|s| s.to_string()).collect(),
        categories: if in_all { vec!["all".into()] } else { vec![] },
        verbs: verbs.iter().map(|s| s.to_string()).collect(),
        status,
        storage_group: storage_group.into(),
    }
}

/// The built-in resources a Kubernetes `1.minor` serves.
pub(crate) fn builtins(minor: u32) -> Vec<ResourceDef> {
    let rw = ALL_VERBS;
    let mut out = vec![
        builtin(
            "",
            "v1",
            "namespaces",
            "Namespace",
            false,
            &["ns"],
            true,
            rw,
        ),
        builtin(
            "",
            "v1",
            "configmaps",
            "ConfigMap",
            true,
            &["cm"],
            false,
            rw,
        ),
        builtin("", "v1", "secrets", "Secret", true, &[], false, rw),
        builtin(
            "",
            "v1",
            "serviceaccounts",
            "ServiceAccount",
            true,
            &["sa"],
            false,
            rw,
        ),
        builtin("", "v1", "services", "Service", true, &["svc"], true, rw),
        builtin("", "v1", "pods", "Pod", true, &["po"], true, READ_VERBS),
        builtin(
            "",
            "v1",
            "limitranges",
            "LimitRange",
            true,
            &["limits"],
            false,
            rw,
        ),
        builtin("", "v1", "events", "Event", true, &["ev"], false, rw),
        builtin(
            "apps",
            "v1",
            "deployments",
            "Deployment",
            true,
            &["deploy"],
            true,
            rw,
        ),
    ];
    if minor <= 15 {
        out.push(builtin(
            "extensions",
            "v1beta1",
            "deployments",
            "Deployment",
            true,
            &["deploy"],
            true,
            rw,
        ));
    }
    let rbac = "rbac.authorization.k8s.io";
    out.push(builtin(
        rbac,
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        false,
        rw,
    ));
    out.push(builtin(
        rbac,
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        false,
        rw,
    ));
    out.push(builtin(rbac, "v1", "roles", "Role", true, &[], false, rw));
    out.push(builtin(
        rbac,
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        false,
        rw,
    ));
    let crd_short: &[&str] = &["crd", "crds"];
    let ext = "apiextensions.k8s.io";
    let crd = "CustomResourceDefinition";
    if minor >= 16 {
        out.push(builtin(
            ext,
            "v1",
            "customresourcedefinitions",
            crd,
            false,
            crd_short,
            true,
            rw,
        ));
    }
    if minor <= 21 {
        out.push(builtin(
            ext,
            "v1beta1",
            "customresourcedefinitions",
            crd,
            false,
            crd_short,
            true,
            rw,
        ));
    }
    out.push(builtin(
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        true,
        &[],
        false,
        rw,
    ));
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// True when a (storage-shaped) CRD carries condition Established=True.
pub(crate) fn crd_established(crd: &Value) -> bool {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| {
            c.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("Established")
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// The resources one stored CRD adds once it is Established (none before).
pub(crate) fn crd_resources(crd: &Value) -> Vec<ResourceDef> {
    if !crd_established(crd) || crd.pointer("/metadata/deletionTimestamp").is_some() {
        return vec![];
    }
    let spec = &crd["spec"];
    let (Some(group), Some(plural), Some(kind)) = (
        spec["group"].as_str(),
        spec.pointer("/names/plural").and_then(Value::as_str),
        spec.pointer("/names/kind").and_then(Value::as_str),
    ) else {
        return vec![];
    };
    let singular = spec
        .pointer("/names/singular")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| kind.to_lowercase());
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    versions
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(true))
        .filter_map(|v| {
            Some(ResourceDef {
                group: group.into(),
                version: v["name"].as_str()?.into(),
                plural: plural.into(),
                singular: singular.clone(),
                kind: kind.into(),
                namespaced: spec["scope"].as_str() != Some("Cluster"),
                short_names: strings(spec.pointer("/names/shortNames")),
                categories: strings(spec.pointer("/names/categories")),
                verbs: ALL_VERBS.iter().map(|s| s.to_string()).collect(),
                status: v.pointer("/subresources/status").is_some(),
                storage_group: group.into(),
            })
        })
        .collect()
}

/// Everything served right now: the built-ins of the configured Kubernetes
/// minor plus the kinds of Established CRDs.
pub(crate) fn served(
    config: &super::ClusterConfig,
    store: &super::store::Store,
) -> Vec<ResourceDef> {
    let mut defs = builtins(config.kubernetes.1);
    for (_, crd) in store.list("apiextensions.k8s.io", "customresourcedefinitions", None) {
        defs.extend(crd_resources(crd));
    }
    defs
}

/// The served resource for a group, version and plural.
pub(crate) fn find<'a>(
    defs: &'a [ResourceDef],
    group: &str,
    version: &str,
    plural: &str,
) -> Option<&'a ResourceDef> {
    defs.iter()
        .find(|d| d.group == group && d.version == version && d.plural == plural)
}
