//! Account values: user ids, display names and passwords that meet the security bar.

use super::Invalid;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::fmt;
use ulid::Ulid;

/// A user's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(Ulid);

impl UserId {
    pub fn new(clock: &dyn crate::ports::Clock) -> Self {
        Self(super::new_id(clock))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ulid::from_string(raw)
            .map(Self)
            .map_err(|_| Invalid::new("user_id", "must be a ULID"))
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<String> for UserId {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.to_string()
    }
}

/// A person's display name: trimmed, 1..=120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        // Checked as written (trimming would hide padding and U+0085), then trimmed.
        if raw.len() > 480 || raw.chars().count() > 120 {
            return Err(Invalid::new("name", "must be 1..=120 characters"));
        }
        if raw.chars().any(char::is_control) {
            return Err(Invalid::new("name", "must not contain control characters"));
        }
        let s = raw.trim();
        if s.is_empty() {
            return Err(Invalid::new("name", "must be 1..=120 characters"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}

/// Shortest and longest passwords accepted (OWASP ASVS: at least 8; allow at least 64).
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Passwords seen most often in breach corpora; one per line, lower case.
const COMMON: &str = include_str!("common_passwords.txt");

/// A new password that meets the policy. Never printed, never serialised.
pub struct NewPassword(SecretString);

impl NewPassword {
    pub fn parse(raw: SecretString) -> Result<Self, Invalid> {
        let chars = raw.expose_secret().chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(Invalid::new(
                "password",
                format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(Invalid::new(
                "password",
                format!("must be at most {PASSWORD_MAX_CHARS} characters"),
            ));
        }
        let lower = raw.expose_secret().to_lowercase();
        if COMMON.lines().any(|common| common == lower) {
            return Err(Invalid::new("password", "is too common; choose another"));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Result<NewPassword, Invalid> {
        NewPassword::parse(SecretString::from(s.to_owned()))
    }

    #[test]
    fn p15_password_policy_refuses_short_long_and_common_passwords() {
        assert!(pw("short").is_err());
        assert!(pw(&"x".repeat(129)).is_err());
        assert!(
            pw("Password1").is_err(),
            "common passwords are refused whatever their case"
        );
        assert!(pw("balloon arch at dawn").is_ok());
        assert!(
            pw(&"é".repeat(64)).is_ok(),
            "64 characters of any script are allowed"
        );
        assert_eq!(
            format!("{:?}", pw("balloon arch at dawn").unwrap()),
            "NewPassword(***)"
        );
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("  Ana Lima ").unwrap().as_str(),
            "Ana Lima"
        );
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("a\u{0}b").is_err());
        assert!(PersonName::parse(&"a".repeat(121)).is_err());
    }
}
