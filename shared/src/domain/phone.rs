//! Phone numbers as studios type them, kept in one comparable form.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number: optional leading `+`, then 6..=15 digits (E.164's length); spaces, dots,
/// dashes and parentheses are dropped on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => ("+", rest),
            None => ("", trimmed),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || " .-()".contains(c))
        {
            return Err(Invalid::new(
                "phone",
                "may hold digits, spaces, dots, dashes, parentheses and a leading +",
            ));
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        if !(6..=15).contains(&digits.len()) {
            return Err(Invalid::new("phone", "must have 6..=15 digits"));
        }
        Ok(Self(format!("{plus}{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Phone {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_and_junk_is_refused() {
        assert_eq!(
            Phone::parse(" +44 (20) 7946-0958 ").unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            Phone::parse("020.7946.0958").unwrap().as_str(),
            "02079460958"
        );
        for bad in [
            "",
            "12345",
            "call me",
            "+1 800 FLOWERS",
            &"1".repeat(16),
            "++4420",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?}");
        }
    }
}
