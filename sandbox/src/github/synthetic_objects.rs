//! `Catalogue::synthetic_objects()`: a generated release set whose assets are
//! valid Kubernetes manifests, for the apply benchmark. Every release carries
//! `objects.yaml` (Namespaces first, then ConfigMaps, Services and
//! ServiceAccounts, with a Role and a RoleBinding per namespace; every object
//! labelled with the release so each hop really changes them), the Kyma
//! installer (`installer.yaml`, image tag = the release) and its Installation
//! (`installation.yaml`, labelled `action: install`), which the kube
//! simulator's installer controller picks up.
//!
//! The profile that plans it (`benches/synthetic-apply.toml`) and the
//! measuring (`benches/run.sh`) live outside the crate.

use super::catalogue::Catalogue;
use super::content;
use super::synthetic::synthetic_releases;
use ferry_formats::version::Version;
use std::fmt::Write;

/// The asset with the generated objects.
pub const OBJECTS_ASSET: &str = "objects.yaml";
/// The asset with the installer (namespace, CRDs, RBAC, Deployment).
pub const INSTALLER_ASSET: &str = "installer.yaml";
/// The asset with the Installation custom resource.
pub const INSTALLATION_ASSET: &str = "installation.yaml";

/// Objects per namespace, roughly (decides how many namespaces there are).
const PER_NAMESPACE: usize = 200;
/// At most this many namespaces.
const MAX_NAMESPACES: usize = 20;

/// `objects` Kubernetes objects as multi-document YAML for release `tag`:
/// Namespaces `bench-NN` first, then per namespace a Role and a RoleBinding
/// to a ServiceAccount, then ConfigMaps, Services and ServiceAccounts up to
/// `objects` in all (at least the namespaces are always there).
pub fn synthetic_objects_yaml(tag: &str, objects: usize) -> String {
    let namespaces = (objects / PER_NAMESPACE).clamp(1, MAX_NAMESPACES);
    let mut out = String::with_capacity(objects * 400);
    let meta = |out: &mut String, kind: &str, api: &str, name: &str, ns: Option<&str>| {
        let _ = write!(
            out,
            "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n"
        );
        if let Some(ns) = ns {
            let _ = writeln!(out, "  namespace: {ns}");
        }
        let _ = write!(
            out,
            "  labels:\n    app.kubernetes.io/part-of: ferry-bench\n    release: \"{tag}\"\n"
        );
    };
    let ns_name = |i: usize| format!("bench-{i:02}");
    for i in 0..namespaces {
        meta(&mut out, "Namespace", "v1", &ns_name(i), None);
    }
    let mut written = namespaces;
    let rbac = "rbac.authorization.k8s.io/v1";
    for i in 0..namespaces {
        if written + 2 > objects {
            break;
        }
        let ns = ns_name(i);
        meta(&mut out, "Role", rbac, "bench-reader", Some(&ns));
        out.push_str("rules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\", \"services\"]\n  verbs: [\"get\", \"list\", \"watch\"]\n");
        meta(&mut out, "RoleBinding", rbac, "bench-reader", Some(&ns));
        let _ = write!(
            out,
            "subjects:\n- kind: ServiceAccount\n  name: bench-0\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: bench-reader\n"
        );
        written += 2;
    }
    for n in 0..objects.saturating_sub(written) {
        let ns = ns_name(n % namespaces);
        let index = n / namespaces;
        let name = format!("bench-{index}");
        match n % 10 {
            0..=5 => {
                meta(&mut out, "ConfigMap", "v1", &name, Some(&ns));
                let _ = write!(
                    out,
                    "data:\n  release: \"{tag}\"\n  port: \"{}\"\n  config.yaml: |\n    name: {name}\n    replicas: {}\n",
                    8000 + index % 1000,
                    1 + index % 3
                );
            }
            6 | 7 => {
                meta(&mut out, "Service", "v1", &name, Some(&ns));
                let _ = write!(
                    out,
                    "spec:\n  selector:\n    app: {name}\n  ports:\n  - name: http\n    port: {}\n    targetPort: 8080\n",
                    80 + index % 100
                );
            }
            _ => meta(&mut out, "ServiceAccount", "v1", &name, Some(&ns)),
        }
    }
    out
}

impl Catalogue {
    /// Releases `1.0.0` ... `1.{hops}.0` of `ferry-bench/synthetic` whose
    /// assets apply to the kube simulator: `objects.yaml` with `objects`
    /// objects, `installer.yaml` and `installation.yaml` (see the module
    /// doc). Plan it with `benches/synthetic-apply.toml`.
    pub fn synthetic_objects(hops: u32, objects: usize) -> Catalogue {
        // The Kyma 1.25 layout: apps/v1 Deployment, Installation in `default`.
        let layout = Version::new(1, 25, 0);
        synthetic_releases(hops, |tag| {
            vec![
                (
                    OBJECTS_ASSET.to_string(),
                    synthetic_objects_yaml(tag, objects).into_bytes(),
                ),
                (
                    INSTALLER_ASSET.to_string(),
                    content::installer(&layout, tag).into_bytes(),
                ),
                (
                    INSTALLATION_ASSET.to_string(),
                    content::installation(&layout, tag, true, false).into_bytes(),
                ),
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_carry_objects_installer_and_installation() {
        let c = Catalogue::synthetic_objects(2, 50);
        assert_eq!(c.releases.len(), 3);
        let release = c.release("1.2.0").unwrap();
        let installer = release.asset(INSTALLER_ASSET).unwrap();
        let text = String::from_utf8_lossy(&installer.content);
        assert!(text.contains("kyma-installer:1.2.0"), "{text}");
        assert!(text.contains("apiVersion: apps/v1"), "{text}");
        let cr = release.asset(INSTALLATION_ASSET).unwrap();
        let text = String::from_utf8_lossy(&cr.content);
        assert!(text.contains("action: install") && text.contains("namespace: default"));
        assert!(release.asset(OBJECTS_ASSET).is_some());
    }
}
