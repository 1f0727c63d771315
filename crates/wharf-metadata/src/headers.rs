//! Core metadata (`METADATA`) and `WHEEL` files: RFC 822 style headers.
//!
//! Implements the header part of the [core metadata specification]
//! (packaging.python.org, "Core metadata specifications"), which is what `pip` reads with
//! Python's `email` parser: `Key: value` lines, continuation lines that start with a space or a
//! tab, and a body (the long description) after the first empty line, which is never parsed
//! here.
//!
//! [core metadata specification]: https://packaging.python.org/en/latest/specifications/core-metadata/

/// The headers of an RFC 822 style file, in file order, keys as written.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    /// Parses the header block of `text`; stops at the first empty line (the body).
    ///
    /// Like Python's `email` parser this never fails: a line without a colon that is not a
    /// continuation line is skipped.
    pub fn parse(text: &str) -> Self {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push('\n');
                    value.push_str(line);
                }
                continue;
            }
            if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim_end().to_string(), value.trim().to_string()));
            }
        }
        Self { fields }
    }

    /// The first value of `key` (ASCII case-insensitive), like `email.message.Message.get`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `key` (ASCII case-insensitive), in file order, like `get_all`.
    pub fn get_all(&self, key: &str) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_stop_at_body_and_fold_continuations() {
        let text = "Metadata-Version: 2.1\r\nName: Foo\r\nSummary: one\r\n  two\r\nRequires-Dist: a\r\nrequires-dist: b ; extra == 'x'\r\n\r\nRequires-Dist: not-a-header\r\n";
        let headers = Headers::parse(text);
        assert_eq!(headers.get("name"), Some("Foo"));
        assert_eq!(headers.get("Summary"), Some("one\n  two"));
        assert_eq!(
            headers.get_all("Requires-Dist"),
            vec!["a".to_string(), "b ; extra == 'x'".to_string()]
        );
        assert_eq!(headers.get("Missing"), None);
    }
}

/// Property tests (no-panic issue): any `METADATA` text never panics the parser, and headers
/// written one a line read back in order.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        // 256 cases each (all property tests together < 30 s in debug on 2 cores);
        // `PROPTEST_CASES=10000 cargo test` for a longer local run.
        #![proptest_config(ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
        ))]

        #[test]
        fn arbitrary_metadata_never_panics(text in any::<String>()) {
            let headers = Headers::parse(&text);
            let _ = headers.get("Name");
            let _ = headers.get_all("Requires-Dist");
        }

        #[test]
        fn metadata_headers_round_trip(
            fields in proptest::collection::vec(("[A-Za-z][A-Za-z-]{0,10}", "[!-~]([ -~]{0,12}[!-~])?"), 0..8),
            crlf in any::<bool>(),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            for (key, value) in &fields {
                text.push_str(&format!("{key}: {value}{end}"));
            }
            text.push_str(end);
            text.push_str("Body: not a header");
            let headers = Headers::parse(&text);
            for (key, _) in &fields {
                let expected: Vec<String> = fields
                    .iter()
                    .filter(|(other, _)| other.eq_ignore_ascii_case(key))
                    .map(|(_, value)| value.clone())
                    .collect();
                prop_assert_eq!(headers.get_all(key), expected);
            }
            prop_assert_eq!(headers.get("Body"), None);
        }
    }
}
