//! Email addresses, as the product stores and compares them.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically plausible address (`local@domain.tld`), trimmed and lower-cased so that
/// lookups and dedupe compare equal addresses equal. Deliverability is not checked here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = |m: &str| Err(Invalid::new("email", m));
        // Bounded and checked as written, before trimming.
        if raw.chars().count() > 254 || raw.chars().any(char::is_control) {
            return bad("must be 1..=254 characters, without control characters");
        }
        let s = raw.trim().to_lowercase();
        if s.is_empty() || s.len() > 254 {
            return bad("must be 1..=254 characters");
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return bad("must contain @");
        };
        if local.is_empty() || local.len() > 64 {
            return bad("local part must be 1..=64 characters");
        }
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return bad("domain is not valid");
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
        {
            return bad("contains characters not allowed in an address");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_normalise_and_junk_is_refused() {
        assert_eq!(
            Email::parse("  Ana@Studio.Example ").unwrap().as_str(),
            "ana@studio.example"
        );
        for bad in [
            "", "no-at", "@x.io", "a@", "a@b", "a b@c.io", "a@-x.io", "a@x..io", "a<b@c.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Email::parse(&format!("{}@x.io", "a".repeat(65))).is_err());
    }
}
