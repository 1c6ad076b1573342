//! The one place that builds table keys. Every brand partition starts with `B#<brand_id>`, so
//! IAM can fence a function's access with `dynamodb:LeadingKeys` (DESIGN.md §2).

use crate::domain::{BrandId, Email};
use crate::ports::Key;

/// The partition prefix every brand's rows share.
pub const BRAND_PREFIX: &str = "B#";

pub fn brand_pk(brand: &BrandId) -> String {
    format!("{BRAND_PREFIX}{brand}")
}

/// The GSI2 partition listing every brand.
pub const ALL_BRANDS: &str = "PLATFORM#BRANDS";

/// The GSI2 partition of deleted accounts awaiting anonymisation, by due time.
pub const ANONYMISE_QUEUE: &str = "PLATFORM#ANONYMISE";

/// A brand's own record.
pub fn brand(brand: &BrandId) -> Key {
    Key::new(brand_pk(brand), "BRAND")
}

/// A brand's slug claim, which keeps slugs unique.
pub fn slug(slug: &crate::domain::Slug) -> Key {
    Key::new(format!("SLUG#{}", slug.as_str()), "BRAND")
}

/// A user's membership of a brand. Its GSI1 key (`U#<user>#BRANDS`, brand id) lists a user's
/// brands.
pub fn member(brand: &BrandId, user: &crate::domain::UserId) -> Key {
    Key::new(brand_pk(brand), format!("MEMBER#{user}"))
}

pub fn memberships_of(user: &crate::domain::UserId) -> String {
    format!("U#{user}#BRANDS")
}

/// The brand's newest invitation to an address (by the address's hash): a newer invitation
/// replaces older ones, and only the newest can be accepted.
pub fn latest_invitation(brand: &BrandId, email_hash: &str) -> Key {
    Key::new(brand_pk(brand), format!("INVITE#{email_hash}"))
}

/// A mailbox's push-notification watermark: the highest history id Google has announced.
pub fn mailbox_notice(brand: &BrandId, mailbox: &Email) -> Key {
    Key::new(brand_pk(brand), format!("MAILBOX#{mailbox}#NOTICE"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::ManualClock;

    #[test]
    fn brand_keys_lead_with_the_brand() {
        let brand = BrandId::new(&ManualClock::starting_now());
        let key = mailbox_notice(&brand, &Email::parse("a@b.io").unwrap());
        assert!(key.pk.starts_with(&format!("B#{brand}")));
    }
}
