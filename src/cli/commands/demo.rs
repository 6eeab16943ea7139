//! `ferry demo`: the connected side end to end against the GitHub simulator,
//! in a scratch directory, running the very same command code a user runs.

use super::{bundle, guide, inspect, keygen, plan, verify};
use crate::cli::args::{
    BundleArgs, DemoArgs, GuideArgs, InspectArgs, KeygenArgs, PlanArgs, RangeArgs, VerifyArgs,
};
use crate::cli::settings::Globals;
use crate::recipe::Variant;
use crate::sandbox::github::{Catalogue, GitHubSim};
use anyhow::{Context, Result};
use std::path::Path;

/// Runs keygen, plan, bundle, verify, inspect and guide on 1.0.0 -> 1.3.0.
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
        github_api: sim.base_url(),
        quiet: globals.quiet,
    };
    println!(
        "ferry demo: a simulated GitHub serves the Kyma 1.x release history at {}",
        sim.base_url()
    );
    println!("working in {}", dir.display());
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
    ));
    keygen::run(&KeygenArgs {
        output: key.clone(),
        unencrypted: true,
        force: true,
    })?;

    announce(&format!("ferry {api} plan --from 1.0.0 --to 1.3.0"));
    plan::run(
        &globals,
        &PlanArgs {
            range: range(),
            json: false,
        },
    )
    .await?;

    let cache = dir.join("cache");
    announce(&format!(
        "ferry {api} bundle --from 1.0.0 --to 1.3.0 --key {} --output {} --cache {}",
        key.with_extension("key").display(),
        bundle_file.display(),
        cache.display()
    ));
    bundle::run(
        &globals,
        &BundleArgs {
            range: range(),
            key: key.with_extension("key"),
            output: bundle_file.clone(),
            jobs: 4,
            cache: Some(cache),
            json: false,
        },
    )
    .await?;

    announce(&format!(
        "ferry verify {} --pub {}",
        bundle_file.display(),
        key.with_extension("pub").display()
    ));
    verify::run(&VerifyArgs {
        bundle: bundle_file.clone(),
        public_key: key.with_extension("pub"),
        json: false,
    })?;

    announce(&format!("ferry inspect {}", bundle_file.display()));
    inspect::run(&InspectArgs {
        bundle: bundle_file.clone(),
        json: false,
    })?;

    announce(&format!("ferry guide {} 1.2", bundle_file.display()));
    guide::run(&GuideArgs {
        bundle: bundle_file.clone(),
        hop: "1.2".to_string(),
    })?;

    sim.shutdown();
    finish(args.keep.as_deref(), &bundle_file);
    Ok(())
}

fn announce(command: &str) {
    println!();
    println!("$ {command}");
}

fn finish(kept: Option<&Path>, bundle_file: &Path) {
    println!();
    match kept {
        Some(dir) => println!("demo finished: the key pair, bundle and cache are in {}", dir.display()),
        None => println!(
            "demo finished: {} was built and verified (temporary files removed; --keep DIR keeps them)",
            bundle_file.file_name().and_then(|n| n.to_str()).unwrap_or("the bundle")
        ),
    }
}
