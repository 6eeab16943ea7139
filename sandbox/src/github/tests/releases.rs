//! Release, tag and branch listings: pagination, flags, lookups, quotas.

use super::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn pagination_covers_every_release_once_with_links() {
    let sim = kyma_sim().await;
    let base = sim.base_url();
    let total = sim.catalogue().releases.len();
    let client = client();
    let list = format!("{base}/repos/kyma-project/kyma/releases");
    let (items, urls) = all_pages(&client, &format!("{list}?per_page=17")).await;

    let tags: Vec<&str> = items
        .iter()
        .map(|r| r["tag_name"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = tags.iter().copied().collect();
    assert_eq!(tags.len(), total);
    assert_eq!(unique.len(), total, "a release appeared twice");
    let pages = total.div_ceil(17);
    assert_eq!(urls.len(), pages);

    // Newest first by creation date.
    let created: Vec<&str> = items
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));

    // Second page links every way, with absolute URLs on the simulator.
    let second = client.get(&urls[1]).send().await.unwrap();
    let rels = links(second.headers());
    let expect = |p: usize| format!("{list}?per_page=17&page={p}");
    assert_eq!(
        rels,
        vec![
            ("prev".to_string(), expect(1)),
            ("next".to_string(), expect(3)),
            ("last".to_string(), expect(pages)),
            ("first".to_string(), expect(1)),
        ]
    );
    // The last page has no next; the first no prev.
    let last = client.get(expect(pages)).send().await.unwrap();
    assert!(link(last.headers(), "next").is_none());
    assert!(link(last.headers(), "prev").is_some());
    let first = client.get(expect(1)).send().await.unwrap();
    assert!(link(first.headers(), "prev").is_none());

    // Default page size is 30, the maximum 100.
    let default: Vec<Value> = client
        .get(&list)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(default.len(), 30);
    let big: Vec<Value> = client
        .get(format!("{list}?per_page=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(big.len(), 100.min(total));
}

#[tokio::test]
async fn drafts_prereleases_and_release_shape() {
    let sim = kyma_sim().await;
    let client = client();
    let list = format!(
        "{}/repos/kyma-project/kyma/releases?per_page=100",
        sim.base_url()
    );
    let (items, _) = all_pages(&client, &list).await;

    let drafts: Vec<&Value> = items.iter().filter(|r| r["draft"] == true).collect();
    assert_eq!(drafts.len(), 1);
    assert!(drafts[0]["published_at"].is_null());
    for r in &items {
        let tag = r["tag_name"].as_str().unwrap();
        assert_eq!(r["prerelease"] == true, tag.contains("rc"), "{tag}");
        if r["draft"] == false {
            assert!(r["published_at"].is_string(), "{tag}");
        }
    }

    let by_tag = get_json(
        &client,
        &format!(
            "{}/repos/kyma-project/kyma/releases/tags/1.2.0",
            sim.base_url()
        ),
    )
    .await;
    assert_eq!(by_tag["tag_name"], "1.2.0");
    assert_eq!(by_tag["target_commitish"], "release-1.2");
    let asset = &by_tag["assets"][0];
    assert_eq!(asset["state"], "uploaded");
    assert!(asset["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(
        asset["browser_download_url"],
        format!(
            "https://github.com/kyma-project/kyma/releases/download/1.2.0/{}",
            asset["name"].as_str().unwrap()
        )
    );
    assert_eq!(
        asset["url"],
        format!(
            "{}/repos/kyma-project/kyma/releases/assets/{}",
            sim.base_url(),
            asset["id"]
        )
    );

    let by_id = get_json(&client, by_tag["url"].as_str().unwrap()).await;
    assert_eq!(by_id, by_tag);
    let latest = get_json(
        &client,
        &format!("{}/repos/kyma-project/kyma/releases/latest", sim.base_url()),
    )
    .await;
    assert_eq!(latest["tag_name"], "1.24.11");
    // Drafts are not found by tag.
    let draft = client
        .get(format!(
            "{}/repos/kyma-project/kyma/releases/tags/1.25.0",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(draft.status(), 404);
}

#[tokio::test]
async fn unknown_repo_is_404_and_api_answers_carry_quota_headers() {
    let sim = kyma_sim().await;
    let client = client();
    let missing = client
        .get(format!(
            "{}/repos/kyma-project/nope/releases",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["message"], "Not Found");

    let first = client
        .get(format!("{}/repos/Kyma-Project/Kyma/tags", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = client
        .get(format!(
            "{}/repos/kyma-project/kyma/branches",
            sim.base_url()
        ))
        .send()
        .await
        .unwrap();
    let remaining = |r: &reqwest::Response| -> u64 {
        r.headers()["x-ratelimit-remaining"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(remaining(&first), remaining(&second) + 1);
    assert_eq!(second.headers()["x-ratelimit-limit"], "5000");
    assert_eq!(second.headers()["x-ratelimit-resource"], "core");
    assert!(second.headers().contains_key("x-ratelimit-reset"));
    assert!(second.headers().contains_key("x-ratelimit-used"));

    let quota = get_json(&client, &format!("{}/rate_limit", sim.base_url())).await;
    assert_eq!(quota["resources"]["core"]["remaining"], remaining(&second));
}

#[tokio::test]
async fn tags_and_branches_paginate() {
    let sim = kyma_sim().await;
    let client = client();
    let base = sim.base_url();
    let (tags, _) = all_pages(
        &client,
        &format!("{base}/repos/kyma-project/kyma/tags?per_page=25"),
    )
    .await;
    let names: BTreeSet<&str> = tags.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), tags.len());
    for expected in ["0.90.0", "v0.5.0", "0.4-rc", "1.16.0-rc4", "1.24.11"] {
        assert!(names.contains(expected), "{expected}");
    }
    assert!(!names.contains("1.25.0"), "drafts have no tag");
    let sha = |name: &str| {
        tags.iter()
            .find(|t| t["name"] == name)
            .map(|t| t["commit"]["sha"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(sha("1.2.0-rc0"), sha("1.2.2"));
    assert_ne!(sha("1.2.0"), sha("1.2.2"));
    assert_eq!(sha("1.2.2").len(), 40);

    let (branches, _) = all_pages(
        &client,
        &format!("{base}/repos/kyma-project/kyma/branches?per_page=10"),
    )
    .await;
    let names: BTreeSet<&str> = branches
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert!(names.contains("main"));
    assert!(names.contains("release-1.25"));
    assert!(names.contains("release-1.0"));
    assert_eq!(names.len(), branches.len());
}

#[tokio::test]
async fn catalogue_changes_show_up_live() {
    let sim = kyma_sim().await;
    let client = client();
    let base = sim.base_url();
    sim.update_catalogue(|c| {
        let release = c.add_kyma_release("1.24.12", "2022-03-03T10:00:00Z");
        assert_eq!(release.assets.len(), 4);
    });
    let latest = get_json(
        &client,
        &format!("{base}/repos/kyma-project/kyma/releases/latest"),
    )
    .await;
    assert_eq!(latest["tag_name"], "1.24.12");
    let before = latest["assets"][0]["updated_at"]
        .as_str()
        .unwrap()
        .to_string();
    let name = latest["assets"][0]["name"].as_str().unwrap().to_string();
    sim.update_catalogue(|c| assert!(c.set_asset_content("1.24.12", &name, "changed\n")));
    let after = get_json(
        &client,
        &format!("{base}/repos/kyma-project/kyma/releases/tags/1.24.12"),
    )
    .await;
    assert_eq!(after["assets"][0]["size"], 8);
    assert!(after["assets"][0]["updated_at"].as_str().unwrap() > before.as_str());
}
