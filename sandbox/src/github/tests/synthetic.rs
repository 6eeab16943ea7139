//! The synthetic benchmark catalogue: shape, determinism, and downloads of
//! its assets through the real API redirect.

use super::{client, Catalogue, GitHubSim};
use crate::github::{synthetic_yaml, SYNTHETIC_OWNER, SYNTHETIC_REPO};

#[test]
fn releases_assets_and_sizes_follow_the_arguments() {
    let c = Catalogue::synthetic(3, 2, 5_000);
    let mut tags: Vec<&str> = c.releases.iter().map(|r| r.tag.as_str()).collect();
    tags.sort();
    assert_eq!(tags, ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]);
    let r = c.release("1.2.0").unwrap();
    let names: Vec<&str> = r.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["part-01.yaml", "part-02.yaml"]);
    assert!(r.assets.iter().all(|a| a.content.len() == 5_000));
    assert_ne!(r.assets[0].content, r.assets[1].content);
    assert_eq!(c.commit_of("1.3.0").map(str::len), Some(40));
}

#[test]
fn content_is_deterministic_yaml_that_compresses_but_not_to_nothing() {
    let a = synthetic_yaml("1.1.0/part-01.yaml", 200_000);
    assert_eq!(a, synthetic_yaml("1.1.0/part-01.yaml", 200_000));
    assert_ne!(a, synthetic_yaml("1.1.0/part-02.yaml", 200_000));
    let text = std::str::from_utf8(&a).unwrap();
    assert!(text.starts_with("---\napiVersion: v1\nkind: "));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &a).unwrap();
    let ratio = a.len() as f64 / gz.finish().unwrap().len() as f64;
    assert!((3.0..30.0).contains(&ratio), "gzip ratio {ratio}");
}

#[tokio::test]
async fn assets_download_through_the_api_redirect() {
    let sim = GitHubSim::start(Catalogue::synthetic(1, 1, 3_000))
        .await
        .unwrap();
    let url = format!(
        "{}/repos/{SYNTHETIC_OWNER}/{SYNTHETIC_REPO}/releases/assets/2001",
        sim.base_url()
    );
    let body = client()
        .get(url)
        .header("Accept", "application/octet-stream")
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], &synthetic_yaml("1.1.0/part-01.yaml", 3_000)[..]);
}
