//! A real registry for the image tests: Debian's `docker-registry` (CNCF
//! distribution 2.8) on a free loopback port, optionally behind htpasswd
//! auth, stopped on drop; and real `skopeo` to push generated images from an
//! OCI layout into it, at the places the mirror convention of
//! `ferry::sandbox::images` says (`eu.gcr.io/...` at the root, any other
//! registry `R` under `HOST/R/`). `tests` checks the fixture itself:
//! skopeo reads the generated layout, pushes keep every digest, auth holds.

use ferry::sandbox::images::{mirrored_reference, registry_mirror_flags, GeneratedImage};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod faults;
mod tests;

/// How long a starting registry may take to answer `GET /v2/`.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try when another process takes the free one first.
const START_ATTEMPTS: usize = 5;

/// A running `docker-registry serve`, killed on drop.
pub struct Registry {
    child: Child,
    host: String,
    dir: PathBuf,
    tls: bool,
}

impl Registry {
    /// Starts a registry storing its data under `dir`; with `auth`, only that
    /// user and password may push or pull.
    pub fn start(dir: &Path, auth: Option<(&str, &str)>) -> Registry {
        Registry::start_with(dir, auth, None)
    }

    /// Starts a registry serving HTTPS with the certificate and key files `tls`.
    pub fn start_tls(dir: &Path, tls: (&Path, &Path)) -> Registry {
        Registry::start_with(dir, None, Some(tls))
    }

    fn start_with(dir: &Path, auth: Option<(&str, &str)>, tls: Option<(&Path, &Path)>) -> Registry {
        std::fs::create_dir_all(dir).unwrap();
        let htpasswd = auth.map(|(user, pass)| {
            let entry = crate::e2e::util::tool(dir, "htpasswd", &["-Bbn", user, pass]);
            let path = dir.join("htpasswd");
            std::fs::write(&path, entry).unwrap();
            path
        });
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let config = dir.join("config.yml");
            std::fs::write(&config, config_yaml(dir, port, htpasswd.as_deref(), tls)).unwrap();
            let log = std::fs::File::create(dir.join("registry.log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("cannot run docker-registry (apt-get install docker-registry): {e}")
                });
            let mut registry = Registry {
                child,
                host: format!("127.0.0.1:{port}"),
                dir: dir.to_path_buf(),
                tls: tls.is_some(),
            };
            if registry.wait_until_up() {
                return registry;
            }
        }
        panic!(
            "docker-registry did not start:\n{}",
            std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default()
        );
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The status of an anonymous `GET path` (`/v2/`), or None without an answer.
    pub fn status(&self, path: &str) -> Option<u16> {
        let mut stream = TcpStream::connect(&self.host).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let request = format!("GET {path} HTTP/1.0\r\nHost: {}\r\n\r\n", self.host);
        stream.write_all(request.as_bytes()).ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).ok()?;
        std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
    }

    /// The status and body of an anonymous `METHOD path` with `accept` and
    /// an optional body of `content_type` (HTTP/1.0, so the body ends the
    /// connection): the tests' way to read and forge manifests.
    pub fn http(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(&self.host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nAccept: {content_type}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let status = std::str::from_utf8(&answer[9..12])
            .unwrap()
            .parse()
            .unwrap();
        (status, answer[split + 4..].to_vec())
    }

    /// Where this registry serves `reference` (`HOST/kyma-project/x:1`).
    pub fn mirrored(&self, reference: &str) -> String {
        mirrored_reference(&self.host, reference).unwrap()
    }

    /// The `--registry-mirror` arguments that send ferry here for `references`.
    pub fn mirror_args(&self, references: &[String]) -> Vec<String> {
        registry_mirror_flags(&self.host, references)
            .into_iter()
            .flat_map(|flag| ["--registry-mirror".to_string(), flag])
            .collect()
    }

    /// Waits until `GET /v2/` answers 200 or 401 (400 from a TLS registry:
    /// that is how it answers plain HTTP); false if the process died (its
    /// port was taken) or the wait ran out.
    fn wait_until_up(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            match self.status("/v2/") {
                Some(200 | 401) => return true,
                Some(400) if self.tls => return true,
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listened on a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The registry's configuration: filesystem storage under `dir`, deletes
/// allowed, optional TLS (certificate and key files), optional htpasswd auth.
fn config_yaml(
    dir: &Path,
    port: u16,
    htpasswd: Option<&Path>,
    tls: Option<(&Path, &Path)>,
) -> String {
    let mut config = format!(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
        dir.join("storage").display()
    );
    if let Some((cert, key)) = tls {
        config.push_str(&format!(
            "  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            key.display()
        ));
    }
    if let Some(path) = htpasswd {
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: ferry-test\n    path: {}\n",
            path.display()
        ));
    }
    config
}

/// `skopeo` with no credentials from the machine: the auth file is one in
/// `dir` that does not exist.
pub fn skopeo(dir: &Path, args: &[&str]) -> Output {
    skopeo_command(dir)
        .args(args)
        .output()
        .unwrap_or_else(no_skopeo)
}

/// A `skopeo` command run in `dir` that sees no machine credentials.
fn skopeo_command(dir: &Path) -> Command {
    let mut command = Command::new("skopeo");
    command
        .env("REGISTRY_AUTH_FILE", dir.join("no-auth.json"))
        .current_dir(dir);
    command
}

fn no_skopeo<T>(error: std::io::Error) -> T {
    panic!("cannot run skopeo (apt-get install skopeo): {error}")
}

/// The `skopeo copy` arguments pushing `reference` from `layout` to `registry`.
fn push_args(
    layout: &Path,
    reference: &str,
    registry: &Registry,
    creds: Option<&str>,
) -> Vec<String> {
    let mut args = vec!["copy", "--quiet", "--all", "--dest-tls-verify=false"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    if let Some(creds) = creds {
        args.extend(["--dest-creds".to_string(), creds.to_string()]);
    }
    args.push(format!("oci:{}:{reference}", layout.display()));
    args.push(format!("docker://{}", registry.mirrored(reference)));
    args
}

/// Pushes one image of `layout` with skopeo; the output says how it went.
pub fn push_image(
    layout: &Path,
    reference: &str,
    registry: &Registry,
    creds: Option<(&str, &str)>,
) -> Output {
    let creds = creds.map(|(user, pass)| format!("{user}:{pass}"));
    let args = push_args(layout, reference, registry, creds.as_deref());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    skopeo(&registry.dir, &args)
}

/// Pushes every image of `images` from `layout` (written by
/// `write_layout`) into `registry`, all at once; panics naming the first failure.
pub fn push_images(
    layout: &Path,
    images: &[GeneratedImage],
    registry: &Registry,
    creds: Option<(&str, &str)>,
) {
    let creds = creds.map(|(user, pass)| format!("{user}:{pass}"));
    let children: Vec<(String, Child)> = images
        .iter()
        .map(|image| {
            let child = skopeo_command(&registry.dir)
                .args(push_args(
                    layout,
                    &image.reference,
                    registry,
                    creds.as_deref(),
                ))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(no_skopeo);
            (image.reference.clone(), child)
        })
        .collect();
    for (reference, child) in children {
        let mut out = child.wait_with_output().unwrap();
        // docker-registry's filesystem storage can answer 500 while another
        // push writes the same shared blob; a push is idempotent, so retry
        // it alone.
        for _ in 0..2 {
            if out.status.success() {
                break;
            }
            let creds = creds.as_deref().and_then(|c| c.split_once(':'));
            out = push_image(layout, &reference, registry, creds);
        }
        assert!(
            out.status.success(),
            "skopeo could not push {reference}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
