//! Whole numbers as JSON writes them: one number type, so `365` and `365.0` are the same
//! value, and serde's integers refuse the second.

use serde_json::Value;

/// A JSON number that is whole (`3` or `3.0`) and exact in a double (under 9e15 in size).
pub fn whole(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

/// `deserialize_with` for an optional whole number of type `T` (an absent or null field is
/// `None`; a fraction or an out-of-range number is refused, naming it).
pub fn deserialize_whole<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64>,
{
    use serde::de::Error;
    let Some(n) = <Option<serde_json::Number> as serde::Deserialize>::deserialize(de)? else {
        return Ok(None);
    };
    whole(&Value::Number(n.clone()))
        .and_then(|w| T::try_from(w).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("{n} is not a whole number in range")))
}
