//! The Resend mailer against a fake Resend: headers and body as documented, bounded retries
//! on 429/5xx honouring Retry-After, no retry on a refusal, and the key never in an error.

use atelier_core::adapters::http::{ResendMailer, RetryPolicy};
use atelier_core::domain::Email;
use atelier_core::ports::{Mail, MailError, Mailer};
use atelier_tests::fake::FakeServer;
use std::time::Duration;

const KEY: &str = "re_live_secret_key";

fn mail() -> Mail {
    Mail {
        to: Email::parse("ana@bloom.example").unwrap(),
        subject: "Confirm your email".into(),
        text: "Hello".into(),
        idempotency_key: "verify-abc".into(),
    }
}

fn mailer(fake: &FakeServer) -> ResendMailer {
    let policy = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(10),
        max_wait: Duration::from_millis(200),
    };
    ResendMailer::new(
        &fake.base,
        KEY.to_owned().into(),
        "Atelier <no-reply@bloom.example>",
    )
    .unwrap()
    .with_policy(policy)
}

#[tokio::test]
async fn a_throttled_send_is_retried_and_sent_once_with_its_idempotency_key() {
    let fake = FakeServer::start(|_, n| {
        if n == 0 {
            (
                429,
                vec![("retry-after", "0".into())],
                r#"{"name":"rate_limit_exceeded"}"#.into(),
            )
        } else {
            (200, vec![], r#"{"id":"49a3999c"}"#.into())
        }
    })
    .await;
    mailer(&fake).send(mail()).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let last = &requests[1];
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("POST", "/emails")
    );
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(last.header("idempotency-key"), Some("verify-abc"));
    let body: serde_json::Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(body["to"], serde_json::json!(["ana@bloom.example"]));
    assert_eq!(body["from"], "Atelier <no-reply@bloom.example>");
    assert_eq!(body["subject"], "Confirm your email");
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_outages_give_up_after_three_tries() {
    let refusing =
        FakeServer::start(|_, _| (422, vec![], r#"{"name":"validation_error"}"#.into())).await;
    let err = mailer(&refusing).send(mail()).await.unwrap_err();
    assert!(matches!(err, MailError::Refused(_)));
    assert_eq!(refusing.requests().len(), 1);

    let down = FakeServer::start(|_, _| (503, vec![], "unavailable".into())).await;
    let err = mailer(&down).send(mail()).await.unwrap_err();
    assert!(matches!(err, MailError::Unavailable(_)));
    assert_eq!(down.requests().len(), 3, "bounded");
    assert!(!err.to_string().contains(KEY));
}
