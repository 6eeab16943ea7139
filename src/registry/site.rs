//! Asking the site registry whether it holds the images an upgrade needs,
//! before the cluster is touched: each by the digest the bundle recorded
//! (or, for an image the bundle skipped, by its tag), at the place `ferry
//! push` puts it.

use super::client::Connection;
use super::error::RegistryError;
use crate::fetch::Reporter;
use crate::images::reference;
use crate::oci::Digest;
use oci_client::Reference;
use std::path::Path;
use std::sync::Arc;

/// The site registry, `HOST[:PORT][/PREFIX]`.
pub struct Site {
    connection: Connection,
    site: String,
}

impl Site {
    /// The site registry at `site`, plain HTTP for the `insecure` hosts.
    pub fn new(
        site: &str,
        insecure: &[String],
        ca_cert: Option<&Path>,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Site, RegistryError> {
        Ok(Site {
            connection: Connection::new(insecure, ca_cert, reporter)?,
            site: site.to_string(),
        })
    }

    /// The images of `wanted` (reference, recorded digest) the site lacks:
    /// their positions in `wanted`, each with the name looked for.
    pub async fn missing(
        &self,
        wanted: &[(String, Option<Digest>)],
    ) -> Result<Vec<(usize, String)>, RegistryError> {
        let mut missing = Vec::new();
        for (position, (image, digest)) in wanted.iter().enumerate() {
            let relocated = reference::parse(&reference::relocated(image, &self.site)?)?;
            let at = match digest {
                Some(digest) => Reference::with_digest(
                    relocated.registry().to_string(),
                    relocated.repository().to_string(),
                    digest.to_string(),
                ),
                None => relocated,
            };
            let auth = self.connection.auth_for(&at);
            let found = self
                .connection
                .retrying(image, &at, "a manifest check", || {
                    self.connection.client.fetch_manifest_digest(&at, &auth)
                })
                .await;
            match found {
                Ok(_) => {}
                Err(RegistryError::NotFound { .. }) => missing.push((position, at.whole())),
                Err(error) => return Err(error),
            }
        }
        Ok(missing)
    }
}
