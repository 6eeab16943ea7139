//! `ferry plan`: the hops between two versions, as text or JSON.

use crate::cli::args::PlanArgs;
use crate::cli::output::outln;
use crate::cli::output::{list_or_dash, print_json};
use crate::cli::settings::{fetcher, image_options, Globals};
use crate::pack;
use crate::plan::{guides::GuideRef, Plan, PlannedHop};
use crate::profile::{Profile, StepSpec};
use crate::recipe::Variant;
use crate::registry::PulledImage;
use crate::version::Version;
use anyhow::Result;
use serde::Serialize;

/// Parallel downloads of `plan --images` (bundle's default).
const DOWNLOADS: u16 = 4;

/// Plans and prints.
pub async fn run(globals: &Globals, args: &PlanArgs) -> Result<()> {
    let profile = globals.profile()?;
    let http = globals.http(globals.progress(), args.github.ca_cert.as_deref())?;
    let source = args.github.origin(&profile, http.clone());
    let range = &args.range;
    let resolved =
        pack::resolve_plan(&source, &profile, &range.from, &range.to, range.variant).await?;
    let mut view = PlanView::new(&profile, &resolved.plan);
    if args.images.images {
        let fetcher = fetcher(http, args.cache.as_deref(), DOWNLOADS)?;
        if let Some(images) = image_options(
            &args.images,
            args.github.ca_cert.as_deref(),
            fetcher.cache(),
            None,
            globals.progress(),
            DOWNLOADS,
        )? {
            let (hops, pulled) =
                pack::plan_images(&source, &fetcher, &profile, &resolved, &images).await?;
            for (view, hop) in view.hops.iter_mut().zip(&hops) {
                view.images = Some(ImageView::of_hop(hop, &pulled));
            }
        }
    }
    if args.json {
        print_json(&view)
    } else {
        print_text(&view)
    }
}

/// A plan as shown to users and scripts.
#[derive(Serialize)]
pub struct PlanView {
    product: String,
    repo: String,
    from: Version,
    to: Version,
    variant: Variant,
    base_assets: Vec<String>,
    hops: Vec<HopView>,
}

#[derive(Serialize)]
struct HopView {
    version: Version,
    previous: Version,
    tag: String,
    prerelease: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pin_reason: Option<String>,
    published: Option<String>,
    recipe: String,
    guides: Vec<String>,
    guide_sources: Vec<GuideRef>,
    assets: Vec<String>,
    repo_files: Vec<String>,
    steps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    images: Option<Vec<ImageView>>,
}

/// One image a hop needs, with its digest and why it is in.
#[derive(Serialize)]
struct ImageView {
    reference: String,
    digest: Option<String>,
    skipped: bool,
    reasons: Vec<String>,
}

impl ImageView {
    fn of_hop(hop: &crate::bundle::manifest::Hop, pulled: &[PulledImage]) -> Vec<ImageView> {
        hop.images
            .iter()
            .map(|image| ImageView {
                digest: pulled
                    .iter()
                    .find(|p| p.reference == image.reference)
                    .map(|p| p.digest.to_string()),
                reference: image.reference.clone(),
                skipped: image.skipped,
                reasons: image.reasons.clone(),
            })
            .collect()
    }
}

impl PlanView {
    /// The view of a plan.
    pub fn new(profile: &Profile, plan: &Plan) -> PlanView {
        PlanView {
            product: profile.name.clone(),
            repo: profile.repo_slug(),
            from: plan.base.version.clone(),
            to: plan
                .hops
                .last()
                .map(|hop| hop.version.clone())
                .unwrap_or_else(|| plan.base.version.clone()),
            variant: plan.variant,
            base_assets: plan.base.assets.clone(),
            hops: plan.hops.iter().map(HopView::new).collect(),
        }
    }
}

impl HopView {
    fn new(hop: &PlannedHop) -> HopView {
        HopView {
            version: hop.version.clone(),
            previous: hop.previous.clone(),
            tag: hop.release.tag.clone(),
            prerelease: hop.version.is_prerelease(),
            pin_reason: hop.pin_reason.clone(),
            published: hop.release.published_at.clone(),
            recipe: hop.recipe.clone(),
            guides: hop.guides.iter().map(|g| g.name.clone()).collect(),
            guide_sources: hop.guides.clone(),
            assets: hop.assets.clone(),
            repo_files: hop.repo_files.clone(),
            steps: hop.steps.iter().map(describe_step).collect(),
            images: None,
        }
    }
}

fn describe_step(step: &StepSpec) -> String {
    let (text, variant) = match step {
        StepSpec::ApplyAsset { asset, variant } => (format!("apply {asset}"), variant),
        StepSpec::ApplyOverrides {
            asset,
            selector,
            variant,
        } => (
            format!("apply {asset}, merged three ways with the cluster's {selector} objects"),
            variant,
        ),
        StepSpec::ApplyRepoFile { path, variant } => {
            (format!("apply {path} (repository at tag)"), variant)
        }
        StepSpec::Delete { object, variant } => (
            format!(
                "delete {} {}{}",
                object.kind,
                object
                    .namespace
                    .as_deref()
                    .map(|ns| format!("{ns}/"))
                    .unwrap_or_default(),
                object.name
            ),
            variant,
        ),
        StepSpec::WaitInstalled { variant } => ("wait until installed".to_string(), variant),
    };
    match variant {
        Variant::All => text,
        only => format!("{text} [{only}]"),
    }
}

fn print_text(view: &PlanView) -> Result<()> {
    let count = view.hops.len();
    outln!(
        "{} upgrade plan {} -> {} ({} variant): {count} hop{}",
        view.product,
        view.from,
        view.to,
        view.variant,
        if count == 1 { "" } else { "s" }
    )?;
    if count == 0 {
        return outln!("nothing to do: already at {}", view.to);
    }
    for (number, hop) in view.hops.iter().enumerate() {
        let marker = if hop.prerelease {
            "  (pre-release)"
        } else {
            ""
        };
        outln!()?;
        outln!(
            "{}. {} -> {}{marker}",
            number + 1,
            hop.previous,
            hop.version
        )?;
        if let Some(reason) = &hop.pin_reason {
            outln!("   pinned:  {reason}")?;
        }
        outln!("   recipe:  {}", hop.recipe)?;
        outln!("   guides:  {}", list_or_dash(&hop.guides))?;
        outln!("   assets:  {}", list_or_dash(&hop.assets))?;
        if !hop.repo_files.is_empty() {
            outln!("   repo:    {}", hop.repo_files.join(", "))?;
        }
        for (index, step) in hop.steps.iter().enumerate() {
            let label = if index == 0 { "steps:" } else { "" };
            outln!("   {label:<8} {}. {step}", index + 1)?;
        }
        for (index, image) in hop.images.iter().flatten().enumerate() {
            let label = if index == 0 { "images:" } else { "" };
            let digest = match (&image.digest, image.skipped) {
                (_, true) => "skipped: the site provides it".to_string(),
                (Some(digest), _) => digest.clone(),
                (None, _) => "?".to_string(),
            };
            outln!("   {label:<8} {} ({digest})", image.reference)?;
            for reason in &image.reasons {
                outln!("              from {reason}")?;
            }
        }
    }
    Ok(())
}
