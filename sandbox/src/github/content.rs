//! Generated release contents for the Kyma catalogue: installer manifests, the
//! Installation resource, overrides and release notes (repository files are
//! in `repo_files.rs`). Deterministic (same version in, same bytes out), valid
//! multi-document YAML / Markdown. Knows nothing about HTTP or releases.

use ferry_formats::version::Version;

/// Registry of the installer image.
const INSTALLER_IMAGE: &str = "eu.gcr.io/kyma-project/kyma-installer";

/// True from `major.minor` on.
pub(crate) fn since(v: &Version, major: u64, minor: u64) -> bool {
    (v.major, v.minor) >= (major, minor)
}

/// The installer alone: namespace, limits, CRDs, RBAC and the Deployment.
pub(crate) fn installer(v: &Version, tag: &str) -> String {
    let deployment_api = if since(v, 1, 10) {
        "apps/v1"
    } else {
        "extensions/v1beta1"
    };
    let memory = if since(v, 1, 15) { "512Mi" } else { "256Mi" };
    format!(
        r#"---
apiVersion: v1
kind: Namespace
metadata:
  name: kyma-installer
  labels:
    istio-injection: disabled
    kyma-project.io/installation: ""
---
apiVersion: v1
kind: LimitRange
metadata:
  name: kyma-default
  namespace: kyma-installer
  labels:
    kyma-project.io/installation: ""
spec:
  limits:
  - type: Container
    max:
      memory: 1024Mi
    default:
      memory: 96Mi
    defaultRequest:
      memory: 32Mi
---
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: installations.installer.kyma-project.io
  labels:
    kyma-project.io/installation: ""
spec:
  group: installer.kyma-project.io
  version: v1alpha1
  scope: Namespaced
  names:
    kind: Installation
    singular: installation
    plural: installations
  subresources:
    status: {{}}
  additionalPrinterColumns:
  - name: State
    type: string
    JSONPath: .status.state
  - name: Description
    type: string
    JSONPath: .status.description
---
apiVersion: apiextensions.k8s.io/v1beta1
kind: CustomResourceDefinition
metadata:
  name: releases.release.kyma-project.io
  labels:
    kyma-project.io/installation: ""
spec:
  group: release.kyma-project.io
  version: v1alpha1
  scope: Cluster
  names:
    kind: Release
    singular: release
    plural: releases
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kyma-installer
  namespace: kyma-installer
  labels:
    kyma-project.io/installation: ""
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kyma-installer-reader
  labels:
    kyma-project.io/installation: ""
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- nonResourceURLs: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kyma-installer
  labels:
    kyma-project.io/installation: ""
subjects:
- kind: ServiceAccount
  name: kyma-installer
  namespace: kyma-installer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kyma-installer-reader
---
apiVersion: {deployment_api}
kind: Deployment
metadata:
  name: kyma-installer
  namespace: kyma-installer
  labels:
    kyma-project.io/installation: ""
spec:
  replicas: 1
  selector:
    matchLabels:
      name: kyma-installer
  strategy:
    type: Recreate
  template:
    metadata:
      labels:
        name: kyma-installer
    spec:
      serviceAccountName: kyma-installer
      containers:
      - name: kyma-installer-container
        image: {INSTALLER_IMAGE}:{tag}
        imagePullPolicy: IfNotPresent
        env:
        - name: INST_RESOURCE
          value: kyma-installation
        - name: OVERRIDES_NAMESPACE
          value: kyma-installer
        resources:
          requests:
            memory: 32Mi
          limits:
            memory: {memory}
"#
    )
}

/// Components installed by a version, with their namespaces.
fn components(v: &Version, cluster: bool) -> Vec<(&'static str, &'static str)> {
    let mut list = vec![
        ("cluster-essentials", "kyma-system"),
        ("testing", "kyma-system"),
        ("istio", "istio-system"),
    ];
    if !cluster {
        list.push(("xip-patch", "kyma-installer"));
    }
    if !since(v, 1, 10) {
        list.push(("istio-kyma-patch", "istio-system"));
    }
    if !since(v, 1, 14) {
        list.push(("knative-serving", "knative-serving"));
    }
    list.push(("dex", "kyma-system"));
    if since(v, 1, 1) {
        list.push(("ory", "kyma-system"));
    }
    if since(v, 1, 4) {
        list.push(("api-gateway", "kyma-system"));
    }
    list.push(if since(v, 1, 8) {
        ("rafter", "kyma-system")
    } else {
        ("assetstore", "kyma-system")
    });
    list.push(("core", "kyma-system"));
    if since(v, 1, 12) {
        list.push(("console", "kyma-system"));
    }
    list.push(("cluster-users", "kyma-system"));
    if since(v, 1, 10) {
        list.push(("serverless", "kyma-system"));
    }
    list.push(("application-connector", "kyma-integration"));
    if since(v, 1, 15) {
        list.push(("eventing", "kyma-system"));
    } else if since(v, 1, 9) {
        list.push(("knative-eventing", "knative-eventing"));
    }
    list.push(("monitoring", "kyma-system"));
    list.push(("logging", "kyma-system"));
    list
}

/// The Installation resource. `template` keeps the `__VERSION__` / `__URL__`
/// placeholders the 1.15+ `kyma-installer-cr-*.yaml` assets publish.
pub(crate) fn installation(v: &Version, tag: &str, cluster: bool, template: bool) -> String {
    let (version, url) = if template {
        ("__VERSION__".to_string(), "__URL__".to_string())
    } else {
        (
            tag.to_string(),
            format!("https://storage.googleapis.com/kyma-prow-artifacts/{tag}"),
        )
    };
    let namespace = if since(v, 1, 10) {
        "\n  namespace: default"
    } else {
        ""
    };
    let mut out = format!(
        r#"---
apiVersion: installer.kyma-project.io/v1alpha1
kind: Installation
metadata:
  name: kyma-installation{namespace}
  labels:
    action: install
    kyma-project.io/installation: ""
  finalizers:
  - finalizer.installer.kyma-project.io
spec:
  version: "{version}"
  url: "{url}"
  components:
"#
    );
    for (name, ns) in components(v, cluster) {
        out.push_str(&format!("  - name: \"{name}\"\n    namespace: \"{ns}\"\n"));
    }
    out
}

/// Istio release bundled with a Kyma minor.
pub(crate) fn istio_version(v: &Version) -> &'static str {
    match (v.major, v.minor) {
        (0, _) | (1, 0..=2) => "1.0.7",
        (1, 3..=9) => "1.2.10",
        (1, 10..=13) => "1.4.3",
        (1, 14..=19) => "1.5.10",
        _ => "1.8.2",
    }
}

/// `kyma-config-{local,cluster}.yaml`: overrides in `kyma-installer`, some
/// keys stable across versions, some changing with the version.
pub(crate) fn overrides(v: &Version, tag: &str, cluster: bool) -> String {
    let (is_local, domain, tls_crt, tls_key) = if cluster {
        ("false", "__DOMAIN__", "__TLS_CERT__", "__TLS_KEY__")
    } else {
        ("true", "kyma.local", "", "")
    };
    let core_memory = 96 + 8 * v.minor;
    let proxy_memory = if since(v, 1, 14) { "1024Mi" } else { "512Mi" };
    let retention = if since(v, 1, 12) { "2d" } else { "1d" };
    let istio = istio_version(v);
    format!(
        r#"---
apiVersion: v1
kind: ConfigMap
metadata:
  name: installation-config-overrides
  namespace: kyma-installer
  labels:
    installer: overrides
    kyma-project.io/installation: ""
data:
  global.isLocalEnv: "{is_local}"
  global.domainName: "{domain}"
  global.adminPassword: ""
  global.containerRegistry.path: "eu.gcr.io/kyma-project"
  global.istio.gateway.name: "kyma-gateway"
  global.kymaVersion: "{tag}"
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-certificate-overrides
  namespace: kyma-installer
  labels:
    installer: overrides
    kyma-project.io/installation: ""
type: Opaque
stringData:
  global.tlsCrt: "{tls_crt}"
  global.tlsKey: "{tls_key}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: core-overrides
  namespace: kyma-installer
  labels:
    installer: overrides
    component: core
    kyma-project.io/installation: ""
data:
  test.acceptance.ui.logging.enabled: "true"
  console.cluster.headerTitle: "Kyma"
  core.resources.limits.memory: "{core_memory}Mi"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: istio-overrides
  namespace: kyma-installer
  labels:
    installer: overrides
    component: istio
    kyma-project.io/installation: ""
data:
  gateways.istio-ingressgateway.loadBalancerIP: ""
  global.proxy.resources.limits.memory: "{proxy_memory}"
  istio.version: "{istio}"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: monitoring-overrides
  namespace: kyma-installer
  labels:
    installer: overrides
    component: monitoring
    kyma-project.io/installation: ""
data:
  alertmanager.retention: "120h"
  prometheus.retention: "{retention}"
"#
    )
}

/// Release notes (the release body).
pub(crate) fn release_notes(tag: &str, v: Option<&Version>) -> String {
    let Some(v) = v else {
        return format!("Release {tag}.\n");
    };
    let kind = if v.is_prerelease() {
        "This is a release candidate: do not use it in production."
    } else {
        "This release is ready for production use."
    };
    format!(
        "## Kyma {tag}\n\n{kind}\n\n### Highlights\n\n\
         - Components updated for Kyma {major}.{minor}.\n\
         - Istio {istio}.\n\n\
         ### Upgrade\n\n\
         Read `docs/migration-guides` on branch `release-{major}.{minor}` before upgrading.\n",
        major = v.major,
        minor = v.minor,
        istio = istio_version(v),
    )
}
