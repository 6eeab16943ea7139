//! `ferry sandbox github`: the GitHub simulator as a long-running server.

use crate::cli::args::SandboxGithubArgs;
use crate::cli::exit::UsageError;
use crate::sandbox::github::{Catalogue, Faults, GitHubSim};
use anyhow::Result;

/// Serves until Ctrl-C.
pub async fn run_github(args: &SandboxGithubArgs) -> Result<()> {
    let faults = parse_faults(&args.faults)?;
    let catalogue = match &args.synthetic {
        Some(sizes) => synthetic(sizes)?,
        None => Catalogue::kyma(),
    };
    let repo = format!("{}/{}", catalogue.owner, catalogue.repo);
    let sim = GitHubSim::start_on(args.listen, catalogue).await?;
    sim.set_faults(faults);
    println!("simulated GitHub API for {repo} at {}", sim.base_url());
    println!(
        "try: ferry --github-api {} plan --from 1.0.0 --to 1.3.0",
        sim.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(())
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
