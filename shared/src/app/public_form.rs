//! The public enquiry form: `POST /public/{brand_slug}/enquiries`, no sign-in. A visitor's
//! submission is validated like any record, matched to an existing contact by email or
//! phone (or creates one), recorded as a `web_form` enquiry with its UTM attribution, and
//! the brand's owners are told by mail. Bots are kept out by a honeypot field (answered like
//! a success, storing nothing) and by rate limits per IP and per brand.

use crate::Ctx;
use crate::app::auth::{Client, rate_limit};
use crate::app::mail_queue::{self, MailJob, MailScope};
use crate::app::records::RecordError;
use crate::app::records::contacts::duplicates_of;
use crate::app::records::kinds::{CONTACT, ENQUIRY};
use crate::app::records::rows::Attrs;
use crate::app::records::spec::{self, Ty};
use crate::app::records::write::{self, Lookups};
use crate::app::tenancy::{BrandScope, public_form_scope};
use crate::domain::{Email, Role, Slug};
use crate::ports::Mail;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Submissions per IP per hour (all brands), and per brand per hour.
pub const PER_IP_PER_HOUR: i64 = 10;
pub const PER_BRAND_PER_HOUR: i64 = 200;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicEnquiry {
    pub name: String,
    /// Email or phone is required.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub message: Option<String>,
    pub event_type: Option<String>,
    /// YYYY-MM-DD.
    pub event_date: Option<String>,
    pub venue: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::number::deserialize_whole")]
    pub guest_count: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::number::deserialize_whole")]
    pub budget_min: Option<i64>,
    #[serde(default, deserialize_with = "crate::domain::number::deserialize_whole")]
    pub budget_max: Option<i64>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    /// Leave empty. Hidden from people; bots fill it in.
    pub website: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Received {
    pub received: bool,
}

/// Records a submission to the brand with `slug`.
pub async fn submit(
    ctx: &Ctx,
    slug: &str,
    form: PublicEnquiry,
    client: &Client,
) -> Result<Received, RecordError> {
    // Every submission counts against the sender's IP — misses on unknown brands too, so
    // slugs cannot be probed without limit.
    rate_limit::hit(ctx, "public-form-ip", &client.ip, PER_IP_PER_HOUR, 3600).await?;
    let slug = Slug::parse(slug).map_err(|_| RecordError::NotFound)?;
    let scope = public_form_scope(ctx, &slug)
        .await?
        .ok_or(RecordError::NotFound)?;
    if form
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        tracing::info!(brand = %scope.brand(), "public form: honeypot filled, dropped");
        return Ok(Received { received: true });
    }
    // The name is checked as the contact's, even when the sender is a contact already.
    if spec::check(Ty::Text(120), &Value::from(form.name.as_str()))
        .map_err(|m| RecordError::invalid("name", m))?
        .is_null()
    {
        return Err(RecordError::invalid("name", "is required"));
    }
    if form.email.is_none() && form.phone.is_none() {
        return Err(RecordError::invalid(
            "email",
            "give an email address or a phone number",
        ));
    }
    // Normalise as the contact would store them, to match existing contacts.
    let norm = |ty: Ty, v: &Option<String>, field: &str| -> Result<Option<String>, RecordError> {
        v.as_ref()
            .map(|raw| {
                spec::check(ty, &Value::from(raw.as_str()))
                    .map(|s| s.as_str().map(str::to_owned))
                    .map_err(|m| RecordError::invalid(field, m))
            })
            .transpose()
            .map(Option::flatten)
    };
    let email = norm(Ty::Email, &form.email, "email")?;
    let phone = norm(Ty::Phone, &form.phone, "phone")?;

    let mut writes = Vec::new();
    let existing = duplicates_of(ctx, &scope, email.as_deref(), phone.as_deref(), None).await?;
    let contact_id = match existing.first() {
        Some(c) => CONTACT.id_of(c.key.sk()).to_owned(),
        None => {
            let input = object(json!({
                "name": form.name, "email": email, "phone": phone, "source": "web_form",
            }));
            let created =
                write::prepare_create(ctx, &scope, &CONTACT, input, Attrs::new(), client, "create")
                    .await?;
            writes.extend(created.writes);
            CONTACT.id_of(created.item.key.sk()).to_owned()
        }
    };
    let title = match &form.event_type {
        Some(t) => format!("{} — {t}", form.name.trim()),
        None => form.name.trim().to_owned(),
    };
    let utm = json!({
        "source": form.utm_source, "medium": form.utm_medium, "campaign": form.utm_campaign,
        "term": form.utm_term, "content": form.utm_content,
    });
    let input = object(json!({
        "title": title.chars().take(200).collect::<String>(),
        "source": "web_form", "contact_id": contact_id, "message": form.message,
        "event_type": form.event_type, "event_date": form.event_date, "venue": form.venue,
        "guest_count": form.guest_count, "budget_min": form.budget_min, "budget_max": form.budget_max,
        "utm": utm,
    }));
    // The contact may be created in this same transaction.
    let mut lookups = Lookups::default();
    lookups.will_exist(CONTACT.entity, &contact_id);
    let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
    let enquiry = write::prepare_create_with_id(
        ctx,
        &scope,
        &ENQUIRY,
        &id,
        input,
        Attrs::new(),
        client,
        "create",
        &mut lookups,
    )
    .await?;
    writes.extend(enquiry.writes);
    // The brand's quota is spent only by submissions that will be stored: honeypot hits and
    // invalid payloads cannot silence a brand's form for real visitors.
    rate_limit::hit(
        ctx,
        "public-form-brand",
        &scope.brand().to_string(),
        PER_BRAND_PER_HOUR,
        3600,
    )
    .await?;
    write::commit(ctx, &scope, writes).await?;
    notify_owners(ctx, &scope, &id, &title).await;
    Ok(Received { received: true })
}

/// Drops nulls, so absent form fields stay absent.
fn object(v: Value) -> Attrs {
    let mut out = Attrs::new();
    if let Value::Object(m) = v {
        for (k, v) in m {
            match v {
                Value::Null => {}
                Value::Object(inner) => {
                    let inner: serde_json::Map<String, Value> =
                        inner.into_iter().filter(|(_, v)| !v.is_null()).collect();
                    if !inner.is_empty() {
                        out.insert(k, Value::Object(inner));
                    }
                }
                other => {
                    out.insert(k, other);
                }
            }
        }
    }
    out
}

/// Queues mail to the brand's owners. The enquiry is already stored: a queue failure is
/// logged, not returned.
async fn notify_owners(ctx: &Ctx, scope: &BrandScope, enquiry_id: &str, title: &str) {
    let members = match crate::app::brands::members(ctx, scope).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "public form: could not list owners to notify");
            return;
        }
    };
    // Only to addresses their owners proved they hold: visitors' text never reaches a third
    // party through an address someone merely typed in.
    for owner in members
        .iter()
        .filter(|m| m.role == Role::Owner && m.email_verified)
    {
        let Ok(to) = Email::parse(&owner.email) else {
            continue;
        };
        let mail = Mail {
            to,
            subject: "New enquiry from your website".into(),
            text: format!(
                "A new enquiry arrived through your website form: {title}\n\nOpen it: {}/enquiries/{enquiry_id}",
                ctx.config.app_url
            ),
            idempotency_key: format!("enquiry-{enquiry_id}-{}", owner.user_id),
        };
        let job = MailJob::Deliver { mail };
        if let Err(e) = mail_queue::enqueue(ctx, MailScope::Brand(scope.brand()), &job).await {
            tracing::warn!(error = %e, "public form: owner notification not queued");
        }
    }
}
