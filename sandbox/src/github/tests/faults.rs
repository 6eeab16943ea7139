//! Each fault fires as documented, and a client that retries converges on
//! the bytes of a clean run.

use super::*;
use crate::github::{Faults, RequestKind};
use reqwest::header::{ACCEPT, RANGE};
use std::time::Duration;

fn releases_url(sim: &GitHubSim) -> String {
    format!(
        "{}/repos/kyma-project/kyma/releases?per_page=50",
        sim.base_url()
    )
}

fn asset_url(sim: &GitHubSim) -> (String, bytes::Bytes) {
    let c = sim.catalogue();
    let a = c
        .release("1.24.11")
        .unwrap()
        .asset("kyma-installer.yaml")
        .unwrap()
        .clone();
    (
        format!(
            "{}/repos/kyma-project/kyma/releases/assets/{}",
            sim.base_url(),
            a.id
        ),
        a.content,
    )
}

/// Reads a body until it ends or breaks; returns the bytes and whether it broke.
async fn read_until_break(mut response: reqwest::Response) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => return (got, false),
            Err(_) => return (got, true),
        }
    }
}

#[tokio::test]
async fn server_errors_hit_first_request_per_path_then_pass() {
    let sim = kyma_sim().await;
    let client = client();
    let clean = client
        .get(releases_url(&sim))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    sim.set_faults(Faults {
        server_errors: true,
        ..Faults::default()
    });
    assert_eq!(
        client
            .get(releases_url(&sim))
            .send()
            .await
            .unwrap()
            .status(),
        502
    );
    let retried = client.get(releases_url(&sim)).send().await.unwrap();
    assert_eq!(retried.status(), 200);
    assert_eq!(retried.bytes().await.unwrap(), clean);

    let (api, expected) = asset_url(&sim);
    let get = || {
        client
            .get(&api)
            .header(ACCEPT, "application/octet-stream")
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 502, "asset redirect");
    assert_eq!(
        get().await.unwrap().status(),
        502,
        "storage, through a fresh redirect"
    );
    let ok = get().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.bytes().await.unwrap(), expected);
    let kinds: Vec<(RequestKind, u16)> =
        sim.requests().iter().map(|r| (r.kind, r.status)).collect();
    assert_eq!(
        kinds[kinds.len() - 5..],
        [
            (RequestKind::AssetRedirect, 502),
            (RequestKind::AssetRedirect, 302),
            (RequestKind::Storage, 502),
            (RequestKind::AssetRedirect, 302),
            (RequestKind::Storage, 200),
        ]
    );
}

#[tokio::test]
async fn cut_connections_drop_first_full_body_then_resume_works() {
    let sim = kyma_sim().await;
    let client = client();
    let clean_list = client
        .get(releases_url(&sim))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    sim.set_faults(Faults {
        cut_connections: true,
        ..Faults::default()
    });

    let (api, expected) = asset_url(&sim);
    let first = client
        .get(&api)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.content_length(), Some(expected.len() as u64));
    let (mut got, broke) = read_until_break(first).await;
    assert!(broke, "the body must break off");
    assert!(
        !got.is_empty() && got.len() < expected.len(),
        "got {} bytes",
        got.len()
    );
    let rest = client
        .get(&api)
        .header(ACCEPT, "application/octet-stream")
        .header(RANGE, format!("bytes={}-", got.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), 206);
    got.extend_from_slice(&rest.bytes().await.unwrap());
    assert_eq!(got, expected.to_vec());
    // A full download now passes too.
    let again = client
        .get(&api)
        .header(ACCEPT, "application/octet-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(again.bytes().await.unwrap(), expected);

    let page = client.get(releases_url(&sim)).send().await.unwrap();
    let (partial, broke) = read_until_break(page).await;
    assert!(broke && partial.len() < clean_list.len());
    let page = client.get(releases_url(&sim)).send().await.unwrap();
    assert_eq!(page.bytes().await.unwrap(), clean_list);
}

#[tokio::test]
async fn primary_rate_limit_blocks_until_reset() {
    let sim = kyma_sim().await;
    let client = client();
    sim.set_faults(Faults {
        primary_rate_limit: true,
        ..Faults::default()
    });
    let limited = client.get(releases_url(&sim)).send().await.unwrap();
    assert_eq!(limited.status(), 403);
    assert_eq!(limited.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = limited.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = super::super::clock::unix_now();
    assert!(reset > now && reset <= now + 2, "reset {reset}, now {now}");
    let body: Value = limited.json().await.unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("API rate limit exceeded for "));
    let contents = format!(
        "{}/repos/kyma-project/kyma/contents/README.md",
        sim.base_url()
    );
    assert_eq!(client.get(&contents).send().await.unwrap().status(), 403);

    // Wait for the advertised reset, then it works.
    while super::super::clock::unix_now() < reset {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ok = client.get(releases_url(&sim)).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_ne!(ok.headers()["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn secondary_rate_limit_hits_third_request_once() {
    let sim = kyma_sim().await;
    let client = client();
    sim.set_faults(Faults {
        secondary_rate_limit: true,
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = client.get(releases_url(&sim)).send().await.unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(r.headers()["retry-after"], "1");
            let body: Value = r.json().await.unwrap();
            assert!(body["message"]
                .as_str()
                .unwrap()
                .contains("secondary rate limit"));
        }
    }
    assert_eq!(statuses, [200, 200, 429, 200, 200]);
}

/// A small but correct retrying client: waits on 403/429 as GitHub asks,
/// retries 502 and broken bodies, resumes downloads with Range.
async fn fetch_with_retries(client: &reqwest::Client, url: &str, accept: &str) -> Vec<u8> {
    let mut got: Vec<u8> = Vec::new();
    for _ in 0..20 {
        let mut request = client.get(url).header(ACCEPT, accept);
        if !got.is_empty() {
            request = request.header(RANGE, format!("bytes={}-", got.len()));
        }
        let response = request.send().await.unwrap();
        match response.status().as_u16() {
            200 | 206 => {
                if response.status() == 200 {
                    got.clear();
                }
                let (bytes, broke) = read_until_break(response).await;
                got.extend_from_slice(&bytes);
                if !broke {
                    return got;
                }
            }
            403 if response.headers()["x-ratelimit-remaining"] == "0" => {
                let reset: u64 = response.headers()["x-ratelimit-reset"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                while super::super::clock::unix_now() < reset {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            429 => {
                let secs: u64 = response.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            502 => {}
            other => panic!("unexpected status {other} for {url}"),
        }
    }
    panic!("no convergence for {url}");
}

#[tokio::test]
async fn a_retrying_client_converges_under_all_faults() {
    let sim = kyma_sim().await;
    let client = client();
    let (api, expected) = asset_url(&sim);
    let json = "application/vnd.github+json";
    let clean_list = fetch_with_retries(&client, &releases_url(&sim), json).await;

    sim.set_faults(Faults::all());
    let list = fetch_with_retries(&client, &releases_url(&sim), json).await;
    let asset = fetch_with_retries(&client, &api, "application/octet-stream").await;
    assert_eq!(list, clean_list);
    assert_eq!(asset, expected.to_vec());
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    for fired in [403, 429, 502] {
        assert!(
            statuses.contains(&fired),
            "{fired} never fired: {statuses:?}"
        );
    }
}
