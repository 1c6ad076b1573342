//! Queue messages are small versioned JSON envelopes: `{"v":1,"type":"…",…}`. A consumer
//! refuses a version it does not know rather than guessing.

use super::WorkError;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const CURRENT_VERSION: u32 = 1;

#[derive(Debug, Serialize, serde::Deserialize)]
struct Versioned<T> {
    v: u32,
    #[serde(flatten)]
    body: T,
}

pub fn encode<T: Serialize>(body: &T) -> String {
    serde_json::to_string(&Versioned {
        v: CURRENT_VERSION,
        body,
    })
    .unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(raw: &str) -> Result<T, WorkError> {
    #[derive(serde::Deserialize)]
    struct Version {
        v: u32,
    }
    let Version { v } = serde_json::from_str(raw)
        .map_err(|e| WorkError::Poison(format!("not an envelope: {e}")))?;
    if v != CURRENT_VERSION {
        return Err(WorkError::Poison(format!("unknown envelope version {v}")));
    }
    let versioned: Versioned<T> =
        serde_json::from_str(raw).map_err(|e| WorkError::Poison(format!("bad message: {e}")))?;
    Ok(versioned.body)
}
