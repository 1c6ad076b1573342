//! `TestApp`: the local stack on port 0 over a temporary data directory, driven over HTTP.

use atelier_core::app::auth::Client;
use atelier_core::app::brands;
use atelier_core::config::Config;
use atelier_core::domain::{BrandId, Role, UserId};
use atelier_core::ports::{Clock, SystemClock};
use atelier_local::{Application, Running};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

/// The token following `marker` in the newest mail of a `/dev/outbox` listing (to `to`, if
/// given).
pub fn token_in_outbox(
    outbox: &serde_json::Value,
    to: Option<&str>,
    marker: &str,
) -> Option<String> {
    outbox
        .as_array()?
        .iter()
        .rev()
        .filter(|m| to.is_none_or(|to| m["to"] == to))
        .filter_map(|m| m["text"].as_str()?.split(marker).nth(1))
        .find_map(|rest| rest.split_whitespace().next())
        .map(str::to_owned)
}

/// The password test accounts use.
pub const PASSWORD: &str = "balloon arch at dawn";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub running: Running,
    pub data_dir: PathBuf,
    _dir: Option<TempDir>,
}

impl TestApp {
    /// Boots a fresh stack in its own temporary data directory.
    pub async fn spawn() -> Self {
        let dir = TempDir::new().unwrap();
        let path = dir.path().to_owned();
        let mut app = Self::spawn_in(&path, Arc::new(SystemClock)).await;
        app._dir = Some(dir);
        app
    }

    /// Boots a fresh stack with its configuration adjusted by `adjust`.
    pub async fn spawn_configured(adjust: impl FnOnce(&mut Config), clock: Arc<dyn Clock>) -> Self {
        let dir = TempDir::new().unwrap();
        let mut config = Config::embedded(dir.path());
        adjust(&mut config);
        let mut app = Self::spawn_with(config, clock).await;
        app._dir = Some(dir);
        app
    }

    /// Boots a fresh stack whose time is `clock` (to test expiry, lockout windows…).
    pub async fn spawn_with_clock(clock: Arc<dyn Clock>) -> Self {
        let dir = TempDir::new().unwrap();
        let mut app = Self::spawn_in(dir.path(), clock).await;
        app._dir = Some(dir);
        app
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Signs up and logs in with the refresh token in the body; returns (access, refresh).
    pub async fn account(&self, email: &str) -> (String, String) {
        let signup =
            serde_json::json!({ "email": email, "password": PASSWORD, "name": "Ana Lima" });
        assert_eq!(self.post_json("/auth/signup", &signup).await.status(), 201);
        self.login(email).await
    }

    /// Logs in (refresh token in the body); returns (access, refresh).
    pub async fn login(&self, email: &str) -> (String, String) {
        let login = serde_json::json!({ "email": email, "password": PASSWORD, "refresh_token_in_body": true });
        let resp = self.post_json("/auth/login", &login).await;
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// Verifies the address of the token's account, by the link mailed at sign-up (a brand's
    /// creator must have a verified address).
    pub async fn verify_email(&self, token: &str) {
        let me: serde_json::Value = self.get_auth("/me", token).await.json().await.unwrap();
        if me["email_verified"] == true {
            return;
        }
        let email = me["email"].as_str().unwrap();
        let link = self.mailed_token(email, "verify-email?token=").await;
        let resp = self
            .post_json("/auth/verify-email", &serde_json::json!({ "token": link }))
            .await;
        assert_eq!(resp.status(), 204, "verifying {email}");
    }

    /// Creates a brand with the token's user as owner (verifying their address first).
    pub async fn create_brand(&self, token: &str, slug: &str) -> BrandId {
        self.verify_email(token).await;
        let body = serde_json::json!({ "name": slug, "slug": slug });
        let resp = self
            .http
            .post(self.url("/brands"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        let body: serde_json::Value = resp.json().await.unwrap();
        BrandId::parse(body["id"].as_str().unwrap()).unwrap()
    }

    pub async fn switch(&self, token: &str, brand: &BrandId) -> reqwest::Response {
        let body = serde_json::json!({ "brand_id": brand.to_string() });
        self.http
            .post(self.url("/auth/switch-brand"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// An access token for `brand`.
    pub async fn switched(&self, token: &str, brand: &BrandId) -> String {
        let resp = self.switch(token, brand).await;
        assert_eq!(resp.status(), 200);
        resp.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new account owning a new brand: (brand, access token in that brand).
    pub async fn brand_owner(&self, email: &str, slug: &str) -> (BrandId, String) {
        let (token, _) = self.account(email).await;
        let brand = self.create_brand(&token, slug).await;
        (brand, self.switched(&token, &brand).await)
    }

    /// Sends JSON as the holder of `token` (an access token or API key).
    pub async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs a raw body of `content_type` (a file upload, a CSV import) as the holder of
    /// `token`.
    pub async fn post_bytes(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// POSTs JSON as the holder of `token` and returns the JSON answer.
    pub async fn post_as(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> serde_json::Value {
        self.send_as(reqwest::Method::POST, path, token, body)
            .await
            .json()
            .await
            .expect("JSON answer")
    }

    /// The token in the newest mail to `to` whose text contains `marker` (`token=` or
    /// `/invitations/`): the link a person would click.
    pub async fn mailed_token(&self, to: &str, marker: &str) -> String {
        let outbox: serde_json::Value = self.get("/dev/outbox").await.json().await.unwrap();
        token_in_outbox(&outbox, Some(to), marker)
            .unwrap_or_else(|| panic!("no mail to {to} with {marker}"))
    }

    /// A new API key made by the holder of `token`: (id, the key itself).
    pub async fn api_key(&self, token: &str, role: &str) -> (String, String) {
        let body = serde_json::json!({"name": "website form", "role": role});
        let resp = self
            .send_as(reqwest::Method::POST, "/api-keys", token, &body)
            .await;
        assert_eq!(resp.status(), 201);
        let body: serde_json::Value = resp.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["key"].as_str().unwrap().to_owned(),
        )
    }

    /// The user an access token belongs to.
    pub async fn user_id(&self, token: &str) -> UserId {
        let me: serde_json::Value = self.get_auth("/me", token).await.json().await.unwrap();
        UserId::parse(me["id"].as_str().unwrap()).unwrap()
    }

    /// A new account seated in `brand` with `role`: its id and an access token in that brand.
    pub async fn member(&self, email: &str, brand: &BrandId, role: Role) -> (UserId, String) {
        let (token, _) = self.account(email).await;
        let id = self.user_id(&token).await;
        brands::join(&self.running.ctx, brand, &id, role, &Client::default())
            .await
            .unwrap();
        (id, self.switched(&token, brand).await)
    }

    /// Boots a stack on an existing data directory (to test restarts).
    pub async fn spawn_in(data_dir: &Path, clock: Arc<dyn Clock>) -> Self {
        Self::spawn_with(Config::embedded(data_dir), clock).await
    }

    pub async fn spawn_with(config: Config, clock: Arc<dyn Clock>) -> Self {
        let data_dir = config.data_dir.clone();
        let app = Application::build_with_clock(config, "127.0.0.1:0", clock)
            .await
            .expect("build app");
        let base = format!("http://{}", app.addr());
        let running = app.start();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            http,
            running,
            data_dir,
            _dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    /// Stops the stack, keeping its data directory alive for the returned guard's lifetime.
    pub async fn stop(self) -> Option<TempDir> {
        self.running.shutdown().await;
        self._dir
    }
}
