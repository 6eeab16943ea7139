//! The HTTP client over loopback: retries, rate-limit waits, errors, pagination.

use super::super::testserver::{Reply, TestServer};
use super::*;

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = TestServer::start().await;
    server.script(
        "/repos/o/r",
        vec![
            Reply::error(503, "busy", vec![]),
            Reply::error(502, "bad gateway", vec![]),
            Reply::json(r#"{"name":"r"}"#, vec![]),
        ],
    );
    let (http, recorder) = client(3);
    let value: serde_json::Value = http.get_json(&server.url("/repos/o/r")).await.unwrap();
    assert_eq!(value["name"], "r");
    let seen = server.seen("/repos/o/r");
    assert_eq!(seen.len(), 3);
    assert_eq!(recorder.retries(), 2);
    let first = &seen[0];
    assert_eq!(first.header("authorization"), Some("Bearer t0k"));
    assert_eq!(first.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(first.header("x-github-api-version"), Some("2022-11-28"));
    assert!(first.header("user-agent").unwrap().starts_with("ferry/"));
}

#[tokio::test]
async fn server_errors_give_up_after_max_retries() {
    let server = TestServer::start().await;
    server.script("/down", vec![Reply::error(503, "busy", vec![])]);
    let (http, _) = client(2);
    let err = http
        .get_json::<serde_json::Value>(&server.url("/down"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::Server { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.seen("/down").len(), 3);
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    drop(listener);
    let (http, recorder) = client(2);
    let err = http.get_bytes(&url, "*/*").await.unwrap_err();
    assert!(
        matches!(err, HttpError::Transport { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.url(), Some(url.as_str()));
    assert_eq!(recorder.retries(), 2);
}

#[tokio::test]
async fn bare_403_fails_without_retry_and_shows_githubs_message() {
    let server = TestServer::start().await;
    server.script(
        "/forbidden",
        vec![Reply::error(
            403,
            "Resource not accessible by integration",
            vec![],
        )],
    );
    let (http, recorder) = client(3);
    let err = http
        .get_json::<serde_json::Value>(&server.url("/forbidden"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    let text = err.to_string();
    assert!(
        text.contains("Resource not accessible by integration"),
        "{text}"
    );
    assert!(text.contains(&server.url("/forbidden")), "{text}");
    assert_eq!(server.seen("/forbidden").len(), 1);
    assert_eq!(recorder.retries(), 0);
}

#[tokio::test]
async fn unauthorized_points_at_the_token_variables() {
    let server = TestServer::start().await;
    server.script("/me", vec![Reply::error(401, "Bad credentials", vec![])]);
    let (http, _) = client(3);
    let err = http
        .get_json::<serde_json::Value>(&server.url("/me"))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Unauthorized { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("Bad credentials")
            && text.contains("GITHUB_TOKEN")
            && text.contains("GH_TOKEN"),
        "{text}"
    );
    assert_eq!(server.seen("/me").len(), 1);
}

#[tokio::test]
async fn no_token_sends_no_authorization() {
    let server = TestServer::start().await;
    server.script("/anon", vec![Reply::json("[]", vec![])]);
    let http = HttpClient::new(HttpConfig::default(), Arc::new(NoReport)).unwrap();
    http.get_json::<Vec<u32>>(&server.url("/anon"))
        .await
        .unwrap();
    assert_eq!(server.seen("/anon")[0].header("authorization"), None);
}

#[tokio::test]
async fn retry_after_is_waited_out_without_using_a_retry() {
    let server = TestServer::start().await;
    server.script(
        "/busy",
        vec![
            Reply::error(
                403,
                "You have exceeded a secondary rate limit",
                vec![("retry-after", "1".to_string())],
            ),
            Reply::json("[1]", vec![]),
        ],
    );
    let (http, recorder) = client(0);
    let started = Instant::now();
    let value: Vec<u32> = http.get_json(&server.url("/busy")).await.unwrap();
    assert_eq!(value, [1]);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        recorder.events(),
        [Event::RateLimited(
            RateLimitKind::Secondary,
            Duration::from_secs(1)
        )]
    );
}

#[tokio::test]
async fn primary_limit_waits_until_the_reset_time() {
    let server = TestServer::start().await;
    let reset = unix_now() + 1;
    server.script(
        "/quota",
        vec![
            Reply::error(
                403,
                "API rate limit exceeded",
                vec![
                    ("x-ratelimit-remaining", "0".to_string()),
                    ("x-ratelimit-reset", reset.to_string()),
                ],
            ),
            Reply::json("[2]", vec![]),
        ],
    );
    let (http, recorder) = client(0);
    let started = Instant::now();
    let value: Vec<u32> = http.get_json(&server.url("/quota")).await.unwrap();
    assert_eq!(value, [2]);
    let events = recorder.events();
    let [Event::RateLimited(RateLimitKind::Primary, wait)] = events[..] else {
        panic!("expected one primary rate-limit wait, got {events:?}");
    };
    assert!(
        wait >= Duration::from_secs(1) && wait <= Duration::from_secs(2),
        "{wait:?}"
    );
    assert!(started.elapsed() >= wait);
    // Afterwards the wall clock is past the reset time.
    assert!(unix_now() >= reset);
}

#[tokio::test]
async fn a_limit_resetting_too_late_fails_with_advice() {
    let server = TestServer::start().await;
    server.script(
        "/late",
        vec![Reply::error(
            429,
            "API rate limit exceeded",
            vec![
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset", (unix_now() + 7200).to_string()),
            ],
        )],
    );
    let (http, recorder) = client(3);
    let err = http
        .get_bytes(&server.url("/late"), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::RateLimitTooLong { .. }), "{err:?}");
    assert!(err.to_string().contains("GITHUB_TOKEN"), "{err}");
    assert_eq!(server.seen("/late").len(), 1);
    assert!(recorder.events().is_empty());
}

#[tokio::test]
async fn get_bytes_answers_none_on_404_and_sends_accept() {
    let server = TestServer::start().await;
    server.script(
        "/raw/guide.md",
        vec![Reply::Status {
            status: 200,
            headers: vec![],
            body: b"# Guide".to_vec(),
        }],
    );
    let (http, _) = client(3);
    let missing = http
        .get_bytes(&server.url("/raw/missing.md"), "application/vnd.github.raw")
        .await
        .unwrap();
    assert_eq!(missing, None);
    let guide = http
        .get_bytes(&server.url("/raw/guide.md"), "application/vnd.github.raw")
        .await
        .unwrap();
    assert_eq!(guide.as_deref(), Some(&b"# Guide"[..]));
    let seen = server.seen("/raw/guide.md");
    assert_eq!(seen[0].header("accept"), Some("application/vnd.github.raw"));
    // get_json treats 404 as an error.
    let err = http
        .get_json::<serde_json::Value>(&server.url("/raw/missing.md"))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn pagination_follows_link_headers() {
    let server = TestServer::start().await;
    let page = |n: u32| server.url(&format!("/releases?per_page=2&page={n}"));
    server.script(
        "/releases?per_page=2&page=1",
        vec![Reply::json(
            "[1,2]",
            vec![(
                "link",
                format!("<{}>; rel=\"next\", <{}>; rel=\"last\"", page(2), page(3)),
            )],
        )],
    );
    server.script(
        "/releases?per_page=2&page=2",
        vec![Reply::json(
            "[3,4]",
            vec![(
                "link",
                format!("<{}>; rel=\"prev\", <{}>; rel=\"next\"", page(1), page(3)),
            )],
        )],
    );
    server.script(
        "/releases?per_page=2&page=3",
        vec![Reply::json(
            "[5]",
            vec![("link", format!("<{}>; rel=\"prev\"", page(2)))],
        )],
    );
    let (http, _) = client(3);
    let all: Vec<u32> = http.get_json_pages(&page(1)).await.unwrap();
    assert_eq!(all, [1, 2, 3, 4, 5]);
    assert_eq!(server.seen_count(), 3);
}

#[tokio::test]
async fn pagination_loops_are_refused() {
    let server = TestServer::start().await;
    let first = server.url("/loop?page=1");
    server.script(
        "/loop?page=1",
        vec![Reply::json(
            "[1]",
            vec![("link", format!("<{first}>; rel=\"next\""))],
        )],
    );
    let (http, _) = client(3);
    let err = http.get_json_pages::<u32>(&first).await.unwrap_err();
    assert!(matches!(err, HttpError::PaginationLoop { .. }), "{err:?}");
}
