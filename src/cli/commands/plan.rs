//! `ferry plan`: the hops between two versions, as text or JSON.

use crate::cli::args::PlanArgs;
use crate::cli::output::outln;
use crate::cli::output::{list_or_dash, print_json};
use crate::cli::settings::Globals;
use crate::pack;
use crate::plan::{guides::GuideRef, Plan, PlannedHop};
use crate::profile::{Profile, StepSpec};
use crate::recipe::Variant;
use crate::version::Version;
use anyhow::Result;
use serde::Serialize;

/// Plans and prints.
pub async fn run(globals: &Globals, args: &PlanArgs) -> Result<()> {
    let profile = globals.profile()?;
    let http = globals.http(globals.progress())?;
    let source = args.github.origin(&profile, http);
    let range = &args.range;
    let resolved =
        pack::resolve_plan(&source, &profile, &range.from, &range.to, range.variant).await?;
    let view = PlanView::new(&profile, &resolved.plan);
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
    }
    Ok(())
}
