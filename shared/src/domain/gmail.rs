//! Gmail values.

use super::Invalid;
use serde::{Deserialize, Deserializer, Serialize};

/// A Gmail history id: an unsigned 64-bit number that Google sends as a JSON number in push
/// notifications and as a string in API replies. Both are accepted; it serialises as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HistoryId(pub u64);

impl HistoryId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.trim()
            .parse::<u64>()
            .map(Self)
            .map_err(|_| Invalid::new("history_id", "must be an unsigned integer"))
    }
}

impl Serialize for HistoryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for HistoryId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Number(n) => Ok(Self(n)),
            Raw::Text(s) => Self::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_ids_accept_strings_and_numbers() {
        let n: HistoryId = serde_json::from_str("12345").unwrap();
        let s: HistoryId = serde_json::from_str("\"12345\"").unwrap();
        assert_eq!(n, s);
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"12345\"");
        assert!(serde_json::from_str::<HistoryId>("\"-1\"").is_err());
        assert!(serde_json::from_str::<HistoryId>("1.5").is_err());
    }
}
