//! Why an apply run stopped: one error type for the hop runner and the
//! steps it takes (locating, locking, loading, applying, waiting), each
//! message saying what to do next.

use super::files::LoadError;
use super::hops::PositionError;
use super::overrides::OverridesStepError;
use crate::bundle::freshness::FreshnessError;
use crate::bundle::VerifyError;
use crate::cluster::state_error::StateError;
use crate::cluster::ClusterError;
use crate::recipe::Variant;
use crate::registry::RegistryError;
use crate::version::Version;

/// Why an apply run stopped.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// The bundle did not verify; the cluster was not touched.
    #[error("the bundle did not verify; the cluster was not touched")]
    Verify(#[from] VerifyError),
    /// The bundle expired; the cluster was not touched.
    #[error("the bundle is too old to apply; the cluster was not touched")]
    Expired(#[from] FreshnessError),
    /// The cluster already ran a newer bundle: a rollback.
    #[error("this bundle was created {created}, before the newest bundle this cluster already ran (created {newest}); applying it could roll the cluster back to older instructions, so nothing was changed. Use a bundle created at or after {newest}")]
    OlderBundle {
        /// When this bundle was made.
        created: String,
        /// The newest bundle's creation the journal records.
        newest: String,
    },
    /// A cluster operation failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// Reading the cluster's state, the installer or the journal failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A hop's files could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The bundle does not fit the cluster.
    #[error(transparent)]
    Position(#[from] PositionError),
    /// `--current` contradicts the version the cluster reports.
    #[error("the cluster's installer image {image} says it runs {detected}, but --current says {assumed}; nothing was changed. --current is only for an installer image whose tag is not a version: drop it to upgrade from {detected}")]
    CurrentDisagrees {
        /// The installer image.
        image: String,
        /// The version its tag names.
        detected: Version,
        /// What `--current` said.
        assumed: Version,
    },
    /// The installer image tag is not a version.
    #[error("the cluster's installer image {image} has tag `{tag}`, which is not a version; pass --current VERSION to say which version runs")]
    NotAVersion {
        /// The image.
        image: String,
        /// Its tag.
        tag: String,
    },
    /// The site registry lacks images the remaining hops need.
    #[error("the site registry lacks images the remaining hops need; nothing was changed. Push them first (ferry push BUNDLE --pub KEY --registry SITE):\n{}", missing.join("\n"))]
    MissingImages {
        /// One line per image: hop, reference, where it was looked for.
        missing: Vec<String>,
    },
    /// The site registry could not be asked.
    #[error("cannot check the site registry for the hops' images; nothing was changed")]
    Registry(#[source] RegistryError),
    /// Preflight found objects the cluster cannot take.
    #[error("preflight failed, nothing was changed:\n{}", problems.join("\n"))]
    Preflight {
        /// One line per problem.
        problems: Vec<String>,
    },
    /// A migration guide needs the operator.
    #[error("hop {previous} -> {version} has a migration guide ({}) whose steps must be done first.\nRead it: ferry guide {bundle} {version}\nThen continue: rerun with --accept-guide {version} (or --accept-guides)", guides.join(", "))]
    NeedsOperator {
        /// The hop.
        version: String,
        /// Where it starts.
        previous: String,
        /// Its guides.
        guides: Vec<String>,
        /// The bundle file.
        bundle: String,
    },
    /// Nobody confirmed the start: no terminal to ask on and no `--yes`.
    #[error("nothing was changed: no terminal to confirm the upgrade on. To upgrade unattended, rerun with --yes (and --accept-guides, or --accept-guide HOP, once the migration guides' steps are done); --dry-run shows what would change")]
    NeedsConfirmation,
    /// The operator said no.
    #[error("stopped: the operator declined; nothing more was changed")]
    Declined,
    /// The bundle lacks the variant's assets.
    #[error("the bundle carries {carried} assets only; it cannot upgrade a {wanted} installation")]
    Variant {
        /// What the bundle has.
        carried: Variant,
        /// What was asked.
        wanted: Variant,
    },
    /// Overrides could not be merged.
    #[error(transparent)]
    Overrides(#[from] OverridesStepError),
    /// Local I/O failed.
    #[error("cannot prepare a working directory")]
    Io(#[source] std::io::Error),
}
