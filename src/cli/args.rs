//! What the user can type: every command, flag and its help text, in one
//! place. Parsing only: no I/O happens here (see `settings` for resolution).

use crate::recipe::Variant;
use crate::version::Version;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Carry product upgrades across an air gap.
///
/// On a connected machine, ferry plans every minor-by-minor hop between two
/// releases of a product, downloads each hop's release assets, repository
/// files, migration guides and (with --images) container images, and packs
/// them into one signed, checksummed bundle. Inside the air gap, `ferry
/// verify` proves the bundle is complete and was signed by a key you trust,
/// `ferry push` puts its images on the site's registry, and `ferry apply`
/// upgrades the cluster hop by hop.
#[derive(Debug, Parser)]
#[command(
    name = "ferry",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "\
Typical session (connected side):
  ferry keygen --output ops
  ferry plan --from 1.0.0 --to 1.3.0
  ferry bundle --from 1.0.0 --to 1.3.0 --key ops.key --output kyma-1.0.0-1.3.0.ferry.tar.gz
  ferry verify kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub

plan, bundle and mirror read GitHub (--github-api for GitHub Enterprise), with a token
from GITHUB_TOKEN or GH_TOKEN when set; the air-gapped commands never go online.

Try it all offline against a simulated GitHub and cluster: ferry demo")]
pub struct Cli {
    /// Product profile: a built-in name (kyma) or a path to a profile TOML file.
    #[arg(
        long,
        global = true,
        env = "FERRY_PROFILE",
        default_value = "kyma",
        value_name = "NAME|FILE"
    )]
    pub profile: String,

    /// More log output (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// ferry's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a minisign key pair for signing bundles.
    #[command(after_help = "\
The secret key is encrypted with the password from FERRY_KEY_PASSWORD, or one typed
at the prompt. Both files are minisign's format: `minisign -Vm FILE -p PREFIX.pub`
verifies what ferry signs, and keys made by `minisign -G` sign with ferry.

Example: ferry keygen --output ops   # writes ops.key and ops.pub")]
    Keygen(KeygenArgs),

    /// Show the hops between two versions: releases, recipes, assets, guides.
    #[command(after_help = "\
Hops go minor by minor; each lands on the newest final patch of its minor (or the
release the profile pins, like 1.16.0-rc4 for Kyma), the last one on exactly --to.

Examples:
  ferry plan --from 1.0.0 --to 1.3.0
  ferry plan --from 1.15.1 --to 1.18.2 --json | jq '.hops[].version'")]
    Plan(PlanArgs),

    /// Download every hop's files and write one signed bundle.
    #[command(after_help = "\
Downloads run in parallel, resume after interruptions, wait out GitHub rate limits
and land in a content-addressed cache: a rerun or an overlapping range downloads
nothing twice. The output appears only when complete (written to a temporary
file, then renamed). Rebuilding the same range gives the same bytes.

Examples:
  ferry bundle --from 1.0.0 --to 1.3.0 --key ops.key --output kyma-1.0.0-1.3.0.ferry.tar.gz
  ferry bundle --from 1.0.0 --to 1.3.0 --key ops.key --output kyma.ferry.tar.gz --images \\
    --registry-mirror eu.gcr.io=mirror.corp:5000")]
    Bundle(BundleArgs),

    /// Archive every release's assets, notes, guides and repo files; verify an archive.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "\
Blobs are stored by SHA-256 under DIR/blobs, with a readable index per release in
DIR/releases/<tag>.json. A rerun downloads only what is new or changed upstream; assets
deleted upstream stay in the archive, marked deleted_upstream. One run at a time (DIR/.lock).
With --images, each release also keeps the container images a hop to it needs, in the same
blob store (a layer shared by many images is stored once), so that bundle --source --images
builds image bundles offline, byte-identical to online ones.

Examples:
  ferry mirror --dest /srv/kyma-archive
  ferry mirror --dest /srv/kyma-archive --since 1.10.0 --assets 'kyma-*.yaml'
  ferry mirror --dest /srv/kyma-archive --since 1.0.0 --until 1.3.0 --images --platform linux/amd64
  ferry mirror verify /srv/kyma-archive
  ferry bundle --source /srv/kyma-archive --from 1.0.0 --to 1.3.0 --key ops.key --output b.ferry.tar.gz"
    )]
    Mirror(MirrorArgs),

    /// Check a bundle's signature and every file in it.
    #[command(after_help = "\
Exits 0 only when the manifest's signature verifies with a trusted public key, its
trusted comment describes this manifest, the bundle has not expired, and every file
matches its size and SHA-256; any unknown, missing, duplicated, linked or escaping entry
fails the check. Trust several keys (while rotating) with --pub repeated or a directory
of *.pub files (--trusted-keys DIR, or FERRY_TRUSTED_KEYS).

Examples:
  ferry verify kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub
  ferry verify kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops-2026.pub --pub ops-2027.pub
  FERRY_TRUSTED_KEYS=/etc/ferry/keys ferry verify kyma-1.0.0-1.3.0.ferry.tar.gz")]
    Verify(VerifyArgs),

    /// Show what a bundle holds: hops, files, sizes, guides, signer.
    #[command(after_help = "\
inspect reads the manifest without the payload. With --pub it checks the manifest's
signature first and refuses a bundle the key did not sign; without it, the output says
the signature is unchecked. ferry verify checks every file.

Example: ferry inspect kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub --json")]
    Inspect(InspectArgs),

    /// List a bundle's container images: reference, digest, size, hops, and where
    /// each goes on a site registry.
    #[command(after_help = "\
For operators who copy images with their own tools: each image's original reference, the
digest the bundle carries, and with --registry HOST[:PORT][/PREFIX] its name there
(HOST/PREFIX/<original repository path>:<tag>, e.g. eu.gcr.io/kyma-project/kyma-installer:1.3.0
goes to HOST/PREFIX/kyma-project/kyma-installer:1.3.0). The extracted bundle's images/
folder is an OCI layout: skopeo copy oci:images:REFERENCE docker://... reads it.

Example: ferry images kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub --registry registry.site:5000/kyma")]
    Images(ImagesArgs),

    /// Print a hop's migration guide(s) from a bundle.
    #[command(after_help = "\
HOP is the version a hop lands on (1.2.2) or its minor (1.2). Each guide is checked
against the manifest's hash; with --pub the manifest's signature is checked first, and a
bundle the key did not sign shows nothing. Without --pub, stderr says UNVERIFIED.

Example: ferry guide kyma-1.0.0-1.3.0.ferry.tar.gz 1.2 --pub ops.pub")]
    Guide(GuideArgs),

    /// Verify a bundle and upgrade the cluster hop by hop (air-gapped side).
    #[command(after_help = "\
Nothing touches the cluster before the whole bundle verified and every object of every
remaining hop passed preflight. On a terminal ferry asks before the first change; without
one it needs --yes. Before each hop with a migration guide, ferry shows the guide and asks
whether its steps are done; without a terminal it stops with exit code 3 unless
--accept-guides (or --accept-guide HOP) says they are. With --registry SITE every image
comes from the site registry (ferry push put it there). Progress is recorded in the
cluster (ConfigMap ferry-journal): rerun the same command after any interruption and it
resumes at the right hop.

Exit codes: 0 done or nothing to do, 1 error, 2 usage, 3 the operator must act (a migration
guide, or no terminal to confirm on and no --yes).

Examples:
  ferry apply kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub
  ferry apply kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub --dry-run
  ferry apply kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub --accept-guides --yes")]
    Apply(ApplyArgs),

    /// Verify a bundle, then push its container images to the site registry.
    #[command(after_help = "\
Nothing is pushed before the whole bundle verified. Images land under the registry's
HOST[:PORT][/PREFIX] with their original repository path and tag, pushed by digest and
then tagged (eu.gcr.io/kyma-project/kyma-installer:1.3.0 goes to
HOST/PREFIX/kyma-project/kyma-installer:1.3.0). Blobs the registry has are skipped, and a
blob shared by several images is uploaded once and mounted into the others, so rerunning
after an interruption only sends what is missing. Credentials come from
REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json.

Example: ferry push kyma-1.0.0-1.3.0.ferry.tar.gz --pub ops.pub --registry registry.site:5000/kyma")]
    Push(PushArgs),

    /// Show the cluster's product version and any upgrade in progress.
    Status(StatusArgs),

    /// Split a bundle into parts no larger than a size, with a signed part index.
    #[command(after_help = "\
For removable media with a file-size limit (FAT32 holds files up to 4 GiB, a DVD 4.7 GB).
NAME becomes NAME.part-0001, NAME.part-0002, ... plus NAME.parts (the SHA-256 of every
part and of the whole bundle, in sha256sum format) and NAME.parts.minisig. Sizes take K, M,
G and T (powers of 1024); `ferry bundle --split-size 4G` writes the parts directly. On the
other side verify, inspect, guide, apply and push read the parts in place (give NAME.parts,
any part, or NAME), and `ferry join NAME.parts --pub KEY` checks the signature and every part,
then writes NAME. By hand:
  minisign -Vm NAME.parts -p ops.pub && sha256sum -c --ignore-missing NAME.parts
  cat NAME.part-* > NAME && sha256sum -c NAME.parts

Example: ferry split kyma-1.0.0-1.3.0.ferry.tar.gz --size 4G --key ops.key")]
    Split(SplitArgs),

    /// Publish a bundle to an OCI registry, for verify, apply and push to pull as oci://.
    #[command(after_help = "\
The bundle is stored as an OCI artifact (artifactType application/vnd.ferry.bundle.v1): the
signed part index NAME.parts and the parts NAME.part-0001, ... as layers (titled, so `oras
pull` writes the files `ferry split` does), the index's signature as an attached artifact
(found through the referrers API or the sha256-<digest> tag). A bundle file is sent in parts
of --part-size, read in place, with the index signed by --key; a split bundle (NAME.parts)
is sent as it is. Parts the registry already has are not sent again.

On the other side: ferry verify|inspect|apply|push oci://HOST/REPO:TAG --pub KEY pulls the
index and signature, checks them and every part layer against the signed index, then the
parts into the download cache (resumable), and verifies the bundle before anything else.

Example: ferry publish kyma-1.0.0-1.3.0.ferry.tar.gz oci://registry.site:5000/ferry/kyma:1.3.0 --key ops.key")]
    Publish(PublishArgs),

    /// Check a split bundle's parts against their signed index and join them into one file.
    #[command(after_help = "\
Nothing is written unless the index's signature verifies and every part has the size and
SHA-256 the index lists; a missing, cut-short, reordered or foreign part is named with its
number. The joined file appears only when complete (written under a temporary name).

Example: ferry join kyma-1.0.0-1.3.0.ferry.tar.gz.parts --pub ops.pub")]
    Join(JoinArgs),

    /// Run both sides end to end, offline: bundle from a simulated GitHub, upgrade a simulated cluster.
    #[command(after_help = "\
The connected side runs against an in-process GitHub simulator serving the real Kyma 1.x
release history: keygen, plan, bundle, verify, inspect. Then, across the simulated air gap,
the bundle upgrades an in-process Kubernetes API simulator running Kyma 1.0.0 hop by hop to
1.3.0 (the migration guides shown and accepted), and status shows the result. Nothing leaves
the machine; every step is the same code the real commands run.

Example: ferry demo --keep demo-files   # keeps the key pair, bundle, cache and kubeconfig")]
    #[cfg(feature = "sandbox")]
    Demo(DemoArgs),

    /// Run simulators of the outside world (for trying ferry and for benchmarks).
    #[cfg(feature = "sandbox")]
    #[command(subcommand)]
    Sandbox(SandboxCommand),
}

/// A duration like `90s`, `30m` or `1h`, longer than zero.
fn positive_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|err| err.to_string())?;
    if duration.is_zero() {
        return Err("must be longer than 0s (e.g. 30m or 1h)".to_string());
    }
    Ok(duration)
}

/// `--created`: RFC 3339 (`2026-12-01T09:30:00Z`) or seconds since 1970.
fn creation_time(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.trim().parse::<i64>() {
        return Ok(seconds);
    }
    let time = humantime::parse_rfc3339_weak(text.trim()).map_err(|_| {
        format!(
            "`{text}` is neither an RFC 3339 time (2026-12-01T09:30:00Z) nor seconds since 1970"
        )
    })?;
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs() as i64)
        .map_err(|_| "must not be before 1970".to_string())
}

impl Command {
    /// Whether the command was asked for JSON on stdout (`--json`), which
    /// it then prints on failure too.
    pub fn wants_json(&self) -> bool {
        match self {
            Command::Plan(args) => args.json,
            Command::Bundle(args) => args.json,
            Command::Mirror(args) => match &args.command {
                Some(MirrorCommand::Verify(verify)) => verify.json,
                None => args.json,
            },
            Command::Verify(args) => args.json,
            Command::Inspect(args) => args.json,
            Command::Images(args) => args.json,
            Command::Push(args) => args.json,
            Command::Apply(args) => args.json,
            Command::Status(args) => args.json,
            Command::Split(args) => args.json,
            Command::Join(args) => args.json,
            Command::Publish(args) => args.json,
            Command::Keygen(_) | Command::Guide(_) => false,
            #[cfg(feature = "sandbox")]
            Command::Demo(_) | Command::Sandbox(_) => false,
        }
    }
}

/// `ferry split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The bundle file to split.
    pub bundle: PathBuf,
    /// Largest part: bytes, or with K, M, G or T (powers of 1024), e.g. 4G.
    #[arg(long, value_parser = byte_size, value_name = "SIZE")]
    pub size: u64,
    /// Secret key to sign the part index with (password from FERRY_KEY_PASSWORD or the prompt).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Replace existing parts and index.
    #[arg(long)]
    pub force: bool,
    /// Print the part index as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `ferry publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The bundle: its file, or a split bundle's NAME.parts.
    pub bundle: PathBuf,
    /// Where to store it: oci://HOST[:PORT]/REPOSITORY:TAG.
    pub target: String,
    /// Secret key to sign the part index with (for a bundle file; a split
    /// bundle's index is already signed). Password from FERRY_KEY_PASSWORD or the prompt.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The size of the parts a bundle file is sent in (K, M, G, T).
    #[arg(long, value_parser = byte_size, default_value = "1G", value_name = "SIZE")]
    pub part_size: u64,
    /// How to reach the registry.
    #[command(flatten)]
    pub oci: OciArgs,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry join`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The part index, NAME.parts (its signature NAME.parts.minisig next to it).
    pub index: PathBuf,
    /// The file to write; by default the bundle's name next to the index.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The keys to trust.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Print what was joined as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A size like `4G`, `650M` or `1048576`, larger than zero.
fn byte_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("unknown unit {unit:?}: use K, M, G or T")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 4G or 650M"))?;
    match number.checked_mul(1 << shift) {
        Some(0) => Err("the size must be larger than zero".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("{text} is too large")),
    }
}

/// `ferry keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write PREFIX.key (secret) and PREFIX.pub (public).
    #[arg(long, short, value_name = "PREFIX")]
    pub output: PathBuf,
    /// Store the secret key without a password (for CI secrets stores).
    #[arg(long)]
    pub unencrypted: bool,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// Where releases come from, for the commands that talk to GitHub.
#[derive(Debug, Args)]
pub struct GitHubArgs {
    /// GitHub API root (GitHub Enterprise: https://HOST/api/v3). A token is read
    /// from GITHUB_TOKEN or GH_TOKEN when set.
    #[arg(long, env = "FERRY_GITHUB_API", value_name = "URL",
          default_value = crate::source::github::DEFAULT_API)]
    pub github_api: String,
    /// A PEM file with the CA certificate(s) of a private CA, trusted next to
    /// the system's: for GitHub Enterprise and, with --images, the registries
    /// and mirrors. SSL_CERT_FILE=FILE instead replaces the system's CAs.
    /// The certificate is always checked; there is no way to skip it.
    #[arg(long, env = "FERRY_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
}

/// The range of a plan or bundle.
#[derive(Debug, Args)]
pub struct RangeArgs {
    /// The version the cluster runs now.
    #[arg(long, value_name = "VERSION")]
    pub from: Version,
    /// The version to upgrade to.
    #[arg(long, value_name = "VERSION")]
    pub to: Version,
    /// Which deployment variant's assets to carry.
    #[arg(long, default_value = "all", value_name = "all|local|cluster")]
    pub variant: Variant,
}

/// `ferry plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The range.
    #[command(flatten)]
    pub range: RangeArgs,
    /// The GitHub API.
    #[command(flatten)]
    pub github: GitHubArgs,
    /// Container images (with --images, plan downloads the hops' files and the
    /// images' manifests to list each hop's images, their digests and reasons).
    #[command(flatten)]
    pub images: ImageArgs,
    /// Download cache [default: the user cache dir, e.g. ~/.cache/ferry].
    #[arg(long, env = "FERRY_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The range.
    #[command(flatten)]
    pub range: RangeArgs,
    /// The GitHub API (unused with --source).
    #[command(flatten)]
    pub github: GitHubArgs,
    /// Secret key to sign with (password from FERRY_KEY_PASSWORD or the prompt).
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// Bundle file to write; an existing file is refused unless --force.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Replace an existing --output file (never the signing key itself).
    #[arg(long)]
    pub force: bool,
    /// How long the bundle stays valid: after that the air-gapped side
    /// refuses it unless --allow-expired (e.g. 30d, 26w, 1y).
    #[arg(long, default_value = "90days", value_parser = positive_duration, value_name = "DURATION")]
    pub expires: std::time::Duration,
    /// The creation time to record [default: SOURCE_DATE_EPOCH, else now]:
    /// rebuild a bundle byte for byte by giving the `created` that
    /// `ferry inspect` shows (RFC 3339, or seconds since 1970).
    #[arg(long, value_parser = creation_time, value_name = "TIME")]
    pub created: Option<i64>,
    /// Parallel downloads.
    #[arg(long, short, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Container images.
    #[command(flatten)]
    pub images: ImageArgs,
    /// Build from an archive made by `ferry mirror` instead of GitHub, with no network.
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// Write the bundle as parts no larger than SIZE (e.g. 4G for FAT32)
    /// with a signed part index, as `ferry split` does, instead of one file.
    #[arg(long, value_parser = byte_size, value_name = "SIZE")]
    pub split_size: Option<u64>,
    /// Download cache [default: the user cache dir, e.g. ~/.cache/ferry].
    #[arg(long, env = "FERRY_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which container images a bundle carries, and how to pull them.
#[derive(Debug, Default, Args)]
pub struct ImageArgs {
    /// Carry every container image the hops need: those their manifests name,
    /// those named in files inside them by the profile's rules (Kyma: the
    /// installer image's charts), and the profile's list.
    #[arg(long)]
    pub images: bool,
    /// Pull REGISTRY's images from a mirror; the bundle keeps the original names
    /// (repeatable, like containerd's mirrors).
    #[arg(long, value_name = "REGISTRY=HOST[:PORT][/PREFIX]")]
    pub registry_mirror: Vec<crate::images::reference::Mirror>,
    /// Speak plain HTTP (no TLS) to this registry host (repeatable).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub registry_insecure: Vec<String>,
    /// Keep only these platforms of multi-platform images [default: all] (repeatable).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Vec<String>,
    /// Leave this image out; the site must provide it (repeatable).
    #[arg(long, value_name = "REF")]
    pub skip_image: Vec<String>,
}

/// `ferry mirror`.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// `verify DIR` instead of mirroring.
    #[command(subcommand)]
    pub command: Option<MirrorCommand>,
    /// The GitHub API.
    #[command(flatten)]
    pub github: GitHubArgs,
    /// The archive directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Only releases at or after this version.
    #[arg(long, value_name = "VERSION")]
    pub since: Option<Version>,
    /// Only releases at or before this version.
    #[arg(long, value_name = "VERSION")]
    pub until: Option<Version>,
    /// Only assets whose name matches this glob (e.g. 'kyma-*.yaml').
    #[arg(long, value_name = "GLOB")]
    pub assets: Option<String>,
    /// Parallel downloads.
    #[arg(long, short, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Container images.
    #[command(flatten)]
    pub images: ImageArgs,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry mirror ...`.
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Re-hash every blob of an archive and check every index entry (exit 1 on any problem).
    Verify(MirrorVerifyArgs),
}

/// `ferry mirror verify`.
#[derive(Debug, Args)]
pub struct MirrorVerifyArgs {
    /// The archive directory.
    pub dir: PathBuf,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// The keys to trust.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Accept a bundle past its expiry date (or one without one).
    #[arg(long)]
    pub allow_expired: bool,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// Check the manifest's signature with the trusted keys (the payload is
    /// not read: `ferry verify` checks every file).
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `ferry images`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// Check the manifest's signature with the trusted keys first.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The site registry: show where each image goes there.
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: Option<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ferry guide`.
#[derive(Debug, Args)]
pub struct GuideArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// Check the bundle's signature with the trusted keys before showing
    /// anything (without any, the guide is shown marked UNVERIFIED).
    #[command(flatten)]
    pub trust: TrustArgs,
    /// The hop: its version (1.2.2) or minor (1.2).
    pub hop: String,
}

/// The public keys a command trusts: each `--pub` file and every `*.pub`
/// file of `--trusted-keys` (or `FERRY_TRUSTED_KEYS`).
#[derive(Debug, Default, Clone, Args)]
pub struct TrustArgs {
    /// A trusted public key (minisign .pub file); repeatable: a bundle signed
    /// by any of them is accepted.
    #[arg(long = "pub", value_name = "KEY")]
    pub keys: Vec<PathBuf>,
    /// A directory whose every *.pub file is a trusted key.
    #[arg(long, env = "FERRY_TRUSTED_KEYS", value_name = "DIR")]
    pub trusted_keys: Option<PathBuf>,
    /// Where an `oci://` bundle comes from.
    #[command(flatten)]
    pub oci: OciArgs,
}

/// How to reach the registry of an `oci://HOST/REPO:TAG` bundle.
#[derive(Debug, Args, Clone, Default)]
pub struct OciArgs {
    /// A registry spoken to over plain HTTP (repeatable), for oci:// bundles.
    #[arg(long, value_name = "HOST[:PORT]")]
    pub oci_insecure: Vec<String>,
    /// A PEM file of extra CAs to trust for oci:// bundles' registry.
    #[arg(long, value_name = "FILE")]
    pub oci_ca_cert: Option<PathBuf>,
    /// Download cache for oci:// bundles' parts [default: the user cache dir].
    #[arg(long = "oci-cache", env = "FERRY_CACHE", value_name = "DIR")]
    pub cache: Option<PathBuf>,
}

/// How to reach the cluster, like kubectl.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file [default: KUBECONFIG, else ~/.kube/config, else in-cluster].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context [default: the current context]; repeat it to
    /// upgrade (apply) or show (status) several clusters at once.
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,
}

/// `ferry apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// The keys to trust.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Apply a bundle past its expiry date (recorded in the cluster's journal).
    #[arg(long)]
    pub allow_expired: bool,
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Installation variant [default: the bundle's; for a bundle carrying both,
    /// local when the cluster says so (Kyma: kube-system/kyma-cluster-info isLocal), else cluster].
    #[arg(long, value_name = "cluster|local")]
    pub variant: Option<Variant>,
    /// The steps of every migration guide in the bundle are done.
    #[arg(long)]
    pub accept_guides: bool,
    /// The steps of this hop's migration guide are done (version or minor; repeatable).
    #[arg(long, value_name = "HOP")]
    pub accept_guide: Vec<String>,
    /// Do not ask for confirmation before starting.
    #[arg(long, short)]
    pub yes: bool,
    /// Verify, check and show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How long the installer may take for one hop.
    #[arg(long, default_value = "1h", value_parser = positive_duration, value_name = "DURATION")]
    pub timeout: std::time::Duration,
    /// Assume the cluster runs this version, when its installer image tag is not
    /// a version (a tag that is one always wins: a disagreement stops the run).
    #[arg(long, value_name = "VERSION")]
    pub current: Option<Version>,
    /// Resolve override conflicts by keeping the release's or the cluster's value.
    #[arg(long, value_name = "release|cluster")]
    pub prefer: Option<String>,
    /// Take over the upgrade lock from another (crashed) run.
    #[arg(long)]
    pub break_lock: bool,
    /// Pull every image from this site registry: each workload's image becomes
    /// HOST/PREFIX/<original repository path>:<tag> (where ferry push put it), the
    /// profile's installer overrides point the installer there, and preflight
    /// refuses to start while an image a remaining hop needs is missing there.
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: Option<String>,
    /// Speak plain HTTP (no TLS) to this registry host (repeatable).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub registry_insecure: Vec<String>,
    /// A PEM file with the CA certificate(s) of a private CA that signed the
    /// site registry's certificate, trusted next to the system's.
    /// SSL_CERT_FILE=FILE instead replaces the system's CAs. The certificate
    /// is always checked (unless the host is named with --registry-insecure).
    #[arg(long, env = "FERRY_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Upgrade every context this file lists (one per line, # comments),
    /// as a fleet; adds to --context.
    #[arg(long, value_name = "FILE")]
    pub contexts_from: Option<PathBuf>,
    /// A fleet: how many clusters are upgraded at the same time.
    #[arg(long, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
    /// A fleet: the directory of the per-cluster log files (CONTEXT.log, appended).
    #[arg(long, default_value = "ferry-logs", value_name = "DIR")]
    pub log_dir: PathBuf,
    /// Print a JSON summary on stdout (progress goes to stderr).
    #[arg(long)]
    pub json: bool,
}

/// `ferry push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The bundle: its file, or a split bundle's NAME.parts (or any of its
    /// parts), read in place.
    pub bundle: PathBuf,
    /// The keys to trust.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Push from a bundle past its expiry date.
    #[arg(long)]
    pub allow_expired: bool,
    /// The site registry to push to.
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: String,
    /// Speak plain HTTP (no TLS) to this registry host (repeatable).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub registry_insecure: Vec<String>,
    /// A PEM file with the CA certificate(s) of a private CA that signed the
    /// site registry's certificate, trusted next to the system's.
    /// SSL_CERT_FILE=FILE instead replaces the system's CAs. The certificate
    /// is always checked (unless the host is named with --registry-insecure).
    #[arg(long, env = "FERRY_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Parallel uploads.
    #[arg(long, short, default_value_t = 4, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Print a JSON summary instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `ferry status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Show every context of the kubeconfig, one line each (a fleet).
    #[arg(long, conflicts_with = "context")]
    pub all_contexts: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `ferry demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo's files in this directory instead of a temporary one.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
}

/// `ferry sandbox ...`.
#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the simulated GitHub API with the built-in Kyma release history.
    #[command(after_help = "\
Example:
  ferry sandbox github --listen 127.0.0.1:8080 &
  ferry plan --from 1.0.0 --to 1.3.0 --github-api http://127.0.0.1:8080")]
    Github(SandboxGithubArgs),

    /// Write generated container images as an OCI layout (for benchmarks and trying `--images`).
    #[command(after_help = "\
Prints one reference per line; skopeo copies them to a registry:
  ferry sandbox images --layout imgs --synthetic 10,20971520,10485760
  skopeo copy --dest-tls-verify=false oci:imgs:bench.local/ferry-bench/image-1:1 \\
    docker://localhost:5000/ferry-bench/image-1:1")]
    Images(SandboxImagesArgs),

    /// Serve a simulated Kubernetes API (a Kyma 1.x cluster) until Ctrl-C.
    #[command(after_help = "\
The simulator is in memory: restarting it resets the cluster. Its busy time (wall time with a
request in service) is served as JSON at /ferry-sandbox/stats, for benchmarks.

Example:
  ferry sandbox kube --listen 127.0.0.1:8443 --kubeconfig sim.kubeconfig --kyma-version 1.0.0 &
  kubectl --kubeconfig sim.kubeconfig get ns
  ferry apply kyma.ferry.tar.gz --pub ops.pub --kubeconfig sim.kubeconfig")]
    Kube(SandboxKubeArgs),
}

/// `ferry sandbox images`.
#[derive(Debug, Args)]
pub struct SandboxImagesArgs {
    /// Write the images as an OCI image layout here (created).
    #[arg(long, value_name = "DIR")]
    pub layout: PathBuf,
    /// COUNT images `bench.local/ferry-bench/image-N:1`, each a SHARED-byte layer
    /// common to all plus an OWN-byte layer of its own [default: the Kyma 1.1.0,
    /// 1.2.2 and 1.3.0 test images].
    #[arg(long, value_delimiter = ',', value_name = "COUNT,SHARED,OWN")]
    pub synthetic: Option<Vec<usize>>,
}

/// `ferry sandbox github`.
#[derive(Debug, Args)]
pub struct SandboxGithubArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Inject faults: comma-separated server-errors, cut-connections,
    /// primary-rate-limit, secondary-rate-limit, or all.
    #[arg(long, value_delimiter = ',', value_name = "FAULT,...")]
    pub faults: Vec<String>,
    /// Serve a generated release set `ferry-bench/synthetic` instead of Kyma:
    /// releases 1.0.0 to 1.HOPS.0, ASSETS YAML assets of BYTES bytes each
    /// (for benchmarks, with `--profile benches/synthetic.toml`).
    #[arg(long, value_delimiter = ',', value_name = "HOPS,ASSETS,BYTES")]
    pub synthetic: Option<Vec<u64>>,
    /// Serve a generated release set `ferry-bench/synthetic` whose assets
    /// apply to `ferry sandbox kube`: releases 1.0.0 to 1.HOPS.0, each with
    /// objects.yaml (OBJECTS objects), installer.yaml and installation.yaml
    /// (for the apply benchmark, with `--profile benches/synthetic-apply.toml`).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "HOPS,OBJECTS",
        conflicts_with = "synthetic"
    )]
    pub synthetic_objects: Option<Vec<u64>>,
}

/// `ferry sandbox kube`.
#[derive(Debug, Args)]
pub struct SandboxKubeArgs {
    /// Address to listen on (plain HTTP).
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,
    /// Write a kubeconfig for the simulator here.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: PathBuf,
    /// The kubeconfig's context name (distinct names let KUBECONFIG=a:b
    /// merge several simulators into a fleet).
    #[arg(long, default_value = "ferry-sim", value_name = "NAME")]
    pub context: String,
    /// Seed an installed Kyma at this version (default: an empty cluster).
    #[arg(long, value_name = "VERSION")]
    pub kyma_version: Option<String>,
    /// How long one simulated Kyma installation takes, in milliseconds.
    #[arg(long, default_value_t = 200, value_name = "MS")]
    pub installer_delay_ms: u64,
    /// Kubernetes version to simulate, MAJOR.MINOR (decides the served APIs)
    /// [default: what the seeded Kyma ran on: 1.15 up to Kyma 1.9, else 1.16].
    #[arg(long, value_name = "MAJOR.MINOR")]
    pub kubernetes: Option<String>,
}
