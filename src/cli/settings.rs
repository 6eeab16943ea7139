//! Resolution: the parsed command line, the environment and the profile merge
//! into the settings a command runs with, before any network I/O.

use super::args::GitHubArgs;
use super::exit::UsageError;
use super::progress::Progress;
use crate::bundle::sign;
use crate::fetch::{Cache, Fetcher, HttpClient, HttpConfig};
use crate::pack::origin::Origin;
use crate::profile::Profile;
use crate::source::github::GitHubSource;
use anyhow::{Context, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Environment variable holding the secret key's password.
pub const PASSWORD_ENV: &str = "FERRY_KEY_PASSWORD";

/// Flags every command shares.
#[derive(Debug, Clone)]
pub struct Globals {
    /// `--profile`.
    pub profile: String,
    /// `--quiet`.
    pub quiet: bool,
}

impl Globals {
    /// Loads the selected profile.
    pub fn profile(&self) -> Result<Profile> {
        Ok(Profile::load(&self.profile)?)
    }

    /// The progress reporter for this run.
    pub fn progress(&self) -> Arc<Progress> {
        Arc::new(Progress::new(self.quiet))
    }

    /// An HTTP client with the token from the environment, trusting the CAs
    /// of `ca_cert` (`--ca-cert`) next to the system's.
    pub fn http(&self, progress: Arc<Progress>, ca_cert: Option<&Path>) -> Result<HttpClient> {
        let token = ["GITHUB_TOKEN", "GH_TOKEN"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.trim().is_empty());
        let config = HttpConfig {
            token,
            user_agent: format!("ferry/{}", env!("CARGO_PKG_VERSION")),
            ca_cert: ca_cert.map(Path::to_path_buf),
            ..HttpConfig::default()
        };
        Ok(HttpClient::new(config, progress)?)
    }
}

impl GitHubArgs {
    /// The profile's repository on this API server, as a bundle origin.
    pub fn origin(&self, profile: &Profile, http: HttpClient) -> Origin {
        Origin::GitHub(self.source(profile, http))
    }

    /// The profile's repository on this API server.
    pub fn source(&self, profile: &Profile, http: HttpClient) -> GitHubSource {
        GitHubSource::new(http, &self.github_api, &profile.owner, &profile.repo)
    }
}

/// A fetcher over the given (or default) cache directory.
pub fn fetcher(http: HttpClient, cache: Option<&Path>, jobs: u16) -> Result<Fetcher> {
    let dir: PathBuf = cache
        .map(Path::to_path_buf)
        .unwrap_or_else(Cache::default_dir);
    let cache = Cache::open(&dir)
        .with_context(|| format!("cannot use download cache {}", dir.display()))?;
    Ok(Fetcher::new(http, cache, usize::from(jobs)))
}

/// Loads a secret key, asking for its password only when it is encrypted.
pub fn load_signing_key(path: &Path) -> Result<sign::SecretKey> {
    let encrypted = sign::secret_key_is_encrypted(path)?;
    let password = if encrypted {
        Some(password_from_env_or_prompt(&format!(
            "Password for {}: ",
            path.display()
        ))?)
    } else {
        None
    };
    Ok(sign::load_secret_key(path, password.as_deref())?)
}

/// The password for a new key: none with `--unencrypted`, else env or prompt (twice).
pub fn new_key_password(unencrypted: bool) -> Result<Option<String>> {
    if unencrypted {
        return Ok(None);
    }
    let from_env = std::env::var(PASSWORD_ENV).ok();
    let password = match from_env {
        Some(password) => password,
        None => {
            let first = password_from_env_or_prompt("Password for the new secret key: ")?;
            if !first.is_empty() {
                let second = rpassword::prompt_password("Repeat the password: ")?;
                if first != second {
                    return Err(
                        UsageError("the passwords differ; nothing was written".into()).into(),
                    );
                }
            }
            first
        }
    };
    if password.is_empty() {
        return Err(UsageError(format!(
            "an empty password would not protect the secret key; nothing was written. Type a password \
             (or set {PASSWORD_ENV}), or pass --unencrypted to store the key without one"
        ))
        .into());
    }
    Ok(Some(password))
}

fn password_from_env_or_prompt(prompt: &str) -> Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "a password is needed and stdin is not a terminal: set {PASSWORD_ENV} (or create keys with --unencrypted)"
        ))
        .into());
    }
    Ok(rpassword::prompt_password(prompt)?)
}

/// The image puller for `--images`, sharing the download cache and progress,
/// trusting the CAs of `ca_cert` (`--ca-cert`) next to the system's.
pub fn image_options(
    args: &super::args::ImageArgs,
    ca_cert: Option<&Path>,
    cache: &crate::fetch::Cache,
    archived: Option<crate::registry::ArchivedImages>,
    progress: std::sync::Arc<super::progress::Progress>,
    jobs: u16,
) -> Result<Option<crate::pack::ImageOptions>> {
    if !args.images {
        return Ok(None);
    }
    let settings = crate::registry::PullerSettings {
        mirrors: args.registry_mirror.clone(),
        insecure: args.registry_insecure.clone(),
        ca_cert: ca_cert.map(Path::to_path_buf),
        platforms: args.platform.clone(),
        jobs: usize::from(jobs),
    };
    let cache = cache.clone();
    let puller = match archived {
        Some(archived) => {
            crate::registry::Puller::from_archive(settings, cache, archived, progress)?
        }
        None => crate::registry::Puller::new(settings, cache, progress)?,
    };
    Ok(Some(crate::pack::ImageOptions {
        puller,
        skip: args.skip_image.clone(),
    }))
}
