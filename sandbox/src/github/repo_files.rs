//! Generated repository files of the Kyma catalogue (what the contents API
//! serves at a branch or tag): the Tiller manifest, migration guides and the
//! README. Deterministic; knows nothing about HTTP. Release assets are
//! generated in `content.rs`.

use super::content::since;
use ferry_formats::version::Version;

/// Tiller release shipped with a Kyma minor.
fn tiller_version(v: &Version) -> &'static str {
    match (v.major, v.minor) {
        (0, _) | (1, 0..=9) => "v2.10.0",
        (1, 10) => "v2.14.3",
        (1, 11..=13) => "v2.16.1",
        _ => "v2.16.9",
    }
}

/// `installation/resources/tiller.yaml` at a ref of the given version.
pub(crate) fn tiller(v: &Version) -> String {
    let tiller = tiller_version(v);
    let deployment_api = if since(v, 1, 10) {
        "apps/v1"
    } else {
        "extensions/v1beta1"
    };
    format!(
        r#"---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: tiller
  namespace: kube-system
  labels:
    kyma-project.io/installation: ""
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: tiller-cluster-admin
  labels:
    kyma-project.io/installation: ""
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- kind: ServiceAccount
  name: tiller
  namespace: kube-system
---
apiVersion: {deployment_api}
kind: Deployment
metadata:
  name: tiller-deploy
  namespace: kube-system
  labels:
    app: helm
    name: tiller
    kyma-project.io/installation: ""
spec:
  replicas: 1
  selector:
    matchLabels:
      app: helm
      name: tiller
  template:
    metadata:
      labels:
        app: helm
        name: tiller
    spec:
      serviceAccountName: tiller
      containers:
      - name: tiller
        image: gcr.io/kubernetes-helm/tiller:{tiller}
        env:
        - name: TILLER_NAMESPACE
          value: kube-system
        - name: TILLER_HISTORY_MAX
          value: "10"
        ports:
        - containerPort: 44134
          name: tiller
        - containerPort: 44135
          name: http
---
apiVersion: v1
kind: Service
metadata:
  name: tiller-deploy
  namespace: kube-system
  labels:
    app: helm
    name: tiller
spec:
  type: ClusterIP
  selector:
    app: helm
    name: tiller
  ports:
  - name: tiller
    port: 44134
    targetPort: tiller
"#
    )
}

/// Steps a guide asks for before a hop; `{from}` / `{to}` are filled in.
const BEFORE: &[(&str, &str)] = &[
    (
        "Back up the Installation resource so you can compare it later",
        "kubectl -n default get installation kyma-installation -o yaml > installation-{from}.yaml",
    ),
    (
        "Remove the obsolete ServiceBinding usages of the old API",
        "kubectl delete servicebindingusages.servicecatalog.kyma-project.io --all-namespaces --all",
    ),
    (
        "Delete the jobs left over by the previous installation",
        "kubectl -n kyma-system delete job -l kyma-project.io/upgrade={from}",
    ),
    (
        "Scale down the old API controller",
        "kubectl -n kyma-system scale deployment api-controller --replicas=0",
    ),
    (
        "Remove the deprecated monitoring StatefulSet",
        "kubectl -n kyma-system delete statefulset prometheus-monitoring --cascade=false",
    ),
];

/// Steps a guide asks for after a hop.
const AFTER: &[(&str, &str)] = &[
    (
        "Check that every component reports the new version",
        "kubectl get pods --all-namespaces -l kyma-project.io/version={to}",
    ),
    (
        "Restart the Istio sidecars so they pick up the new proxy",
        "kubectl get namespaces -l istio-injection=enabled -o name | xargs -n1 kubectl rollout restart deployment -n",
    ),
    (
        "Export the Function resources and check them against the new API",
        "kubectl get functions.serverless.kyma-project.io --all-namespaces -o yaml > functions-{to}.yaml",
    ),
];

/// A seed from a text, stable across runs.
fn seed(text: &str) -> usize {
    text.bytes().fold(7usize, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(b as usize)
    })
}

/// One "upgrade from `from` to `to`" section, with before and after steps.
fn guide_section(level: &str, from: &str, to: &str) -> String {
    let s = seed(&format!("{from}->{to}"));
    let before = |i: usize| BEFORE[(s + i * 3) % BEFORE.len()];
    let after = AFTER[s % AFTER.len()];
    let render = |n: usize, (title, cmd): (&str, &str)| {
        let cmd = cmd.replace("{from}", from).replace("{to}", to);
        format!("{n}. {title}:\n\n   ```bash\n   {cmd}\n   ```\n\n")
    };
    let mut out = format!(
        "{level} Upgrade from {from} to {to}\n\n\
         Perform these steps in addition to the standard upgrade procedure.\n\n\
         {level}# Before the upgrade\n\n"
    );
    out.push_str(&render(1, before(0)));
    out.push_str(&render(2, before(1)));
    out.push_str(&format!("{level}# After the upgrade\n\n"));
    out.push_str(&render(1, after));
    out
}

/// A migration guide named `A-B.md` (e.g. `1.3-1.4.md`).
pub(crate) fn guide(file_name: &str) -> String {
    let stem = file_name.trim_end_matches(".md");
    let (from, to) = stem.split_once('-').unwrap_or((stem, stem));
    let intro = format!(
        "# Migrate from {from} to {to}\n\n\
         Read this guide before you upgrade Kyma from {from} to {to}. The steps\n\
         below are manual: copy the commands, check their output, and only then\n\
         continue with the upgrade.\n\n"
    );
    if stem == "1.15-1.17" {
        let mut out = intro;
        out.push_str(
            "Kyma 1.16 has no final release: upgrade to 1.16.0-rc4 first, then to 1.17.\n\n",
        );
        out.push_str(&guide_section("##", "1.15", "1.16.0-rc4"));
        out.push_str(&guide_section("##", "1.16.0-rc4", "1.17"));
        return out;
    }
    let mut out = intro;
    out.push_str(&guide_section("##", from, to));
    out
}

/// README at a ref.
pub(crate) fn readme(git_ref: &str) -> String {
    format!(
        "# Kyma\n\nKyma is a platform for extending applications with serverless functions\n\
         and microservices. This tree is `{git_ref}`.\n"
    )
}
