//! `ferry demo`: the connected side end to end against the GitHub simulator,
//! in a scratch directory, running the very same command code a user runs.

use super::{apply, bundle, guide, inspect, keygen, plan, status, verify};
use crate::cli::args::{
    ApplyArgs, BundleArgs, ClusterArgs, DemoArgs, GitHubArgs, GuideArgs, InspectArgs, KeygenArgs,
    PlanArgs, RangeArgs, StatusArgs, VerifyArgs,
};
use crate::cli::output::outln;
use crate::cli::settings::Globals;
use crate::recipe::Variant;
use crate::sandbox::github::{Catalogue, GitHubSim};
use crate::sandbox::kube::{ClusterConfig, KubeSim};
use anyhow::{Context, Result};
use std::path::Path;

/// Runs keygen, plan, bundle, verify, inspect and guide on 1.0.0 -> 1.3.0,
/// then carries the bundle to a simulated cluster at 1.0.0 and applies it.
pub async fn run(globals: &Globals, args: &DemoArgs) -> Result<()> {
    let scratch = tempfile::tempdir().context("cannot create a temporary directory")?;
    let dir = match &args.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => scratch.path().to_path_buf(),
    };
    let sim = GitHubSim::start(Catalogue::kyma()).await?;
    let globals = Globals {
        profile: "kyma".to_string(),
        quiet: globals.quiet,
    };
    let github = || GitHubArgs {
        github_api: sim.base_url(),
    };
    outln!(
        "ferry demo: a simulated GitHub serves the Kyma 1.x release history at {}",
        sim.base_url()
    )?;
    outln!("working in {}", dir.display())?;
    let api = format!("--github-api {}", sim.base_url());
    let key = dir.join("ops");
    let bundle_file = dir.join("kyma-1.0.0-1.3.0.ferry.tar.gz");
    let range = || RangeArgs {
        from: crate::version::Version::new(1, 0, 0),
        to: crate::version::Version::new(1, 3, 0),
        variant: Variant::All,
    };

    announce(&format!(
        "ferry keygen --output {} --unencrypted",
        key.display()
    ))?;
    keygen::run(&KeygenArgs {
        output: key.clone(),
        unencrypted: true,
        force: true,
    })?;

    announce(&format!("ferry plan --from 1.0.0 --to 1.3.0 {api}"))?;
    plan::run(
        &globals,
        &PlanArgs {
            range: range(),
            github: github(),
            json: false,
        },
    )
    .await?;

    let cache = dir.join("cache");
    announce(&format!(
        "ferry bundle --from 1.0.0 --to 1.3.0 --key {} --output {} --cache {} {api}",
        key.with_extension("key").display(),
        bundle_file.display(),
        cache.display()
    ))?;
    bundle::run(
        &globals,
        &BundleArgs {
            range: range(),
            github: github(),
            images: Default::default(),
            key: key.with_extension("key"),
            output: bundle_file.clone(),
            force: true,
            jobs: 4,
            source: None,
            cache: Some(cache),
            json: false,
        },
    )
    .await?;

    announce(&format!(
        "ferry verify {} --pub {}",
        bundle_file.display(),
        key.with_extension("pub").display()
    ))?;
    verify::run(&VerifyArgs {
        bundle: bundle_file.clone(),
        public_key: key.with_extension("pub"),
        json: false,
    })?;

    announce(&format!(
        "ferry inspect {} --pub {}",
        bundle_file.display(),
        key.with_extension("pub").display()
    ))?;
    inspect::run(&InspectArgs {
        bundle: bundle_file.clone(),
        public_key: Some(key.with_extension("pub")),
        json: false,
    })?;

    sim.shutdown();

    outln!()?;
    outln!("--- the air gap: from here on nothing is downloaded ---")?;
    let cluster = KubeSim::start(ClusterConfig {
        kubernetes: (1, 15),
        kyma_version: Some("1.0.0".to_string()),
        installer_delay: std::time::Duration::from_millis(800),
        ..ClusterConfig::default()
    })
    .await?;
    let kubeconfig = dir.join("kubeconfig");
    cluster.write_kubeconfig(&kubeconfig, "kyma-sim")?;
    outln!(
        "a simulated Kyma 1.0.0 cluster listens at {}",
        cluster.base_url()
    )?;
    let cluster_args = || cluster_args(&kubeconfig);
    show_status(&globals, &kubeconfig).await?;

    outln!("(the operator reads each hop's migration guide first:)")?;
    for hop in ["1.2", "1.3"] {
        announce(&format!(
            "ferry guide {} {hop} --pub {}",
            bundle_file.display(),
            key.with_extension("pub").display()
        ))?;
        guide::run(&GuideArgs {
            bundle: bundle_file.clone(),
            public_key: Some(key.with_extension("pub")),
            hop: hop.to_string(),
        })?;
    }
    announce(&format!(
        "ferry apply {} --pub {} --kubeconfig {} --accept-guides --yes",
        bundle_file.display(),
        key.with_extension("pub").display(),
        kubeconfig.display()
    ))?;
    apply::run(
        &globals,
        &ApplyArgs {
            bundle: bundle_file.clone(),
            public_key: key.with_extension("pub"),
            cluster: cluster_args(),
            variant: None,
            accept_guides: true,
            accept_guide: Vec::new(),
            yes: true,
            dry_run: false,
            timeout: std::time::Duration::from_secs(120),
            current: None,
            prefer: None,
            break_lock: false,
            registry: None,
            registry_insecure: Vec::new(),
            json: false,
        },
    )
    .await?;

    show_status(&globals, &kubeconfig).await?;
    outln!(
        "installed, in order: {}",
        cluster.installed_versions().join(" -> ")
    )?;
    cluster.shutdown();
    finish(args.keep.as_deref(), &bundle_file)
}

fn cluster_args(kubeconfig: &Path) -> ClusterArgs {
    ClusterArgs {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: None,
    }
}

async fn show_status(globals: &Globals, kubeconfig: &Path) -> Result<()> {
    announce(&format!(
        "ferry status --kubeconfig {}",
        kubeconfig.display()
    ))?;
    let args = StatusArgs {
        cluster: cluster_args(kubeconfig),
        json: false,
    };
    status::run(globals, &args).await
}

fn announce(command: &str) -> Result<()> {
    outln!()?;
    outln!("$ {command}")
}

fn finish(kept: Option<&Path>, bundle_file: &Path) -> Result<()> {
    outln!()?;
    match kept {
        Some(dir) => outln!(
            "demo finished: the key pair, bundle, cache and kubeconfig are in {}",
            dir.display()
        ),
        None => outln!(
            "demo finished: {} was built and verified (temporary files removed; --keep DIR keeps them)",
            bundle_file.file_name().and_then(|n| n.to_str()).unwrap_or("the bundle")
        ),
    }
}
