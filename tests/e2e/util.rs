//! A scratch directory, a GitHub simulator and a way to run ferry in them.

use ferry::sandbox::github::{Catalogue, GitHubSim};
use ferry::sandbox::kube::{ClusterConfig, KubeSim};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One test's world: a runtime serving the simulator, and a temp dir.
pub struct World {
    pub sim: GitHubSim,
    pub kube: Option<KubeSim>,
    pub dir: tempfile::TempDir,
    /// The `--created` every `bundle` of this world records (its start),
    /// so two builds in one test give the same bytes.
    pub created: String,
    runtime: tokio::runtime::Runtime,
}

impl World {
    pub fn new() -> World {
        World::with_catalogue(Catalogue::kyma())
    }

    pub fn with_catalogue(catalogue: Catalogue) -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = runtime.block_on(GitHubSim::start(catalogue)).unwrap();
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        World {
            sim,
            kube: None,
            dir: tempfile::tempdir().unwrap(),
            created,
            runtime,
        }
    }

    /// A world with a simulated cluster too; ferry finds it through KUBECONFIG.
    pub fn with_cluster(config: ClusterConfig) -> World {
        let mut world = World::new();
        let kube = world.runtime.block_on(KubeSim::start(config)).unwrap();
        kube.write_kubeconfig(&world.path("kubeconfig"), "sim")
            .unwrap();
        world.kube = Some(kube);
        world
    }

    /// Starts one more simulated cluster on this world's runtime (a fleet).
    pub fn start_cluster(&self, config: ClusterConfig) -> KubeSim {
        self.runtime.block_on(KubeSim::start(config)).unwrap()
    }

    pub fn cluster(&self) -> &KubeSim {
        self.kube.as_ref().expect("a world with a cluster")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ferry` pointed at the simulator, with a private cache and no token.
    pub fn ferry(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferry"));
        command
            .current_dir(self.dir.path())
            .env("FERRY_GITHUB_API", self.sim.base_url())
            .env("FERRY_CACHE", self.path("cache"))
            .env("HOME", self.dir.path())
            .env("KUBECONFIG", self.path("kubeconfig"))
            .env("PAGER", "cat")
            .env_remove("GITHUB_TOKEN")
            .env_remove("GH_TOKEN")
            .env_remove("FERRY_PROFILE")
            .env_remove("FERRY_KEY_PASSWORD")
            .env_remove("SOURCE_DATE_EPOCH")
            .env_remove("RUST_LOG");
        command
    }

    /// Starts ferry with `args` in the background, its output piped.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.ferry()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs ferry with `args` and returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        self.ferry().args(args).output().unwrap()
    }

    /// POSTs `object` to the simulated cluster at `path` (a collection URL)
    /// and returns the HTTP status.
    pub fn create_in_cluster(&self, path: &str, object: &serde_json::Value) -> u16 {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cluster = self.cluster();
        let url = format!("{}{path}", cluster.base_url());
        let request = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap()
            .post(url)
            .bearer_auth(cluster.token())
            .json(object);
        self.runtime
            .block_on(request.send())
            .unwrap()
            .status()
            .as_u16()
    }

    /// An unencrypted key pair `ops.key` / `ops.pub` in the world's dir.
    pub fn keygen(&self) -> (PathBuf, PathBuf) {
        let out = self.run(&["keygen", "--output", "ops", "--unencrypted"]);
        assert_success(&out);
        (self.path("ops.key"), self.path("ops.pub"))
    }

    /// Bundles `from..to` into `name` with the world's key (made if needed).
    pub fn bundle(&self, from: &str, to: &str, name: &str, extra: &[&str]) -> Output {
        if !self.path("ops.key").exists() {
            self.keygen();
        }
        let mut args = vec![
            "bundle", "--from", from, "--to", to, "--key", "ops.key", "--output", name,
        ];
        if !extra.contains(&"--created") {
            args.extend(["--created", self.created.as_str()]);
        }
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

pub fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "ferry failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn json(out: &Output) -> serde_json::Value {
    assert_success(out);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(out)))
}

/// Compresses the tar stream that shell `script` writes to stdout with the
/// real `gzip`, as one member whose header is the one ferry writes (no
/// name or time, OS byte 255): archives doctored with stock tools then
/// get past the gzip checks, so a test reaches the tar-level check it is
/// about.
pub fn gzip_like_ferry(dir: &Path, script: &str, output: &str) {
    let pipeline = format!(
        "({script}) | gzip -n > {output} && printf '\\377' | dd of={output} bs=1 seek=9 conv=notrunc status=none"
    );
    tool(dir, "sh", &["-c", &pipeline]);
}

/// Runs an external tool in `dir`; panics with its output on failure.
pub fn tool(dir: &Path, program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ferry apply BUNDLE` with guides accepted, no questions and a 60 s hop
/// timeout, plus `extra`.
pub fn unattended_apply<'a>(bundle: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "apply",
        bundle,
        "--pub",
        "ops.pub",
        "--accept-guides",
        "--yes",
        "--timeout",
        "60s",
    ];
    args.extend_from_slice(extra);
    args
}
