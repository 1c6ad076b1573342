//! Sortable ids (ULID: 48-bit millisecond time, 80 random bits, 26 Crockford base32 chars).

use super::Invalid;
use crate::ports::Clock;
use serde::{Deserialize, Serialize};
use std::fmt;
use ulid::Ulid;

/// A new id, ordered by the clock's time so tests with a manual clock get stable order.
pub fn new_id(clock: &dyn Clock) -> Ulid {
    Ulid::from_datetime(clock.now().into())
}

/// A brand's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BrandId(Ulid);

impl BrandId {
    pub fn new(clock: &dyn Clock) -> Self {
        Self(new_id(clock))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Ulid::from_string(raw)
            .map(Self)
            .map_err(|_| Invalid::new("brand_id", "must be a ULID"))
    }
}

impl fmt::Display for BrandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<String> for BrandId {
    type Error = Invalid;
    fn try_from(raw: String) -> Result<Self, Invalid> {
        Self::parse(&raw)
    }
}

impl From<BrandId> for String {
    fn from(id: BrandId) -> String {
        id.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ManualClock;

    #[test]
    fn brand_ids_round_trip_and_refuse_junk() {
        let clock = ManualClock::starting_now();
        let id = BrandId::new(&clock);
        assert_eq!(BrandId::parse(&id.to_string()), Ok(id));
        assert!(BrandId::parse("not-an-id").is_err());
        assert!(BrandId::parse("").is_err());
    }

    #[test]
    fn ids_sort_by_clock_time() {
        let clock = ManualClock::starting_now();
        let a = new_id(&clock);
        clock.advance(chrono::Duration::milliseconds(5));
        let b = new_id(&clock);
        assert!(a.to_string() < b.to_string());
    }
}
