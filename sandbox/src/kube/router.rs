//! URL routing: turns a request path into a `Route` (discovery, OpenAPI,
//! or a resource path with namespace, name and subresource) and its query
//! string into a `Query`. What each route does is left to `handlers`; the
//! axum app that sends every request there is `app`.

use std::collections::HashMap;

/// A resource path, before it is resolved against the served resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourcePath {
    /// API group (empty for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Namespace segment, if any.
    pub namespace: Option<String>,
    /// Plural resource.
    pub plural: String,
    /// Object name, if any.
    pub name: Option<String>,
    /// Subresource, if any.
    pub subresource: Option<String>,
}

/// What a path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/version`.
    Version,
    /// `/healthz`, `/livez`, `/readyz`.
    Health,
    /// `/api`.
    Api,
    /// `/apis`.
    Apis,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`.
    GroupVersion(String, String),
    /// `/openapi/v2` (an empty document: no schemas are served).
    OpenApiV2,
    /// `/openapi/v3`.
    OpenApiIndex,
    /// `/openapi/v3/{api/v1 | apis/g/v}`.
    OpenApiDoc(String),
    /// A resource URL.
    Resource(ResourcePath),
    /// Anything else.
    Unknown,
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if !matches!(*plural, "status" | "finalize") => {
            (Some(ns.to_string()), [&[*plural][..], tail].concat())
        }
        _ => (None, rest.to_vec()),
    };
    match rest.as_slice() {
        [plural, tail @ ..] if tail.len() <= 2 => Route::Resource(ResourcePath {
            group: group.into(),
            version: version.into(),
            namespace,
            plural: plural.to_string(),
            name: tail.first().map(|s| s.to_string()),
            subresource: tail.get(1).map(|s| s.to_string()),
        }),
        _ => Route::Unknown,
    }
}

/// Parsed query parameters.
pub(crate) struct Query(HashMap<String, String>);

impl Query {
    /// Parses a query string (none is an empty query).
    pub(crate) fn parse(q: Option<&str>) -> Self {
        Query(
            url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// A parameter's value.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }

    /// True for `k=true` / `k=1`.
    pub fn flag(&self, k: &str) -> bool {
        matches!(self.get(k), Some("true" | "1"))
    }
}

/// Parses a request path.
pub(crate) fn route(path: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::Api,
        ["api", v] => Route::GroupVersion(String::new(), v.to_string()),
        ["api", v, rest @ ..] => resource("", v, rest),
        ["apis"] => Route::Apis,
        ["apis", g] => Route::Group(g.to_string()),
        ["apis", g, v] => Route::GroupVersion(g.to_string(), v.to_string()),
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiIndex,
        ["openapi", "v3", rest @ ..] => Route::OpenApiDoc(rest.join("/")),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("/api/v1"),
            Route::GroupVersion("".into(), "v1".into())
        );
        let Route::Resource(r) =
            route("/apis/apps/v1/namespaces/kyma-installer/deployments/x/status")
        else {
            panic!("not a resource")
        };
        assert_eq!(r.namespace.as_deref(), Some("kyma-installer"));
        assert_eq!(
            (
                r.plural.as_str(),
                r.name.as_deref(),
                r.subresource.as_deref()
            ),
            ("deployments", Some("x"), Some("status"))
        );
        let Route::Resource(ns) = route("/api/v1/namespaces/default") else {
            panic!()
        };
        assert_eq!(
            (ns.plural.as_str(), ns.name.as_deref(), ns.namespace),
            ("namespaces", Some("default"), None)
        );
        let Route::Resource(st) = route("/api/v1/namespaces/default/status") else {
            panic!()
        };
        assert_eq!(st.subresource.as_deref(), Some("status"));
        assert_eq!(
            route("/openapi/v3/apis/apps/v1"),
            Route::OpenApiDoc("apis/apps/v1".into())
        );
    }
}
