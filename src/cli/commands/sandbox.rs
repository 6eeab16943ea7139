//! `ferry sandbox github` and `ferry sandbox kube`: the simulators as
//! long-running servers (parsing their size and fault options here; the
//! simulators themselves live in `crate::sandbox`).

use crate::cli::args::{SandboxGithubArgs, SandboxImagesArgs, SandboxKubeArgs};
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use anyhow::{Context, Result};
use ferry_sandbox::github::{Catalogue, Faults, GitHubSim};
use ferry_sandbox::images::{kyma_images, synthetic_images, write_layout};
use ferry_sandbox::kube::{ClusterConfig, KubeSim};
use std::time::Duration;

/// Serves until Ctrl-C.
pub async fn run_github(args: &SandboxGithubArgs) -> Result<()> {
    let faults = parse_faults(&args.faults)?;
    let catalogue = match (&args.synthetic, &args.synthetic_objects) {
        (Some(sizes), _) => synthetic(sizes)?,
        (None, Some(sizes)) => synthetic_objects(sizes)?,
        (None, None) => Catalogue::kyma(),
    };
    let repo = format!("{}/{}", catalogue.owner, catalogue.repo);
    let sim = GitHubSim::start_on(args.listen, catalogue).await?;
    sim.set_faults(faults);
    outln!("simulated GitHub API for {repo} at {}", sim.base_url())?;
    outln!(
        "try: ferry plan --from 1.0.0 --to 1.3.0 --github-api {}",
        sim.base_url()
    )?;
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(())
}

/// Serves the Kubernetes simulator until Ctrl-C.
pub async fn run_kube(args: &SandboxKubeArgs) -> Result<()> {
    let kubernetes = match &args.kubernetes {
        Some(text) => kubernetes_version(text)?,
        None => ClusterConfig::kubernetes_for_kyma(args.kyma_version.as_deref()),
    };
    let config = ClusterConfig {
        kubernetes,
        kyma_version: args.kyma_version.clone(),
        installer_delay: Duration::from_millis(args.installer_delay_ms),
        ..ClusterConfig::default()
    };
    let sim = KubeSim::start_on(args.listen, config).await?;
    sim.write_kubeconfig(&args.kubeconfig, &args.context)
        .with_context(|| {
            format!(
                "cannot write the kubeconfig {}; pass a writable --kubeconfig path",
                args.kubeconfig.display()
            )
        })?;
    outln!(
        "simulated Kubernetes {}.{} API at {} (kubeconfig {})",
        kubernetes.0,
        kubernetes.1,
        sim.base_url(),
        args.kubeconfig.display()
    )?;
    outln!(
        "try: kubectl --kubeconfig {} get ns",
        args.kubeconfig.display()
    )?;
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(())
}

/// Writes generated images as an OCI layout and lists their references.
pub fn run_images(args: &SandboxImagesArgs) -> Result<()> {
    let images = match args.synthetic.as_deref() {
        None => kyma_images(&["1.1.0", "1.2.2", "1.3.0"]),
        Some(&[count, shared, own]) => synthetic_images(count, shared, own),
        Some(_) => {
            return Err(UsageError(
                "--synthetic takes COUNT,SHARED,OWN (e.g. 10,20971520,10485760)".into(),
            )
            .into())
        }
    };
    write_layout(&args.layout, &images)
        .with_context(|| format!("cannot write the layout {}", args.layout.display()))?;
    for image in &images {
        outln!("{}", image.reference)?;
    }
    Ok(())
}

/// `MAJOR.MINOR` of `--kubernetes`.
fn kubernetes_version(text: &str) -> Result<(u32, u32)> {
    let parsed = text
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse().ok()?, minor.parse().ok()?)));
    parsed.ok_or_else(|| {
        UsageError(format!(
            "--kubernetes takes MAJOR.MINOR (e.g. 1.16), not `{text}`"
        ))
        .into()
    })
}

/// The synthetic catalogue of `--synthetic HOPS,ASSETS,BYTES`.
fn synthetic(sizes: &[u64]) -> Result<Catalogue> {
    let usage = || {
        UsageError("--synthetic takes HOPS,ASSETS,BYTES: three whole numbers, HOPS and ASSETS at least 1 (e.g. 20,5,10485760)".to_string())
    };
    let [hops, assets, bytes] = sizes else {
        return Err(usage().into());
    };
    let (Ok(hops), Ok(assets), Ok(bytes)) = (
        u32::try_from(*hops),
        u32::try_from(*assets),
        usize::try_from(*bytes),
    ) else {
        return Err(usage().into());
    };
    if hops == 0 || assets == 0 {
        return Err(usage().into());
    }
    Ok(Catalogue::synthetic(hops, assets, bytes))
}

/// The synthetic catalogue of `--synthetic-objects HOPS,OBJECTS`.
fn synthetic_objects(sizes: &[u64]) -> Result<Catalogue> {
    let usage = || {
        UsageError("--synthetic-objects takes HOPS,OBJECTS: two whole numbers of at least 1 (e.g. 10,2000)".to_string())
    };
    let [hops, objects] = sizes else {
        return Err(usage().into());
    };
    let (Ok(hops), Ok(objects)) = (u32::try_from(*hops), usize::try_from(*objects)) else {
        return Err(usage().into());
    };
    if hops == 0 || objects == 0 {
        return Err(usage().into());
    }
    Ok(Catalogue::synthetic_objects(hops, objects))
}

fn parse_faults(names: &[String]) -> Result<Faults> {
    let mut faults = Faults::default();
    for name in names {
        match name.as_str() {
            "all" => faults = Faults::all(),
            "server-errors" => faults.server_errors = true,
            "cut-connections" => faults.cut_connections = true,
            "primary-rate-limit" => faults.primary_rate_limit = true,
            "secondary-rate-limit" => faults.secondary_rate_limit = true,
            other => {
                return Err(UsageError(format!(
                    "unknown fault `{other}` (expected server-errors, cut-connections, primary-rate-limit, secondary-rate-limit or all)"
                ))
                .into())
            }
        }
    }
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_object_sizes_build_the_catalogue_or_are_a_usage_error() {
        let c = synthetic_objects(&[2, 30]).unwrap();
        assert_eq!(c.releases.len(), 3);
        assert!(c.releases.iter().all(|r| r.assets.len() == 3));
        for bad in [&[0, 5][..], &[2, 0], &[2], &[2, 5, 5], &[u64::MAX, 5]] {
            let err = synthetic_objects(bad).unwrap_err();
            assert!(err.is::<UsageError>(), "{bad:?}: {err}");
        }
    }

    #[test]
    fn kubernetes_versions_parse_or_are_a_usage_error() {
        assert_eq!(kubernetes_version("1.16").unwrap(), (1, 16));
        for bad in ["1", "1.x", "", "v1.16"] {
            assert!(
                kubernetes_version(bad).unwrap_err().is::<UsageError>(),
                "{bad}"
            );
        }
    }

    #[test]
    fn synthetic_sizes_build_the_catalogue_or_are_a_usage_error() {
        let c = synthetic(&[2, 3, 100]).unwrap();
        assert_eq!(c.releases.len(), 3);
        assert!(c.releases.iter().all(|r| r.assets.len() == 3));
        for bad in [&[0, 5, 10][..], &[2, 0, 10], &[2, 5], &[u64::MAX, 5, 10]] {
            let err = synthetic(bad).unwrap_err();
            assert!(err.is::<UsageError>(), "{bad:?}: {err}");
        }
    }
}
