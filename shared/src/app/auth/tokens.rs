//! Access tokens: ES256 JWTs of at most 15 minutes, signed through the `Signer` port and
//! verified with an allow-listed algorithm, `typ`, `kid`, `iss`, `aud`, `exp` and `nbf`
//! checked against the injectable clock.

use super::AuthError;
use crate::Ctx;
use crate::domain::{BrandId, Role, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// The JWT `typ` of access tokens (RFC 9068).
pub const TYP: &str = "at+jwt";
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: String,
    /// The session (refresh family) the token was issued in.
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// The active brand and the caller's role in it when the token was issued (informative:
    /// every brand-scoped request re-reads the membership).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// An issued access token and its lifetime in seconds.
pub struct Issued {
    pub token: String,
    pub expires_in: i64,
}

pub async fn issue(
    ctx: &Ctx,
    user: &UserId,
    session: &str,
    brand: Option<(&BrandId, Role)>,
) -> Result<Issued, AuthError> {
    let now = ctx.clock.now().timestamp();
    let claims = AccessClaims {
        iss: ctx.config.jwt_issuer.clone(),
        aud: ctx.config.jwt_audience.clone(),
        sub: user.to_string(),
        sid: session.to_owned(),
        iat: now,
        nbf: now,
        exp: now + ACCESS_TTL_SECS,
        jti: crate::domain::new_id(ctx.clock.as_ref()).to_string(),
        brand: brand.map(|(b, _)| b.to_string()),
        role: brand.map(|(_, r)| r.as_str().to_owned()),
    };
    let header = serde_json::json!({ "alg": "ES256", "typ": TYP, "kid": ctx.signer.key_id() });
    let input = format!("{}.{}", b64_json(&header), b64_json(&claims));
    let signature = ctx.signer.sign(input.as_bytes()).await?;
    Ok(Issued {
        token: format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)),
        expires_in: ACCESS_TTL_SECS,
    })
}

/// Verifies an access token. Every failure is the same `InvalidCredentials`.
pub async fn verify(ctx: &Ctx, token: &str) -> Result<AccessClaims, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidCredentials)?;
    if header.alg != Algorithm::ES256
        || header.typ.as_deref() != Some(TYP)
        || header.kid.as_deref() != Some(ctx.signer.key_id())
    {
        return Err(AuthError::InvalidCredentials);
    }
    let jwk = ctx.signer.public_jwk().await?;
    let key = DecodingKey::from_ec_components(&jwk.x, &jwk.y)
        .map_err(|e| AuthError::Internal(e.to_string()))?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[ctx.config.jwt_issuer.as_str()]);
    validation.set_audience(&[ctx.config.jwt_audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
    // Time is checked below against the injectable clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &validation)
        .map_err(|_| AuthError::InvalidCredentials)?;
    let now = ctx.clock.now().timestamp();
    let claims = data.claims;
    if claims.exp + LEEWAY_SECS <= now
        || claims.nbf - LEEWAY_SECS > now
        || claims.exp - claims.iat > ACCESS_TTL_SECS
    {
        return Err(AuthError::InvalidCredentials);
    }
    Ok(claims)
}

fn b64_json<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}
