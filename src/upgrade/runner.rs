//! `ferry apply` as a library call: verify, locate, preflight, then run the
//! remaining hops one by one, recording each in the cluster's journal.

use super::console::{Console, Stage};
pub use super::error::UpgradeError;
use super::files::{LoadedStep, Relocation, StepLoader};
use super::gate::{Gate, GuidePolicy};
use super::hops::remaining;
use super::locate::{choose_variant, detect_variant, locate, Resume};
use super::lock::{clear_abandoned_lock, lock_holder, spawn_heartbeat, take_lock};
use super::overrides::apply_overrides;
use super::status::journal_namespace;
use crate::bundle::freshness::{self, created_seconds, format_time, Freshness};
use crate::bundle::input::BundleInput;
use crate::bundle::manifest::{Hop, Manifest};
use crate::bundle::reader::verify_and_extract;
use crate::bundle::sign::PublicKey;
use crate::bundle::SignatureInfo;
use crate::cluster::apply::{Applier, Change};
use crate::cluster::connect::{connect, ClusterTarget};
use crate::cluster::installer_watch::wait_installed;
use crate::cluster::journal::{HopStatus, Journal};
use crate::cluster::state_error::StateError;
use crate::recipe::Variant;
use crate::upgrade::merge::Prefer;
use crate::version::Version;
use kube::api::DynamicObject;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Everything `ferry apply` was asked to do.
#[derive(Clone)]
pub struct ApplyRequest {
    /// The bundle: one file or a split bundle's parts.
    pub bundle: BundleInput,
    /// The trusted public key that signed the bundle.
    pub key: PublicKey,
    /// Apply a bundle past its expiry (`--allow-expired`; journaled).
    pub allow_expired: bool,
    /// Which cluster.
    pub target: ClusterTarget,
    /// `--variant`; `None` detects it from the bundle.
    pub variant: Option<Variant>,
    /// How guides are acknowledged.
    pub guides: GuidePolicy,
    /// Ask before the first change (interactive runs without `--yes`).
    pub confirm: bool,
    /// Only show what would change.
    pub dry_run: bool,
    /// How long one hop's installer may take.
    pub timeout: Duration,
    /// `--current`: the version to assume instead of reading the cluster's.
    pub current: Option<Version>,
    /// How override conflicts are decided, if at all.
    pub prefer: Option<Prefer>,
    /// Take over a lock held by another run.
    pub break_lock: bool,
    /// `--registry`: pull every image from this site registry.
    pub registry: Option<SiteRegistry>,
}

impl ApplyOutcome {
    /// The outcome as reports show it: its name (`up-to-date`, `dry-run`,
    /// `applied`), the version the cluster ran, the one it runs (or would)
    /// and the hops that ran (or would).
    pub fn summary(&self) -> (&'static str, &Version, &Version, &[Version]) {
        match self {
            ApplyOutcome::UpToDate(version) => ("up-to-date", version, version, &[][..]),
            ApplyOutcome::DryRun { from, hops } => {
                ("dry-run", from, hops.last().unwrap_or(from), &hops[..])
            }
            ApplyOutcome::Applied { from, hops } => {
                ("applied", from, hops.last().unwrap_or(from), &hops[..])
            }
        }
    }
}

/// The site registry `apply --registry` relocates images to.
#[derive(Debug, Clone)]
pub struct SiteRegistry {
    /// `HOST[:PORT][/PREFIX]`.
    pub site: String,
    /// Hosts spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// A PEM file of extra CAs to trust (`--ca-cert`).
    pub ca_cert: Option<std::path::PathBuf>,
}

/// What an apply run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The cluster already runs the bundle's target.
    UpToDate(Version),
    /// A dry run went through these hops, starting from `from`.
    DryRun {
        /// The version the cluster runs.
        from: Version,
        /// The hops that would run, in order.
        hops: Vec<Version>,
    },
    /// These hops were applied and finished, starting from `from`.
    Applied {
        /// The version the cluster ran before.
        from: Version,
        /// The hops applied, in order.
        hops: Vec<Version>,
    },
}

impl UpgradeError {
    /// True when the run stopped for the operator rather than failed.
    pub fn needs_operator(&self) -> bool {
        matches!(
            self,
            UpgradeError::NeedsOperator { .. } | UpgradeError::NeedsConfirmation
        )
    }
}

/// A short, stable identity of a bundle: its manifest's hash.
pub fn bundle_id(manifest: &Manifest) -> String {
    hex::encode(Sha256::digest(manifest.to_json()))[..16].to_string()
}

/// Runs `ferry apply`.
pub async fn apply(
    request: &ApplyRequest,
    console: &dyn Console,
) -> Result<ApplyOutcome, UpgradeError> {
    let unpacked = unpack(request)?;
    console.say(&unpacked.verified_line(&request.bundle));
    apply_unpacked(&unpacked, request, console).await
}

/// A bundle verified and extracted once, to apply to one cluster or many.
pub struct Unpacked {
    workdir: tempfile::TempDir,
    root: PathBuf,
    /// The verified manifest.
    pub manifest: Manifest,
    /// Who signed it.
    pub signer: SignatureInfo,
    freshness: Freshness,
    created: i64,
}

impl Unpacked {
    /// `verified NAME: PRODUCT FROM -> TO, signed by key ID`.
    pub fn verified_line(&self, bundle: &BundleInput) -> String {
        format!(
            "verified {}: {} {} -> {}, signed by key {}",
            bundle.describe(),
            self.manifest.product,
            self.manifest.from,
            self.manifest.to,
            self.signer.key_id
        )
    }
}

/// Verifies `request.bundle` with `request.key` and extracts it into a
/// private directory; refuses an expired bundle unless allowed.
pub fn unpack(request: &ApplyRequest) -> Result<Unpacked, UpgradeError> {
    let workdir = tempfile::tempdir().map_err(UpgradeError::Io)?;
    let root = workdir.path().join("bundle");
    let verified = verify_and_extract(&request.bundle, &request.key, &root)?;
    let manifest = verified.manifest;
    let freshness = freshness::check(&manifest, SystemTime::now(), request.allow_expired)?;
    let created = created_seconds(&manifest)?;
    Ok(Unpacked {
        workdir,
        root,
        manifest,
        signer: verified.signer,
        freshness,
        created,
    })
}

/// Applies the `unpacked` bundle to the cluster `request.target` names.
/// Many calls may share one `unpacked` (each has its own scratch space).
pub async fn apply_unpacked(
    unpacked: &Unpacked,
    request: &ApplyRequest,
    console: &dyn Console,
) -> Result<ApplyOutcome, UpgradeError> {
    let (manifest, freshness, created) =
        (&unpacked.manifest, &unpacked.freshness, unpacked.created);
    let scratch = tempfile::tempdir_in(unpacked.workdir.path()).map_err(UpgradeError::Io)?;
    let id = bundle_id(manifest);
    let client = connect(&request.target).await?;
    let detected = match (
        &manifest.cluster.local_marker,
        request.variant,
        manifest.variant,
    ) {
        (Some(marker), None, Variant::All) => Some(detect_variant(&client, marker).await?),
        _ => None,
    };
    let variant = choose_variant(manifest, request.variant, detected)?;
    let journal = Journal::new(client.clone(), journal_namespace(&manifest.cluster));
    let state = journal.read().await?;
    refuse_rollback(&state, created)?;
    let (current, resume) = locate(&client, manifest, &state, request.current.as_ref()).await?;
    if resume == Resume::Clean && !request.dry_run {
        record_finished_while_away(&journal, &state, &current).await?;
    }
    let busy = resume != Resume::Clean;
    let hops = remaining(manifest, &current, busy)?;
    if hops.is_empty() {
        if !request.dry_run {
            clear_abandoned_lock(&journal, &state).await?;
        }
        console.stage(Stage::Located {
            current: &current,
            hops: 0,
        });
        console.say(&format!(
            "the cluster already runs {current}: nothing to do"
        ));
        return Ok(ApplyOutcome::UpToDate(current));
    }
    console.stage(Stage::Located {
        current: &current,
        hops: hops.len(),
    });
    console.say(&format!(
        "cluster runs {current}{}; {} hop{} to go ({} variant): {}",
        if busy {
            " (its last install did not finish: that hop runs again)"
        } else {
            ""
        },
        hops.len(),
        if hops.len() == 1 { "" } else { "s" },
        variant,
        hops.iter()
            .map(|h| h.version.to_string())
            .collect::<Vec<_>>()
            .join(" -> ")
    ));

    let installing_current = hops.first().is_some_and(|hop| hop.version == current);
    let loader = StepLoader {
        root: unpacked.root.clone(),
        parsed: scratch.path().join("parsed"),
        variant,
        first_only_waits: resume == Resume::WaitForInstaller && installing_current,
        relocation: request.registry.as_ref().map(|registry| Relocation {
            site: registry.site.clone(),
            overrides: manifest.cluster.registry_overrides.clone(),
        }),
    };
    if loader.first_only_waits {
        console.say(&format!(
            "the installer is still installing {current}: waiting for it"
        ));
    }
    let mut applier = Applier::new(client.clone()).await?;
    preflight(&applier, &hops, &loader)?;
    if let Some(registry) = &request.registry {
        check_site_images(manifest, &hops, registry, console).await?;
    }
    if request.dry_run {
        for (position, hop) in hops.iter().enumerate() {
            let steps = loader.load(position, hop)?;
            run_hop(
                &mut applier,
                &client,
                manifest,
                hop,
                &steps,
                request,
                console,
            )
            .await?;
        }
        return Ok(ApplyOutcome::DryRun {
            from: current,
            hops: hops.iter().map(|h| h.version.clone()).collect(),
        });
    }
    if request.confirm {
        if !console.interactive() {
            return Err(UpgradeError::NeedsConfirmation);
        }
        if !console.confirm("Start the upgrade?") {
            return Err(UpgradeError::Declined);
        }
    }

    let holder = lock_holder();
    take_lock(&journal, &holder, request.break_lock).await?;
    let recorded = record_bundle(&journal, request.bundle.path(), created, freshness).await;
    if let Err(err) = recorded {
        let _ = journal.unlock(&holder).await;
        return Err(err.into());
    }
    let heartbeat = spawn_heartbeat(journal.clone(), holder.clone());
    let result = run_hops(
        &mut applier,
        &client,
        &journal,
        manifest,
        &id,
        &hops,
        &loader,
        request,
        console,
        &state.acknowledged,
    )
    .await;
    heartbeat.abort();
    let unlocked = journal.unlock(&holder).await;
    let done = result?;
    unlocked?;
    Ok(ApplyOutcome::Applied {
        from: current,
        hops: done,
    })
}

/// Refuses a bundle older than the newest one this cluster already ran.
fn refuse_rollback(
    state: &crate::cluster::journal::JournalState,
    created: i64,
) -> Result<(), UpgradeError> {
    match state.newest_bundle_created {
        Some(newest) if created < newest => Err(UpgradeError::OlderBundle {
            created: format_time(created),
            newest: format_time(newest),
        }),
        _ => Ok(()),
    }
}

/// Journals that this bundle runs (its creation time, for the rollback
/// check of later runs) and, when it is used past its expiry, that too.
async fn record_bundle(
    journal: &Journal,
    bundle: &std::path::Path,
    created: i64,
    freshness: &Freshness,
) -> Result<(), StateError> {
    let expired = match freshness {
        Freshness::ExpiredButAllowed { expires } => Some(format!(
            "applying {} although it expired at {} (--allow-expired)",
            bundle.display(),
            expires.as_deref().unwrap_or("(no expiry recorded)")
        )),
        Freshness::Valid { .. } => None,
    };
    journal
        .update(|state| {
            state.record_bundle_created(created);
            if let Some(message) = &expired {
                state.push_event(message.clone());
            }
            Ok(())
        })
        .await
        .map(drop)
}

/// A hop left `Started` (or `Failed`) by an earlier run whose installer then
/// finished it while no ferry was watching (the run was killed during the
/// wait): the cluster runs that version, installed, so it is recorded done.
async fn record_finished_while_away(
    journal: &Journal,
    state: &crate::cluster::journal::JournalState,
    current: &Version,
) -> Result<(), UpgradeError> {
    let version = current.to_string();
    let Some(record) = state.hop(&version) else {
        return Ok(());
    };
    if record.status == HopStatus::Done {
        return Ok(());
    }
    journal
        .record_hop(
            &record.bundle_id,
            &version,
            HopStatus::Done,
            Some("the installer finished it after the run that started it stopped".to_string()),
        )
        .await?;
    Ok(())
}

/// Refuses to start when the site registry lacks an image a remaining hop
/// needs: each by the digest the bundle recorded (a skipped one by its tag).
async fn check_site_images(
    manifest: &Manifest,
    hops: &[&Hop],
    registry: &SiteRegistry,
    console: &dyn Console,
) -> Result<(), UpgradeError> {
    let digests: std::collections::HashMap<&str, &crate::oci::Digest> = manifest
        .images
        .iter()
        .flat_map(|layout| layout.images.iter())
        .map(|image| (image.reference.as_str(), &image.digest))
        .collect();
    let mut wanted = Vec::new();
    let mut owners = Vec::new();
    for hop in hops {
        for image in &hop.images {
            let digest = digests.get(image.reference.as_str()).map(|d| (*d).clone());
            if !wanted.iter().any(|(r, _)| r == &image.reference) {
                wanted.push((image.reference.clone(), digest));
                owners.push(hop.version.to_string());
            }
        }
    }
    let reporter: std::sync::Arc<dyn crate::fetch::Reporter> =
        std::sync::Arc::new(crate::fetch::NoReport);
    let site = crate::registry::Site::new(
        &registry.site,
        &registry.insecure,
        registry.ca_cert.as_deref(),
        reporter,
    )
    .map_err(UpgradeError::Registry)?;
    let missing = site
        .missing(&wanted)
        .await
        .map_err(UpgradeError::Registry)?;
    if !missing.is_empty() {
        let lines = missing
            .iter()
            .map(|(index, at)| {
                format!(
                    "  hop {}: {} (looked for {at})",
                    owners[*index], wanted[*index].0
                )
            })
            .collect();
        return Err(UpgradeError::MissingImages { missing: lines });
    }
    console.say(&format!(
        "the site registry {} has all {} images of the remaining hops",
        registry.site,
        wanted.len()
    ));
    Ok(())
}

/// Checks every remaining hop before the first changes anything: each
/// object's kind must be served, or defined by a CRD of the same hop. Hops
/// are parsed on every core (and kept for `loader`'s later loads).
fn preflight(applier: &Applier, hops: &[&Hop], loader: &StepLoader) -> Result<(), UpgradeError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, hops.len().max(1));
    let check = |position: usize| -> Result<Vec<String>, UpgradeError> {
        let hop = hops[position];
        let steps = loader.load(position, hop)?;
        let objects: Vec<DynamicObject> = steps.iter().flat_map(LoadedStep::objects).collect();
        Ok(applier
            .unservable(&objects, &objects)
            .into_iter()
            .map(|problem| {
                format!(
                    "  hop {}: {} {} `{}`: {}",
                    hop.version, problem.kind, problem.api_version, problem.name, problem.hint
                )
            })
            .collect())
    };
    let mut checked: Vec<(usize, Result<Vec<String>, UpgradeError>)> =
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|first| {
                    scope.spawn(move || {
                        (first..hops.len())
                            .step_by(threads)
                            .map(|position| (position, check(position)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_default())
                .collect()
        });
    checked.sort_by_key(|(position, _)| *position);
    if checked.len() != hops.len() {
        return Err(UpgradeError::Io(std::io::Error::other(
            "a preflight thread stopped unexpectedly",
        )));
    }
    let mut problems = Vec::new();
    for (_, result) in checked {
        problems.extend(result?);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(UpgradeError::Preflight { problems })
    }
}

fn report_changes(
    console: &dyn Console,
    path: &str,
    applied: &[crate::cluster::apply::Applied],
    dry_run: bool,
) {
    let count = |change: Change| applied.iter().filter(|a| a.change == change).count();
    let (create, change) = if dry_run {
        ("would create", "would change")
    } else {
        ("created", "configured")
    };
    console.say(&format!(
        "  {path}: {} {create}, {} {change}, {} unchanged",
        count(Change::Created),
        count(Change::Configured),
        count(Change::Unchanged)
    ));
    if dry_run {
        for item in applied.iter().filter(|a| a.change != Change::Unchanged) {
            let verb = if item.change == Change::Created {
                create
            } else {
                change
            };
            console.say(&format!(
                "    {verb} {} {}{}",
                item.kind,
                item.namespace
                    .as_deref()
                    .map(|ns| format!("{ns}/"))
                    .unwrap_or_default(),
                item.name
            ));
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_hops(
    applier: &mut Applier,
    client: &kube::Client,
    journal: &Journal,
    manifest: &Manifest,
    id: &str,
    hops: &[&Hop],
    loader: &StepLoader,
    request: &ApplyRequest,
    console: &dyn Console,
    acknowledged: &[String],
) -> Result<Vec<Version>, UpgradeError> {
    let mut done = Vec::new();
    for (position, hop) in hops.iter().enumerate() {
        gate(hop, journal, &loader.root, request, console, acknowledged).await?;
        let steps = loader.load(position, hop)?;
        journal
            .record_hop(id, &hop.version.to_string(), HopStatus::Started, None)
            .await?;
        console.stage(Stage::HopStarted(hop));
        match run_hop(applier, client, manifest, hop, &steps, request, console).await {
            Ok(()) => {
                journal
                    .record_hop(id, &hop.version.to_string(), HopStatus::Done, None)
                    .await?;
                console.say(&format!("hop {} -> {} finished", hop.previous, hop.version));
                console.stage(Stage::HopFinished(hop));
                done.push(hop.version.clone());
            }
            Err(err) => {
                let message = err.to_string();
                let _ = journal
                    .record_hop(
                        id,
                        &hop.version.to_string(),
                        HopStatus::Failed,
                        Some(message),
                    )
                    .await;
                return Err(err);
            }
        }
    }
    Ok(done)
}

async fn gate(
    hop: &Hop,
    journal: &Journal,
    root: &Path,
    request: &ApplyRequest,
    console: &dyn Console,
    acknowledged: &[String],
) -> Result<(), UpgradeError> {
    let policy = GuidePolicy {
        interactive: request.guides.interactive && console.interactive(),
        ..request.guides.clone()
    };
    let accepted = match policy.decide(hop, acknowledged) {
        Gate::NoGuide | Gate::AlreadyAcknowledged => return Ok(()),
        Gate::AcceptedByFlag => true,
        Gate::AskOperator => {
            for guide in &hop.guides {
                let path = format!("hops/{}/guides/{guide}", hop.version);
                let text = std::fs::read(root.join(&path)).map_err(UpgradeError::Io)?;
                console.show_guide(guide, &String::from_utf8_lossy(&text));
            }
            console.confirm(&format!(
                "Have you done the steps of {} for {} -> {}?",
                hop.guides.join(", "),
                hop.previous,
                hop.version
            ))
        }
        Gate::NeedsOperator => false,
    };
    if !accepted {
        return Err(UpgradeError::NeedsOperator {
            version: hop.version.to_string(),
            previous: hop.previous.to_string(),
            guides: hop.guides.clone(),
            bundle: request.bundle.path().display().to_string(),
        });
    }
    journal.acknowledge(&hop.version.to_string()).await?;
    console.say(&format!("guide steps for {} acknowledged", hop.version));
    Ok(())
}

/// Runs one hop's steps, or with `request.dry_run` shows what they would change.
async fn run_hop(
    applier: &mut Applier,
    client: &kube::Client,
    manifest: &Manifest,
    hop: &Hop,
    steps: &[LoadedStep],
    request: &ApplyRequest,
    console: &dyn Console,
) -> Result<(), UpgradeError> {
    let dry_run = request.dry_run;
    let note = if dry_run { " (dry run)" } else { "" };
    console.say(&format!("hop {} -> {}{note}:", hop.previous, hop.version));
    if dry_run {
        for guide in &hop.guides {
            console.say(&format!("  guide {guide} must be followed first"));
        }
    }
    let namespace = &manifest.cluster.default_namespace;
    for step in steps {
        let applied = match step {
            LoadedStep::Delete(object) => {
                let existed = applier
                    .delete_and_wait(object, request.timeout, dry_run)
                    .await?;
                let how = match (existed, dry_run) {
                    (true, true) => "would delete",
                    (true, false) => "deleted",
                    (false, _) => "already absent:",
                };
                console.say(&format!("  {how} {} {}", object.kind, object.name));
                continue;
            }
            LoadedStep::Apply { path, objects } => {
                (path, applier.apply(objects, namespace, dry_run).await?)
            }
            LoadedStep::Overrides { path, .. } => {
                let prefer = request.prefer;
                let applied =
                    apply_overrides(applier, client, step, namespace, prefer, dry_run, console)
                        .await?;
                (path, applied)
            }
            LoadedStep::WaitInstalled if dry_run => {
                console.say("  would wait for the installer");
                continue;
            }
            LoadedStep::WaitInstalled => {
                let observer = console.installer();
                wait_installed(
                    client,
                    &manifest.cluster,
                    &hop.tag,
                    request.timeout,
                    observer,
                )
                .await?;
                continue;
            }
        };
        report_changes(console, applied.0, &applied.1, dry_run);
    }
    Ok(())
}
