//! Tests of the GitHub simulator over real loopback HTTP (reqwest).

mod contents;
mod downloads;
mod faults;
mod kyma;
mod releases;
mod synthetic;

use super::{Catalogue, GitHubSim};
use reqwest::header::{HeaderMap, LINK};
use serde_json::Value;

/// A simulator with the Kyma catalogue.
async fn kyma_sim() -> GitHubSim {
    GitHubSim::start(Catalogue::kyma()).await.unwrap()
}

/// reqwest is built without a TLS provider: install ring's (once per process).
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client that follows redirects (reqwest's default policy).
fn client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder().build().unwrap()
}

/// A client that shows redirects instead of following them.
fn no_redirect_client() -> reqwest::Client {
    install_crypto();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `rel` links of a `Link` header.
fn links(headers: &HeaderMap) -> Vec<(String, String)> {
    let Some(link) = headers.get(LINK) else {
        return Vec::new();
    };
    link.to_str()
        .unwrap()
        .split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; ").unwrap();
            let url = url.trim_start_matches('<').trim_end_matches('>');
            let rel = rel.trim_start_matches("rel=\"").trim_end_matches('"');
            (rel.to_string(), url.to_string())
        })
        .collect()
}

/// The URL of one `rel` in a `Link` header.
fn link(headers: &HeaderMap, rel: &str) -> Option<String> {
    links(headers)
        .into_iter()
        .find(|(r, _)| r == rel)
        .map(|(_, u)| u)
}

/// Follows `rel="next"` from `first`, returning every item and each page's URL.
async fn all_pages(client: &reqwest::Client, first: &str) -> (Vec<Value>, Vec<String>) {
    let mut items = Vec::new();
    let mut urls = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(url) = next {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        next = link(response.headers(), "next");
        let page: Vec<Value> = response.json().await.unwrap();
        items.extend(page);
        urls.push(url);
    }
    (items, urls)
}

/// GET a URL and parse the JSON body, asserting 200.
async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}
