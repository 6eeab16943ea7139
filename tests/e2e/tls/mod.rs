//! TLS in front of the simulators: a test PKI made with the real `openssl`
//! CLI (a CA; a server certificate for 127.0.0.1 and localhost and a client
//! certificate, both signed by it; a rogue CA with a server certificate of
//! its own), and Debian's `stunnel4` terminating TLS on a free loopback port
//! in front of a plain-HTTP simulator, optionally requiring a client
//! certificate the CA signed; stunnel is killed on drop.
//!
//! `kube` reaches the Kubernetes simulator through it (ferry and kubectl),
//! `github` the GitHub simulator as a GitHub Enterprise with a private CA,
//! `registry` a mirror behind stunnel and a site registry serving TLS itself,
//! `secrets` checks that tokens and passwords stay out of logs and key files
//! stay private.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod github;
mod kube;
mod registry;
mod secrets;

/// How long a starting stunnel may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try when another process takes the free one first.
const START_ATTEMPTS: usize = 5;

/// The extensions of the test certificates (`openssl -extensions NAME`).
const OPENSSL_CONFIG: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ferry-test
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

/// A certificate and its private key, PEM files.
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The test PKI, generated fresh in a directory.
pub struct Pki {
    /// The CA that clients are told to trust.
    pub ca: PathBuf,
    /// A server certificate for 127.0.0.1 and localhost, signed by `ca`.
    pub server: Pair,
    /// A client certificate (`O=system:masters, CN=ferry-admin`), signed by `ca`.
    pub client: Pair,
    /// A server certificate for the same names, signed by another CA.
    pub rogue_server: Pair,
}

impl Pki {
    /// Generates the CAs and certificates (P-256 keys, valid for two days) in `dir`.
    pub fn new(dir: &Path) -> Pki {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("openssl.cnf"), OPENSSL_CONFIG).unwrap();
        let ca = self_signed(dir, "ca", "/CN=ferry test CA");
        let rogue = self_signed(dir, "rogue-ca", "/CN=ferry rogue CA");
        Pki {
            server: signed(dir, "server", "/CN=127.0.0.1", "server", &ca, 2),
            client: signed(
                dir,
                "client",
                "/O=system:masters/CN=ferry-admin",
                "client",
                &ca,
                3,
            ),
            rogue_server: signed(dir, "rogue-server", "/CN=127.0.0.1", "server", &rogue, 4),
            ca: ca.cert,
        }
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl (apt-get install openssl): {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EC_KEY: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

fn self_signed(dir: &Path, name: &str, subject: &str) -> Pair {
    let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
    let mut args = vec![
        "req",
        "-x509",
        "-config",
        "openssl.cnf",
        "-extensions",
        "ca",
    ];
    args.extend(EC_KEY);
    args.extend(["-nodes", "-keyout", &key, "-out", &cert]);
    args.extend(["-days", "2", "-subj", subject]);
    openssl(dir, &args);
    Pair {
        cert: dir.join(cert),
        key: dir.join(key),
    }
}

fn signed(dir: &Path, name: &str, subject: &str, profile: &str, ca: &Pair, serial: u32) -> Pair {
    let (cert, key, csr) = (
        format!("{name}.pem"),
        format!("{name}.key"),
        format!("{name}.csr"),
    );
    let mut args = vec!["req", "-new", "-config", "openssl.cnf"];
    args.extend(EC_KEY);
    args.extend(["-nodes", "-keyout", &key, "-out", &csr, "-subj", subject]);
    openssl(dir, &args);
    let (ca_cert, ca_key) = (ca.cert.to_str().unwrap(), ca.key.to_str().unwrap());
    let serial = serial.to_string();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            ca_cert,
            "-CAkey",
            ca_key,
            "-set_serial",
            &serial,
            "-days",
            "2",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            profile,
            "-out",
            &cert,
        ],
    );
    Pair {
        cert: dir.join(cert),
        key: dir.join(key),
    }
}

/// A running `stunnel4`: TLS on a loopback port, plain TCP to the backend.
pub struct Tunnel {
    child: Child,
    port: u16,
}

impl Tunnel {
    /// Terminates TLS with `server` in front of `backend` (`127.0.0.1:PORT`);
    /// with `client_ca`, only clients presenting a certificate that CA
    /// signed get through. Its files and log live in `dir`.
    pub fn start(dir: &Path, backend: &str, server: &Pair, client_ca: Option<&Path>) -> Tunnel {
        std::fs::create_dir_all(dir).unwrap();
        let log = dir.join("stunnel.log");
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            let config = dir.join("stunnel.conf");
            std::fs::write(&config, config_text(port, backend, server, client_ca)).unwrap();
            let out = std::fs::File::create(&log).unwrap();
            let child = Command::new("stunnel4")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run stunnel4 (apt-get install stunnel4): {e}"));
            let mut tunnel = Tunnel { child, port };
            if tunnel.wait_until_up() {
                return tunnel;
            }
        }
        panic!(
            "stunnel4 did not start:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn wait_until_up(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// stunnel's configuration: in the foreground, no pid file, one service.
fn config_text(port: u16, backend: &str, server: &Pair, client_ca: Option<&Path>) -> String {
    let mut text = format!(
        "foreground = yes\npid =\ndebug = warning\n[ferry-test]\naccept = 127.0.0.1:{port}\n\
         connect = {backend}\ncert = {}\nkey = {}\n",
        server.cert.display(),
        server.key.display()
    );
    if let Some(ca) = client_ca {
        text.push_str(&format!(
            "CAfile = {}\nrequireCert = yes\nverifyChain = yes\n",
            ca.display()
        ));
    }
    text
}

/// A port nobody listened on a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
