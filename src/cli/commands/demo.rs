//! `ferry demo`: the round trip end to end against in-process simulators
//! (GitHub, an upstream and a site registry, a Kyma cluster), in a scratch
//! directory, running the very same command code a user runs.

use super::{apply, bundle, guide, images, inspect, keygen, plan, push, status, verify};
use crate::cli::args::{
    ApplyArgs, BundleArgs, ClusterArgs, DemoArgs, GitHubArgs, GuideArgs, ImageArgs, ImagesArgs,
    InspectArgs, KeygenArgs, PlanArgs, PushArgs, RangeArgs, StatusArgs, TrustArgs, VerifyArgs,
};
use crate::cli::output::outln;
use crate::cli::settings::Globals;
use crate::recipe::Variant;
use anyhow::{anyhow, Context, Result};
use ferry_sandbox::github::{Catalogue, GitHubSim};
use ferry_sandbox::images::{kyma_images, mirror_path, registry_mirror_flags};
use ferry_sandbox::kube::{ClusterConfig, KubeSim};
use ferry_sandbox::registry::RegistrySim;
use std::path::{Path, PathBuf};

/// The Kyma versions whose images the upstream registry serves.
const IMAGE_VERSIONS: [&str; 3] = ["1.1.0", "1.2.2", "1.3.0"];

/// Runs keygen, plan, bundle (with images), verify, inspect and guide on
/// 1.0.0 -> 1.3.0, then carries the bundle inside: pushes its images to a
/// site registry and applies it to a simulated cluster at 1.0.0 from there.
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
        ca_cert: None,
    };
    outln!(
        "ferry demo: a simulated GitHub serves the Kyma 1.x release history at {}",
        sim.base_url()
    )?;
    let (upstream, image_args, image_flags) = start_upstream().await?;
    outln!(
        "a simulated registry serves the images of Kyma {} at {} (a mirror of eu.gcr.io and docker.io)",
        IMAGE_VERSIONS.join(", "),
        upstream.host()
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
            images: Default::default(),
            cache: None,
            json: false,
        },
    )
    .await?;

    let cache = dir.join("cache");
    announce(&format!(
        "ferry bundle --from 1.0.0 --to 1.3.0 --key {} --output {} --cache {} {api} {image_flags}",
        key.with_extension("key").display(),
        bundle_file.display(),
        cache.display(),
    ))?;
    bundle::run(
        &globals,
        &BundleArgs {
            range: range(),
            github: github(),
            images: image_args,
            key: key.with_extension("key"),
            output: bundle_file.clone(),
            force: true,
            expires: crate::bundle::freshness::DEFAULT_VALIDITY,
            created: None,
            jobs: 4,
            source: None,
            split_size: None,
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
    verify::run(
        &globals,
        &VerifyArgs {
            bundle: bundle_file.clone(),
            trust: trusted(&key.with_extension("pub")),
            allow_expired: false,
            json: false,
        },
    )
    .await?;

    announce(&format!(
        "ferry inspect {} --pub {}",
        bundle_file.display(),
        key.with_extension("pub").display()
    ))?;
    inspect::run(
        &globals,
        &InspectArgs {
            bundle: bundle_file.clone(),
            trust: trusted(&key.with_extension("pub")),
            json: false,
        },
    )
    .await?;

    sim.shutdown();
    upstream.shutdown();

    outln!()?;
    outln!("--- the air gap: from here on nothing is downloaded ---")?;
    let site_registry = RegistrySim::start().await?;
    let site = format!("{}/kyma", site_registry.host());
    outln!(
        "the site's registry (simulated, empty) listens at {}",
        site_registry.host()
    )?;
    carry_images(&globals, &bundle_file, &key.with_extension("pub"), &site).await?;
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
        guide::run(
            &globals,
            &GuideArgs {
                bundle: bundle_file.clone(),
                trust: trusted(&key.with_extension("pub")),
                hop: hop.to_string(),
            },
        )
        .await?;
    }
    announce(&format!(
        "ferry apply {} --pub {} --kubeconfig {} --registry {site} --registry-insecure {} --accept-guides --yes",
        bundle_file.display(),
        key.with_extension("pub").display(),
        kubeconfig.display(),
        site_registry.host()
    ))?;
    apply::run(
        &globals,
        &ApplyArgs {
            bundle: bundle_file.clone(),
            trust: trusted(&key.with_extension("pub")),
            allow_expired: false,
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
            registry: Some(site.clone()),
            registry_insecure: vec![site_registry.host()],
            ca_cert: None,
            contexts_from: None,
            parallel: 1,
            log_dir: PathBuf::from("ferry-logs"),
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
    site_registry.shutdown();
    finish(args.keep.as_deref(), &bundle_file)
}

/// The upstream registry, seeded with the Kyma images where a mirror of
/// their registries keeps them, and the image arguments that make `bundle`
/// pull from it, as values and as the command line says them.
async fn start_upstream() -> Result<(RegistrySim, ImageArgs, String)> {
    let upstream = RegistrySim::start().await?;
    let images = kyma_images(&IMAGE_VERSIONS);
    upstream.put_images(&images, mirror_path)?;
    let references: Vec<String> = images.into_iter().map(|i| i.reference).collect();
    let flags = registry_mirror_flags(&upstream.host(), &references);
    let registry_mirror = flags
        .iter()
        .map(|flag| flag.parse().map_err(|e: String| anyhow!(e)))
        .collect::<Result<_>>()?;
    let shown: String = flags
        .iter()
        .map(|flag| format!(" --registry-mirror {flag}"))
        .collect();
    let shown = format!("--images{shown} --registry-insecure {}", upstream.host());
    let args = ImageArgs {
        images: true,
        registry_mirror,
        registry_insecure: vec![upstream.host()],
        platform: Vec::new(),
        skip_image: Vec::new(),
    };
    Ok((upstream, args, shown))
}

/// Lists where the bundle's images go on `site`, then pushes them there.
async fn carry_images(globals: &Globals, bundle: &Path, key: &Path, site: &str) -> Result<()> {
    let host = site.split_once('/').map_or(site, |(host, _)| host);
    announce(&format!(
        "ferry images {} --pub {} --registry {site}",
        bundle.display(),
        key.display()
    ))?;
    images::run(
        globals,
        &ImagesArgs {
            bundle: bundle.to_path_buf(),
            trust: trusted(key),
            registry: Some(site.to_string()),
            json: false,
        },
    )
    .await?;
    announce(&format!(
        "ferry push {} --pub {} --registry {site} --registry-insecure {host}",
        bundle.display(),
        key.display()
    ))?;
    push::run(
        globals,
        &PushArgs {
            bundle: bundle.to_path_buf(),
            trust: trusted(key),
            allow_expired: false,
            registry: site.to_string(),
            registry_insecure: vec![host.to_string()],
            ca_cert: None,
            jobs: 4,
            json: false,
        },
    )
    .await
}

fn cluster_args(kubeconfig: &Path) -> ClusterArgs {
    ClusterArgs {
        kubeconfig: Some(kubeconfig.to_path_buf()),
        context: Vec::new(),
    }
}

async fn show_status(globals: &Globals, kubeconfig: &Path) -> Result<()> {
    announce(&format!(
        "ferry status --kubeconfig {}",
        kubeconfig.display()
    ))?;
    let args = StatusArgs {
        cluster: cluster_args(kubeconfig),
        all_contexts: false,
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

/// Trust exactly the demo's own public key.
fn trusted(key: &Path) -> TrustArgs {
    TrustArgs {
        keys: vec![key.to_path_buf()],
        trusted_keys: None,
        oci: Default::default(),
    }
}
