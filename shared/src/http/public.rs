//! Unauthenticated routes: the brand's public enquiry form.

use super::route::HandlerResult;
use super::{Request, json_body, json_response};
use crate::Ctx;
use crate::app::public_form::{self, PublicEnquiry, Received};
use http::StatusCode;
use lambda_http::RequestExt;

/// Submit an enquiry to a brand, as its website's form does. No sign-in; rate limited per IP
/// and per brand. Leave `website` empty.
#[utoipa::path(post, path = "/public/{brand_slug}/enquiries", tag = "public",
    params(("brand_slug" = String, Path)),
    request_body = PublicEnquiry,
    responses((status = 202, body = Received), (status = 400, body = super::Problem),
              (status = 404, body = super::Problem), (status = 415, body = super::Problem),
              (status = 422, body = super::Problem), (status = 429, body = super::Problem)))]
pub async fn enquiry(ctx: &Ctx, req: Request) -> HandlerResult {
    let slug = req
        .path_parameters()
        .first("brand_slug")
        .unwrap_or_default()
        .to_owned();
    let form: PublicEnquiry = json_body(&req)?;
    let received = public_form::submit(ctx, &slug, form, &super::principal::client(&req)).await?;
    json_response(StatusCode::ACCEPTED, &received)
}
