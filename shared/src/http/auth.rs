//! Authentication routes: sign-up, login, refresh, logout, device sessions, profile, JWKS.
//!
//! Browsers get the refresh token in a `__Host-` cookie (Secure, HttpOnly, SameSite=Strict)
//! plus a readable CSRF cookie whose value must come back in `X-CSRF-Token` on cookie-based
//! refresh and logout (double submit). API clients may ask for the refresh token in the body
//! instead and send it back in the body; no cookie, no CSRF.

use super::principal::{Principal, TokenResponse, client};
use super::route::HandlerResult;
use super::{ApiError, Request, json_body, json_response};
use crate::Ctx;
use crate::app::auth::sessions::{self, Granted, SessionView};
use crate::app::auth::{accounts, random_token};
use http::StatusCode;
use lambda_http::RequestExt;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const REFRESH_COOKIE: &str = "__Host-atelier-refresh";
pub const CSRF_COOKIE: &str = "__Host-atelier-csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

fn cookie<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The refresh token of a request: from the body, or from the cookie with a matching CSRF
/// header.
fn presented_refresh(req: &Request, body: Option<String>) -> Result<String, ApiError> {
    if let Some(token) = body {
        return Ok(token);
    }
    let token = cookie(req, REFRESH_COOKIE).ok_or(ApiError::Unauthorized)?;
    let expected = cookie(req, CSRF_COOKIE).unwrap_or("");
    let sent = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), sent.as_bytes()).into();
    if expected.is_empty() || !same {
        return Err(ApiError::Forbidden);
    }
    Ok(token.to_owned())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(example = "ana@bloomballoons.example", format = Email, max_length = 254)]
    pub email: String,
    #[schema(value_type = String, example = "balloon arch at dawn", min_length = 8, max_length = 128)]
    pub password: SecretString,
    #[schema(example = "Ana Lima", max_length = 120)]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    /// Always `registered`: the answer is the same whether or not the address had an account.
    pub status: &'static str,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[schema(value_type = String)]
    pub password: SecretString,
    /// A label for the device list, e.g. "Ana's laptop".
    #[serde(default)]
    pub device: Option<String>,
    /// API clients: return the refresh token in the body instead of a cookie.
    #[serde(default)]
    pub refresh_token_in_body: bool,
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token, for API clients; browsers send the cookie and `X-CSRF-Token`.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

fn cookie_header(name: &str, value: &str, max_age: i64, http_only: bool) -> String {
    let http_only = if http_only { "; HttpOnly" } else { "" };
    format!("{name}={value}; Path=/; Secure; SameSite=Strict; Max-Age={max_age}{http_only}")
}

/// The answer to a login or refresh: the access token, and the refresh token where the client
/// keeps it.
fn granted(g: Granted, in_body: bool) -> HandlerResult {
    let body = TokenResponse {
        access_token: g.access.token,
        token_type: "Bearer",
        expires_in: g.access.expires_in,
        refresh_token: in_body.then(|| g.refresh_token.clone()),
    };
    let mut resp = json_response(StatusCode::OK, &body)?;
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if !in_body {
        let csrf = random_token(16)?;
        for c in [
            cookie_header(REFRESH_COOKIE, &g.refresh_token, g.refresh_expires_in, true),
            cookie_header(CSRF_COOKIE, &csrf, g.refresh_expires_in, false),
        ] {
            let value =
                http::HeaderValue::from_str(&c).map_err(|e| ApiError::Internal(e.to_string()))?;
            resp.headers_mut().append(http::header::SET_COOKIE, value);
        }
    }
    Ok(resp)
}

/// Create an account. The answer does not say whether the address already had one.
#[utoipa::path(post, path = "/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 201, body = SignupResponse), (status = 422, body = super::Problem), (status = 429, body = super::Problem)))]
pub async fn signup(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: SignupRequest = json_body(&req)?;
    accounts::signup(ctx, &body.email, body.password, &body.name, &client(&req)).await?;
    json_response(
        StatusCode::CREATED,
        &SignupResponse {
            status: "registered",
        },
    )
}

/// Log in with email and password; starts a device session.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse, description = "Also sets the refresh and CSRF cookies unless refresh_token_in_body"),
              (status = 401, body = super::Problem), (status = 429, body = super::Problem)))]
pub async fn login(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: LoginRequest = json_body(&req)?;
    let device = body
        .device
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect::<String>();
    let g = accounts::login(ctx, &body.email, body.password, &device, &client(&req)).await?;
    granted(g, body.refresh_token_in_body)
}

/// Spend a refresh token for a new access token and the next refresh token.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body(content = RefreshRequest, description = "optional"),
    responses((status = 200, body = TokenResponse), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn refresh(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: RefreshRequest = if req.body().is_empty() {
        RefreshRequest::default()
    } else {
        json_body(&req)?
    };
    let in_body = body.refresh_token.is_some();
    let token = presented_refresh(&req, body.refresh_token)?;
    let g = sessions::refresh(ctx, &token, &client(&req)).await?;
    granted(g, in_body)
}

/// End the session of the presented refresh token (body or cookie) and clear the cookies.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body(content = RefreshRequest, description = "optional"),
    responses((status = 204), (status = 401, body = super::Problem), (status = 403, body = super::Problem)))]
pub async fn logout(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: RefreshRequest = if req.body().is_empty() {
        RefreshRequest::default()
    } else {
        json_body(&req)?
    };
    let token = presented_refresh(&req, body.refresh_token)?;
    if let Some((user, session)) = sessions::session_of(ctx, &token).await? {
        sessions::revoke(
            ctx,
            &user,
            &session,
            "session.logged_out",
            Some(&user),
            &client(&req),
        )
        .await?;
    }
    let mut resp = http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    for name in [REFRESH_COOKIE, CSRF_COOKIE] {
        let value =
            http::HeaderValue::from_str(&cookie_header(name, "", 0, name == REFRESH_COOKIE))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
        resp.headers_mut().append(http::header::SET_COOKIE, value);
    }
    Ok(resp)
}

/// The caller's device sessions.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = [SessionView]), (status = 401, body = super::Problem)))]
pub async fn list_sessions(ctx: &Ctx, me: Principal, _req: Request) -> HandlerResult {
    json_response(
        StatusCode::OK,
        &sessions::list(ctx, &me.user, &me.session).await?,
    )
}

/// Revoke one of the caller's device sessions.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = String, Path, description = "session id")),
    responses((status = 204), (status = 401, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn revoke_session(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let id = req
        .path_parameters()
        .first("id")
        .unwrap_or_default()
        .to_owned();
    if !sessions::revoke(
        ctx,
        &me.user,
        &id,
        "session.revoked",
        Some(&me.user),
        &client(&req),
    )
    .await?
    {
        return Err(ApiError::NotFound);
    }
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The caller's profile.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = crate::app::identity::Profile), (status = 401, body = super::Problem)))]
pub async fn me(ctx: &Ctx, me: Principal, _req: Request) -> HandlerResult {
    let profile = crate::app::identity::profile(ctx, &me.user)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    json_response(StatusCode::OK, &profile)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Jwks {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<crate::ports::Jwk>,
}

/// The public keys that verify access tokens (for API Gateway's JWT authorizer).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth", responses((status = 200, body = Jwks)))]
pub async fn jwks(ctx: &Ctx, _req: Request) -> HandlerResult {
    let jwk = ctx
        .signer
        .public_jwk()
        .await
        .map_err(crate::app::auth::AuthError::from)?;
    let mut resp = json_response(StatusCode::OK, &Jwks { keys: vec![jwk] })?;
    resp.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=300"),
    );
    Ok(resp)
}

fn no_content() -> HandlerResult {
    http::Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token from the emailed link.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: String,
    #[schema(value_type = String, min_length = 8, max_length = 128)]
    pub new_password: SecretString,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(value_type = String)]
    pub current_password: SecretString,
    #[schema(value_type = String, min_length = 8, max_length = 128)]
    pub new_password: SecretString,
    /// Other sessions end unless this is true.
    #[serde(default)]
    pub keep_other_sessions: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProfileRequest {
    #[schema(max_length = 120)]
    pub name: String,
}

/// Confirm an email address with the emailed link's token.
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", request_body = TokenRequest,
    responses((status = 204), (status = 401, body = super::Problem)))]
pub async fn verify_email(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: TokenRequest = json_body(&req)?;
    accounts::verify_email(ctx, &body.token, &client(&req)).await?;
    no_content()
}

/// Mail a password-reset link. The answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/auth/password/reset-request", tag = "auth", request_body = ResetRequest,
    responses((status = 202), (status = 429, body = super::Problem)))]
pub async fn reset_request(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: ResetRequest = json_body(&req)?;
    accounts::request_reset(ctx, &body.email, &client(&req)).await?;
    http::Response::builder()
        .status(StatusCode::ACCEPTED)
        .body(lambda_http::Body::Empty)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Set a new password with a reset link's token; ends every session and lifts a lockout.
#[utoipa::path(post, path = "/auth/password/reset", tag = "auth", request_body = ResetPasswordRequest,
    responses((status = 204), (status = 401, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn reset_password(ctx: &Ctx, req: Request) -> HandlerResult {
    let body: ResetPasswordRequest = json_body(&req)?;
    accounts::reset_password(ctx, &body.token, body.new_password, &client(&req)).await?;
    no_content()
}

/// Change the password; other sessions end unless asked to keep them.
#[utoipa::path(post, path = "/auth/password/change", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 401, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn change_password(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let body: ChangePasswordRequest = json_body(&req)?;
    accounts::change_password(
        ctx,
        &me.user,
        &me.session,
        body.current_password,
        body.new_password,
        body.keep_other_sessions,
        &client(&req),
    )
    .await?;
    no_content()
}

/// Update the caller's profile.
#[utoipa::path(patch, path = "/me", tag = "auth", security(("bearer" = [])), request_body = UpdateProfileRequest,
    responses((status = 200, body = crate::app::identity::Profile), (status = 401, body = super::Problem), (status = 422, body = super::Problem)))]
pub async fn update_me(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    let body: UpdateProfileRequest = json_body(&req)?;
    json_response(
        StatusCode::OK,
        &accounts::update_profile(ctx, &me.user, &body.name, &client(&req)).await?,
    )
}

/// Delete the caller's account: deactivated at once, every session ended.
#[utoipa::path(delete, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = super::Problem)))]
pub async fn delete_me(ctx: &Ctx, me: Principal, req: Request) -> HandlerResult {
    accounts::delete_account(ctx, &me.user, &client(&req)).await?;
    no_content()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppleSignInRequest {
    /// The identity token Apple returned to the app.
    pub id_token: String,
    /// The nonce the app passed to Apple (raw, or as its SHA-256 hex).
    pub nonce: String,
    /// The name Apple shares on the first sign-in only.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub refresh_token_in_body: bool,
}

/// Sign in with Apple: the identity token is verified server-side; a new Apple user gets a
/// consumer account without any brand.
#[utoipa::path(post, path = "/auth/apple", tag = "auth", request_body = AppleSignInRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = super::Problem), (status = 404, body = super::Problem)))]
pub async fn apple(ctx: &Ctx, req: Request) -> HandlerResult {
    let verifier = ctx.apple.as_ref().ok_or(ApiError::NotFound)?;
    let body: AppleSignInRequest = json_body(&req)?;
    let identity = verifier
        .verify(&body.id_token, &body.nonce, ctx.clock.now().timestamp())
        .await
        .map_err(|e| match e {
            crate::adapters::http::AppleError::Refused => ApiError::Unauthorized,
            crate::adapters::http::AppleError::Unavailable(m) => ApiError::Unavailable(m),
        })?;
    let device = body
        .device
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect::<String>();
    let g = accounts::apple_sign_in(ctx, &identity, body.name.as_deref(), &device, &client(&req))
        .await?;
    granted(g, body.refresh_token_in_body)
}
