//! Plain types and rules. Constructors validate, so a value of these types is always valid;
//! nothing here does I/O.

pub mod email;
pub mod gmail;
pub mod ids;
pub mod number;
pub mod phone;
pub mod role;
pub mod user;

pub use email::Email;
pub use gmail::HistoryId;
pub use ids::{BrandId, new_id};
pub use phone::Phone;
pub use role::{Permission, Role, Slug};
pub use user::{NewPassword, PersonName, UserId};

/// Why a raw value was refused; names the field for problem+json details.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
