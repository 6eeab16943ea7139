//! The simulated registry over loopback: the distribution spec's answers to
//! raw requests (reqwest). ferry's own pull, push and site check against it
//! are tested in ferry's `registry` module.

use super::RegistrySim;
use ferry_formats::oci::Digest;
use reqwest::{Method, StatusCode};

/// Raw requests to one registry.
struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    fn new(sim: &RegistrySim) -> Raw {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Raw {
            http: reqwest::Client::new(),
            base: format!("http://{}", sim.host()),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> reqwest::Response {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self.http.request(method, url).body(body.to_vec());
        for (key, value) in headers {
            request = request.header(*key, *value);
        }
        request.send().await.unwrap()
    }

    /// The error code of a failed answer.
    async fn code(response: reqwest::Response) -> (StatusCode, String) {
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap();
        (
            status,
            body["errors"][0]["code"].as_str().unwrap().to_string(),
        )
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers()[name].to_str().unwrap().to_string()
}

/// Uploads `blob` to `repo` in two chunks; returns its digest.
async fn upload(raw: &Raw, repo: &str, blob: &[u8]) -> Digest {
    let digest = Digest::of(blob);
    let opened = raw
        .send(
            Method::POST,
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            b"",
        )
        .await;
    assert_eq!(opened.status(), 202);
    let location = header(&opened, "location");
    let (first, second) = blob.split_at(blob.len() / 2);
    let range = format!("0-{}", first.len() - 1);
    let patched = raw
        .send(
            Method::PATCH,
            &location,
            &[("content-range", &range)],
            first,
        )
        .await;
    assert_eq!(patched.status(), 202);
    assert_eq!(header(&patched, "range"), range);
    let location = header(&patched, "location");
    // A chunk that does not continue the upload is refused.
    let gap = raw
        .send(
            Method::PATCH,
            &location,
            &[("content-range", "99-100")],
            b"xx",
        )
        .await;
    assert_eq!(gap.status(), 416);
    let patched = raw.send(Method::PATCH, &location, &[], second).await;
    assert_eq!(header(&patched, "range"), format!("0-{}", blob.len() - 1));
    let wrong = Digest::of(b"something else");
    let refused = raw
        .send(Method::PUT, &format!("{location}?digest={wrong}"), &[], b"")
        .await;
    assert_eq!(
        Raw::code(refused).await,
        (StatusCode::BAD_REQUEST, "DIGEST_INVALID".into())
    );
    let done = raw
        .send(
            Method::PUT,
            &format!("{location}?digest={digest}"),
            &[],
            b"",
        )
        .await;
    assert_eq!(done.status(), 201);
    assert_eq!(header(&done, "docker-content-digest"), digest.as_str());
    digest
}

#[tokio::test]
async fn raw_requests_get_the_distribution_specs_answers() {
    let sim = RegistrySim::start().await.unwrap();
    let raw = Raw::new(&sim);
    assert_eq!(raw.send(Method::GET, "/v2/", &[], b"").await.status(), 200);

    let repo = "kyma/kyma-project/kyma-installer";
    let layer: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let layer_digest = upload(&raw, repo, &layer).await;
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_digest = upload(&raw, repo, config).await;

    // HEAD: the length, no body; another repository does not have the blob.
    let blob_path = |repo: &str| format!("/v2/{repo}/blobs/{layer_digest}");
    let head = raw.send(Method::HEAD, &blob_path(repo), &[], b"").await;
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), layer.len().to_string());
    let other = "kyma/kyma-project/other";
    let absent = raw.send(Method::HEAD, &blob_path(other), &[], b"").await;
    assert_eq!(absent.status(), 404);
    let missing = raw.send(Method::GET, &blob_path(other), &[], b"").await;
    assert_eq!(Raw::code(missing).await.1, "NAME_UNKNOWN");

    // Range reads.
    let part = raw
        .send(
            Method::GET,
            &blob_path(repo),
            &[("range", "bytes=9000-")],
            b"",
        )
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(header(&part, "content-range"), "bytes 9000-9999/10000");
    assert_eq!(part.bytes().await.unwrap(), layer[9000..]);
    let past = raw
        .send(
            Method::GET,
            &blob_path(repo),
            &[("range", "bytes=10000-")],
            b"",
        )
        .await;
    assert_eq!(past.status(), 416);

    // Mounts: 201 for a blob the source has, else a plain upload session.
    let mount = |digest: &Digest, from: &str| {
        format!("/v2/{other}/blobs/uploads/?mount={digest}&from={from}")
    };
    let unknown = Digest::of(b"never pushed");
    let session = raw
        .send(Method::POST, &mount(&unknown, repo), &[], b"")
        .await;
    assert_eq!(session.status(), 202);
    let mounted = raw
        .send(Method::POST, &mount(&layer_digest, repo), &[], b"")
        .await;
    assert_eq!(mounted.status(), 201);
    let head = raw.send(Method::HEAD, &blob_path(other), &[], b"").await;
    assert_eq!(head.status(), 200);

    // Manifests: refused while a blob is missing, then by tag and digest.
    let manifest = |layer: &Digest| {
        serde_json::json!({
            "schemaVersion": 2,
            "mediaType": ferry_formats::oci::media::OCI_MANIFEST,
            "config": {"mediaType": ferry_formats::oci::media::OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": ferry_formats::oci::media::OCI_LAYER_GZIP, "digest": layer, "size": 1}],
        })
        .to_string()
    };
    let content_type = [("content-type", ferry_formats::oci::media::OCI_MANIFEST)];
    let dangling = manifest(&unknown);
    let refused = raw
        .send(
            Method::PUT,
            &format!("/v2/{repo}/manifests/1.3.0"),
            &content_type,
            dangling.as_bytes(),
        )
        .await;
    assert_eq!(Raw::code(refused).await.1, "MANIFEST_BLOB_UNKNOWN");
    let good = manifest(&layer_digest);
    let put = raw
        .send(
            Method::PUT,
            &format!("/v2/{repo}/manifests/1.3.0"),
            &content_type,
            good.as_bytes(),
        )
        .await;
    assert_eq!(put.status(), 201);
    let digest = Digest::of(good.as_bytes());
    for reference in ["1.3.0", digest.as_str()] {
        let got = raw
            .send(
                Method::GET,
                &format!("/v2/{repo}/manifests/{reference}"),
                &[],
                b"",
            )
            .await;
        assert_eq!(got.status(), 200, "{reference}");
        assert_eq!(
            header(&got, "content-type"),
            ferry_formats::oci::media::OCI_MANIFEST
        );
        assert_eq!(header(&got, "docker-content-digest"), digest.as_str());
        assert_eq!(got.bytes().await.unwrap(), good.as_bytes());
    }
    let unknown_tag = raw
        .send(
            Method::GET,
            &format!("/v2/{repo}/manifests/9.9.9"),
            &[],
            b"",
        )
        .await;
    assert_eq!(
        Raw::code(unknown_tag).await,
        (StatusCode::NOT_FOUND, "MANIFEST_UNKNOWN".into())
    );
    assert_eq!(sim.tags(repo), ["1.3.0"]);
    assert_eq!(sim.repositories(), [repo, other]);

    // Garbage gets a 4xx, never a panic.
    for (method, path, body) in [
        (Method::GET, "/v2/Bad/manifests/1".to_string(), ""),
        (Method::GET, format!("/v2/{repo}/blobs/sha256:zz"), ""),
        (Method::PUT, format!("/v2/{repo}/manifests/x"), "not json"),
        (Method::PUT, format!("/v2/{repo}/manifests/x"), "{}"),
        (Method::PATCH, format!("/v2/{repo}/blobs/uploads/nope"), "x"),
        (Method::DELETE, format!("/v2/{repo}/manifests/1.3.0"), ""),
        (Method::GET, "/elsewhere".to_string(), ""),
    ] {
        let response = raw.send(method.clone(), &path, &[], body.as_bytes()).await;
        let status = response.status();
        assert!(status.is_client_error(), "{method} {path}: {status}");
    }
    sim.shutdown();
}
