//! Every table key layout, and the only place one is built: a source test below fails if any
//! other module of the crate writes a partition key.
//!
//! - [`brand`] holds the layouts *inside* a brand, relative to it: a [`BrandKey`] or
//!   [`BrandPart`] names no brand, and only a brand handle (obtained from a `BrandScope`)
//!   makes it whole, under its own brand. Code that forgets the brand does not compile;
//!   code that names another brand's rows cannot be written.
//! - [`platform`] holds the whole keys of everything that is not one brand's: users,
//!   sessions, slugs, rate limits, one-time tokens, the brand list, the anonymise queue, and
//!   the few cross-brand reads sign-in and the operator need.
//!
//! Every brand partition is `B#<brand>` or starts with `B#<brand>#`, the rule IAM's
//! `dynamodb:LeadingKeys` enforces on a brand's credentials (DESIGN.md §2).

pub mod brand;
pub mod platform;

use crate::domain::BrandId;
use crate::ports::{BlobKey, BlobsError, Item, Key, Query};

/// The partition prefix every brand's rows share.
const BRAND_PREFIX: &str = "B#";

fn brand_pk(brand: &BrandId) -> String {
    format!("{BRAND_PREFIX}{brand}")
}

/// A partition of a brand, relative to it: `""` is the brand's main partition, anything
/// else starts with `#` (`#AUDIT#2026-12`, `#ON#contact:01…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrandPart(String);

impl BrandPart {
    fn main() -> Self {
        Self(String::new())
    }

    fn sub(suffix: String) -> Self {
        debug_assert!(suffix.starts_with('#'));
        Self(suffix)
    }

    /// The relative form, as index attributes of brand items hold it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A query of this partition, for a brand handle.
    pub fn query(self) -> Query<BrandPart> {
        Query::of(self)
    }

    /// The whole partition key in `brand`: for brand handles, the cross-brand rows in
    /// [`platform`] and tests (the source test below holds everything else to that).
    pub fn in_brand(&self, brand: &BrandId) -> String {
        format!("{}{}", brand_pk(brand), self.0)
    }

    /// A relative index partition as stored in a brand item's attributes, if it is one.
    pub(crate) fn from_relative(stored: &str) -> Option<Self> {
        stored.starts_with('#').then(|| Self(stored.to_owned()))
    }

    /// The part of `brand` that the whole partition `pk` is, if it is one of `brand`'s.
    pub(crate) fn of(pk: &str, brand: &BrandId) -> Option<Self> {
        let rest = pk.strip_prefix(&brand_pk(brand))?;
        (rest.is_empty() || rest.starts_with('#')).then(|| Self(rest.to_owned()))
    }
}

/// A key relative to a brand: a partition of it and a sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BrandKey {
    part: BrandPart,
    sk: String,
}

impl BrandKey {
    fn new(part: BrandPart, sk: impl Into<String>) -> Self {
        Self {
            part,
            sk: sk.into(),
        }
    }

    pub fn part(&self) -> &BrandPart {
        &self.part
    }

    pub fn sk(&self) -> &str {
        &self.sk
    }

    /// The whole key in `brand`: for brand handles, the cross-brand rows in [`platform`]
    /// and tests (the source test below holds everything else to that).
    pub fn in_brand(&self, brand: &BrandId) -> Key {
        Key::new(self.part.in_brand(brand), self.sk.clone())
    }

    /// The key relative to `brand`, if it is one of `brand`'s.
    pub(crate) fn of(key: &Key, brand: &BrandId) -> Option<Self> {
        BrandPart::of(key.pk(), brand).map(|part| Self::new(part, key.sk()))
    }
}

/// A file of a brand, relative to it (`files/<id>`): a brand's blob handle places it under
/// `brands/<brand>/`, the only prefix the brand's credentials reach.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrandBlob(String);

impl BrandBlob {
    fn new(path: String) -> Self {
        Self(path)
    }

    /// The whole blob key in `brand`: for brand handles and tests (see the source test).
    pub fn in_brand(&self, brand: &BrandId) -> Result<BlobKey, BlobsError> {
        BlobKey::parse(&format!("{}{}", blobs_prefix(brand), self.0))
    }
}

fn blobs_prefix(brand: &BrandId) -> String {
    format!("brands/{brand}/")
}

/// Whether the blob key (or listing prefix) `key` is under `brand`'s files: the rule a
/// brand's credentials are held to, here and by IAM.
pub fn blobs_within(key: &str, brand: &BrandId) -> bool {
    key.starts_with(&blobs_prefix(brand)) && !key.split('/').any(|s| s == ".." || s == ".")
}

/// Whether the whole partition key `pk` is one of `brand`'s: the rule a brand's credentials
/// are held to, here and by IAM.
pub fn within(pk: &str, brand: &BrandId) -> bool {
    BrandPart::of(pk, brand).is_some()
}

/// Puts a brand item in a secondary index's partition `part` at sort key `sk`: the partition
/// is relative to the item's brand, which the brand handle resolves.
pub fn index_in_brand(
    item: &mut Item<BrandKey>,
    index: crate::ports::Index,
    part: &BrandPart,
    sk: &str,
) {
    item.set_index(index, part.as_str(), sk);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;
    use crate::ports::ManualClock;

    #[test]
    fn brand_keys_become_whole_only_under_their_brand() {
        let clock = ManualClock::starting_now();
        let (a, b) = (BrandId::new(&clock), BrandId::new(&clock));
        let key = brand::mailbox_notice(&Email::parse("a@b.io").unwrap());
        let whole = key.in_brand(&a);
        assert!(within(whole.pk(), &a));
        assert!(!within(whole.pk(), &b));
        assert_eq!(BrandKey::of(&whole, &a), Some(key));
        assert_eq!(BrandKey::of(&whole, &b), None);
        let audit = brand::audit_month(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert!(within(&audit.in_brand(&a), &a));
        // A longer brand id that merely starts with A's is not A's.
        assert!(!within(&format!("{}X", brand_pk(&a)), &a));
    }

    /// No module outside `keys`, `ports` and `adapters` builds a table key: no `Key::new`,
    /// no `Query::partition`, no `B#`, no index attribute names, no `format!` of a `…#…`
    /// layout, and no brand key made whole but by the brand handle. A new layout goes here,
    /// where the brand rule is kept.
    #[test]
    fn no_key_is_built_outside_keys() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut offenders = Vec::new();
        let roots = [
            root.join("src"),
            root.join("../functions"),
            root.join("../local"),
        ];
        let mut files = Vec::new();
        for r in &roots {
            collect_rs(r, &mut files);
        }
        assert!(
            files.len() > 50,
            "the scan found too few files: {}",
            files.len()
        );
        let allowed = [
            "src/keys/",
            "src/ports/",
            "src/adapters/",
            // The brand handles, which make brand-relative keys and paths whole.
            "src/app/brand_table.rs",
            "src/app/brand_blobs.rs",
        ];
        let forbidden = [
            ".in_brand(",
            "\"brands/",
            "Key::new(",
            "Query::partition(",
            "\"B#",
            "\"GSI1PK\"",
            "\"GSI1SK\"",
            "\"GSI2PK\"",
            "\"GSI2SK\"",
        ];
        for file in files {
            let path = file.to_string_lossy().replace('\\', "/");
            if allowed.iter().any(|a| path.contains(a)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                let hit = forbidden
                    .iter()
                    .find(|f| code.contains(*f))
                    .copied()
                    .or_else(|| key_format(code).then_some("format! of a key layout"));
                if let Some(hit) = hit {
                    offenders.push(format!("{path}:{}: {hit}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            offenders.is_empty(),
            "keys built outside keys/:\n{}",
            offenders.join("\n")
        );
    }

    /// Record code is brand code: it reaches the table only through its scope's brand
    /// handle, never the platform table on the function's own credentials.
    #[test]
    fn record_code_uses_only_brand_handles() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app/records");
        let mut files = Vec::new();
        collect_rs(&dir, &mut files);
        assert!(files.len() > 10);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let squeezed: String = text.split_whitespace().collect();
            assert!(
                !squeezed.contains("ctx.table"),
                "{} uses the platform table",
                file.display()
            );
        }
    }

    /// A `format!` whose template has a `#` after an upper-case tag or a placeholder, as key
    /// layouts do (`"U#{user}"`, `"{brand}#ON#…"`).
    fn key_format(code: &str) -> bool {
        let Some(start) = code.find("format!(\"") else {
            return false;
        };
        let template = &code[start + 9..];
        let template = &template[..template.find('"').unwrap_or(template.len())];
        let bytes = template.as_bytes();
        bytes.iter().enumerate().any(|(i, b)| {
            *b == b'#' && i > 0 && (bytes[i - 1].is_ascii_uppercase() || bytes[i - 1] == b'}')
        })
    }

    fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                collect_rs(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    #[test]
    fn the_scan_sees_key_layouts() {
        assert!(key_format(r#"let k = format!("U#{user}");"#));
        assert!(key_format(r#"format!("{brand}#ON#{record}")"#));
        assert!(!key_format(r##"format!("color: #fff {x}")"##));
        assert!(!key_format(r#"format!("{a}:{b}")"#));
    }
}
