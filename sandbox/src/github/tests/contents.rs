//! The contents API: directory listing, base64 and raw files, 404s.

use super::*;
use crate::github::sha1::git_blob_sha;
use base64::Engine;
use reqwest::header::ACCEPT;

#[tokio::test]
async fn lists_directory_and_serves_files_as_base64_and_raw() {
    let sim = kyma_sim().await;
    let client = client();
    let base = sim.base_url();
    let dir = get_json(
        &client,
        &format!("{base}/repos/kyma-project/kyma/contents/docs/migration-guides?ref=release-1.18"),
    )
    .await;
    let entries = dir.as_array().unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["1.15-1.17.md", "1.17-1.18.md"]);
    let entry = &entries[0];
    assert_eq!(entry["type"], "file");
    assert_eq!(entry["path"], "docs/migration-guides/1.15-1.17.md");

    let file_url = format!("{base}/repos/kyma-project/kyma/contents/docs/migration-guides/1.15-1.17.md?ref=release-1.18");
    let file = get_json(&client, &file_url).await;
    assert_eq!(file["encoding"], "base64");
    let encoded: String = file["content"].as_str().unwrap().split('\n').collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert_eq!(file["size"], decoded.len());
    assert_eq!(file["sha"], git_blob_sha(&decoded));
    assert_eq!(entry["sha"], file["sha"]);

    let raw = client
        .get(&file_url)
        .header(ACCEPT, "application/vnd.github.raw+json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(raw.bytes().await.unwrap().to_vec(), decoded);
    let raw = client
        .get(&file_url)
        .header(ACCEPT, "application/vnd.github.raw")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.bytes().await.unwrap().to_vec(), decoded);
    let download = client
        .get(entry["download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(download.bytes().await.unwrap().to_vec(), decoded);

    // The root lists directories as such; no ref means the default branch.
    let root = get_json(&client, &format!("{base}/repos/kyma-project/kyma/contents")).await;
    let docs = root
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "installation")
        .unwrap();
    assert_eq!(docs["type"], "dir");
    assert!(docs["download_url"].is_null());
}

#[tokio::test]
async fn missing_ref_or_path_is_404() {
    let sim = kyma_sim().await;
    let client = client();
    let base = sim.base_url();
    for url in [
        format!("{base}/repos/kyma-project/kyma/contents/docs/migration-guides?ref=release-9.9"),
        format!("{base}/repos/kyma-project/kyma/contents/docs/migration-guides?ref=release-1.7"),
        format!("{base}/repos/kyma-project/kyma/contents/nothing/here.md?ref=release-1.18"),
        format!("{base}/repos/kyma-project/other/contents/README.md"),
    ] {
        let response = client.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 404, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["message"], "Not Found");
        assert!(body["documentation_url"].is_string());
    }
}
