//! Responses that hand over a file (uploads, exports, CSV): one RFC 6266 `Content-Disposition`.

use http::HeaderValue;

/// `attachment` with the file's name twice: `filename*` in UTF-8 (RFC 8187) for clients that
/// read it, and an ASCII `filename` fallback for those that do not. Quotes, backslashes and
/// control characters never reach the header.
pub fn attachment(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
        // "^" / "_" / "`" / "|" / "~"; everything else is percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    let value = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}");
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::attachment;

    #[test]
    fn names_are_given_in_utf8_with_a_safe_ascii_fallback() {
        assert_eq!(
            attachment("Smith wedding — plan.pdf"),
            "attachment; filename=\"Smith wedding _ plan.pdf\"; \
             filename*=UTF-8''Smith%20wedding%20%E2%80%94%20plan.pdf"
        );
        let hostile = attachment("a\"b\\c\r\nSet-Cookie: x.txt");
        let text = hostile.to_str().unwrap();
        assert!(!text.contains('\r') && !text.contains('\n'));
        assert!(text.starts_with("attachment; filename=\"a_b_c__Set-Cookie: x.txt\";"));
        assert!(text.ends_with("filename*=UTF-8''a%22b%5Cc%0D%0ASet-Cookie%3A%20x.txt"));
    }
}
