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
