//! Registry credentials as container tools keep them: `REGISTRY_AUTH_FILE`
//! (podman, skopeo), else `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`, each `{"auths": {"HOST": {"auth":
//! base64(user:password)}}}`. Credential helpers are not run: ferry only
//! reads the file.

use super::error::RegistryError;
use base64::Engine as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// User and password per registry host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    by_host: BTreeMap<String, (String, String)>,
}

impl Credentials {
    /// The credentials from the first file that exists (none: anonymous).
    pub fn load() -> Result<Credentials, RegistryError> {
        let Some(path) = auth_file() else {
            return Ok(Credentials::default());
        };
        let text = std::fs::read_to_string(&path).map_err(|source| RegistryError::AuthFile {
            path: path.clone(),
            source,
        })?;
        Ok(Credentials::parse(&text))
    }

    /// Parses a config file; entries it cannot decode are left out.
    pub fn parse(text: &str) -> Credentials {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return Credentials::default();
        };
        let mut by_host = BTreeMap::new();
        let auths = value.get("auths").and_then(|a| a.as_object());
        for (host, entry) in auths.into_iter().flatten() {
            let decoded = entry
                .get("auth")
                .and_then(|a| a.as_str())
                .and_then(|a| {
                    base64::engine::general_purpose::STANDARD
                        .decode(a.trim())
                        .ok()
                })
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                by_host.insert(host_of(host), (user.to_string(), password.to_string()));
            }
        }
        Credentials { by_host }
    }

    /// The user and password for registry `host` (`HOST[:PORT]`), if any.
    pub fn for_host(&self, host: &str) -> Option<&(String, String)> {
        self.by_host.get(host).or_else(|| {
            // Docker Hub is stored under its legacy index URL.
            (host == "docker.io" || host == "index.docker.io")
                .then(|| self.by_host.get("index.docker.io"))
                .flatten()
        })
    }
}

/// `https://index.docker.io/v1/` and `HOST/` both mean their host.
fn host_of(key: &str) -> String {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_string()
}

fn auth_file() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("REGISTRY_AUTH_FILE").map(PathBuf::from),
        std::env::var_os("DOCKER_CONFIG").map(|dir| Path::new(&dir).join("config.json")),
        dirs::home_dir().map(|home| home.join(".docker").join("config.json")),
    ];
    candidates.into_iter().flatten().find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_docker_and_podman_config_files() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let text = format!(
            r#"{{"auths": {{"127.0.0.1:5000": {{"auth": "{encoded}"}},
                "https://index.docker.io/v1/": {{"auth": "{encoded}"}},
                "broken": {{"auth": "%%%"}}}}}}"#
        );
        let creds = Credentials::parse(&text);
        assert_eq!(
            creds.for_host("127.0.0.1:5000"),
            Some(&("alice".to_string(), "s3cret".to_string()))
        );
        assert!(creds.for_host("docker.io").is_some());
        assert!(creds.for_host("broken").is_none());
        assert_eq!(Credentials::parse("not json"), Credentials::default());
    }
}
