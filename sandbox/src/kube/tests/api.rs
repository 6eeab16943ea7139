//! A tiny reqwest client for the raw-HTTP tests.

use super::Env;
use serde_json::{json, Value};
use std::time::Duration;

pub(super) struct Api {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(env: &Env) -> Api {
        // reqwest needs a provider even for plain http; another test may have
        // installed it already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            base: env.sim.base_url(),
            token: env.sim.token().to_string(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        ct: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            path,
            Some("application/json"),
            Some(body),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(
            reqwest::Method::PUT,
            path,
            Some("application/json"),
            Some(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, ct: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(ct), Some(body))
            .await
    }

    /// Reads watch events until `n` arrived or the stream ends.
    pub async fn watch(&self, path: &str, n: usize) -> Vec<Value> {
        self.watch_until(path, |events| events.len() >= n).await
    }

    /// Reads watch events until `done` holds or the stream ends.
    pub async fn watch_until(&self, path: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let (mut buf, mut events) = (Vec::new(), Vec::new());
        while !done(&events) {
            let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
                .await
                .unwrap()
                .unwrap();
            let Some(chunk) = chunk else { break };
            buf.extend_from_slice(&chunk);
            while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                events.push(serde_json::from_slice(&line).unwrap());
            }
        }
        events
    }
}

pub(super) fn cm(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}})
}

pub(super) const CMS: &str = "/api/v1/namespaces/default/configmaps";
