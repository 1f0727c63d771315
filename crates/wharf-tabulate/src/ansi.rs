//! tabulate's "invisible" codes: ANSI CSI sequences (`ESC [ params intermediates final`)
//! and OSC 8 hyperlinks (`ESC ]8;params;URI ESC \ text ESC ]8;; ESC \`). They take no
//! width; a hyperlink counts as its text.

use std::borrow::Cow;
use std::ops::Range;

const ESC: u8 = 0x1b;

/// One match of tabulate's `_ansi_codes` pattern.
struct Code {
    /// Byte range of the whole code.
    span: Range<usize>,
    /// Byte range of a hyperlink's text (what `_strip_ansi` keeps), if a hyperlink.
    text: Option<Range<usize>>,
}

/// Python's `\w` in a `str` pattern, approximated with Rust's Unicode classes: letters,
/// digits and `_`.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `params` is fully matched by `(\w+=\w+:?)*`.
fn params_match(params: &str) -> bool {
    let chars: Vec<char> = params.chars().collect();
    let n = chars.len();
    // reachable[i]: a whole number of `key=value[:]` items ends at char i.
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for i in 0..n {
        if !reachable[i] {
            continue;
        }
        let mut key_end = i;
        while key_end < n && is_word(chars[key_end]) {
            key_end += 1;
        }
        if key_end == i || key_end >= n || chars[key_end] != '=' {
            continue;
        }
        let mut value_end = key_end + 1;
        while value_end < n && is_word(chars[value_end]) {
            value_end += 1;
            reachable[value_end] = true;
            if value_end < n && chars[value_end] == ':' {
                reachable[value_end + 1] = true;
            }
        }
    }
    reachable[n]
}

/// The code that starts at byte `at` (an ESC), if any.
fn code_at(s: &str, at: usize) -> Option<Code> {
    let b = s.as_bytes();
    let n = b.len();
    match b.get(at + 1) {
        Some(b'[') => {
            let mut i = at + 2;
            while i < n && (0x30..=0x3f).contains(&b[i]) {
                i += 1;
            }
            while i < n && (0x20..=0x2f).contains(&b[i]) {
                i += 1;
            }
            (i < n && (0x40..=0x7e).contains(&b[i])).then(|| Code {
                span: at..i + 1,
                text: None,
            })
        }
        Some(b']') => {
            if !s[at + 1..].starts_with("]8;") {
                return None;
            }
            let params_start = at + 4;
            let params_end = params_start + s[params_start..].find(';')?;
            if !params_match(&s[params_start..params_end]) {
                return None;
            }
            let uri_start = params_end + 1;
            let uri_end = uri_start + s[uri_start..].find('\x1b')?;
            if uri_end == uri_start || !s[uri_end..].starts_with("\x1b\\") {
                return None;
            }
            let text_start = uri_end + 2;
            let text_end = text_start + s[text_start..].find('\x1b')?;
            let closing = "\x1b]8;;\x1b\\";
            if text_end == text_start || !s[text_end..].starts_with(closing) {
                return None;
            }
            Some(Code {
                span: at..text_end + closing.len(),
                text: Some(text_start..text_end),
            })
        }
        _ => None,
    }
}

/// The leftmost code at or after byte `from`.
fn find_code(s: &str, from: usize) -> Option<Code> {
    let b = s.as_bytes();
    let mut i = from;
    while let Some(offset) = b[i..].iter().position(|&c| c == ESC) {
        let at = i + offset;
        if let Some(code) = code_at(s, at) {
            return Some(code);
        }
        i = at + 1;
    }
    None
}

/// Whether `s` holds a code (`_ansi_codes.search(s) is not None`).
pub(crate) fn has_code(s: &str) -> bool {
    s.as_bytes().contains(&ESC) && find_code(s, 0).is_some()
}

/// tabulate's `_strip_ansi`: codes removed, hyperlinks replaced by their text.
pub(crate) fn strip(s: &str) -> Cow<'_, str> {
    if !s.as_bytes().contains(&ESC) {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut last = 0;
    while let Some(code) = find_code(s, last) {
        out.push_str(&s[last..code.span.start]);
        if let Some(text) = code.text {
            out.push_str(&s[text]);
        }
        last = code.span.end;
    }
    if last == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// Python's `s.encode("unicode_escape").decode()`, remembering for each output byte
/// whether an escape of an input character starts there.
fn unicode_escape(s: &str) -> (String, Vec<bool>) {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len() * 2);
    let mut starts = Vec::with_capacity(s.len() * 2);
    for c in s.chars() {
        let before = out.len();
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            ' '..='~' => out.push(c),
            _ => {
                let cp = u32::from(c);
                let _ = if cp < 0x100 {
                    write!(out, "\\x{cp:02x}")
                } else if cp < 0x1_0000 {
                    write!(out, "\\u{cp:04x}")
                } else {
                    write!(out, "\\U{cp:08x}")
                };
            }
        }
        starts.push(true);
        starts.resize(out.len(), false);
        debug_assert!(before < out.len());
    }
    (out, starts)
}

/// Python's `bytes.decode("unicode_escape")` for text that `unicode_escape` produced.
fn unicode_unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let hex_digits = match chars.next()? {
            '\\' => {
                out.push('\\');
                continue;
            }
            't' => {
                out.push('\t');
                continue;
            }
            'n' => {
                out.push('\n');
                continue;
            }
            'r' => {
                out.push('\r');
                continue;
            }
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => return None,
        };
        let digits: String = chars.by_ref().take(hex_digits).collect();
        if digits.len() != hex_digits {
            return None;
        }
        out.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
    }
    Some(out)
}

/// tabulate's rewrite of a coloured integer (an `int` cell with codes): in the
/// `unicode_escape` form of `val`, the leftmost match of
/// `(\\[xX]+[0-9a-fA-F]+\[\d+[mM]+)([0-9.]+)(\\.*)$` is kept, its middle group reprinted
/// as an integer (leading zeros go), and whatever preceded the match is dropped.
pub(crate) fn recolor_int(val: &str) -> Option<String> {
    let (escaped, starts) = unicode_escape(val);
    let b = escaped.as_bytes();
    let n = b.len();
    let run = |from: usize, pred: fn(&u8) -> bool| {
        from + b[from..].iter().take_while(|c| pred(c)).count()
    };
    for at in (0..n).filter(|&i| b[i] == b'\\') {
        let x_end = run(at + 1, |c| matches!(c, b'x' | b'X'));
        let hex_end = run(x_end, u8::is_ascii_hexdigit);
        if x_end == at + 1 || hex_end == x_end || b.get(hex_end) != Some(&b'[') {
            continue;
        }
        let digits_end = run(hex_end + 1, u8::is_ascii_digit);
        let m_end = run(digits_end, |c| matches!(c, b'm' | b'M'));
        let number_end = run(m_end, |c| c.is_ascii_digit() || *c == b'.');
        if digits_end == hex_end + 1
            || m_end == digits_end
            || number_end == m_end
            || b.get(number_end) != Some(&b'\\')
        {
            continue;
        }
        let number = &escaped[m_end..number_end];
        if !number.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let trimmed = number.trim_start_matches('0');
        let number = if trimmed.is_empty() { "0" } else { trimmed };
        // A match starting inside an escape (the second `\` of `\\`) cannot occur in an
        // integer cell: leave such a cell alone rather than guess.
        if !starts[at] {
            return None;
        }
        let rebuilt = format!("{}{number}{}", &escaped[at..m_end], &escaped[number_end..]);
        return unicode_unescape(&rebuilt);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_csi_and_links() {
        assert_eq!(strip("\x1b[31mred\x1b[0m text"), "red text");
        assert_eq!(
            strip("\x1b]8;;https://example.com\x1b\\This is a link\x1b]8;;\x1b\\"),
            "This is a link"
        );
        assert_eq!(strip("\x1b]8;a=bc=d;u\x1b\\t\x1b]8;;\x1b\\"), "t");
        let unmatched = "\x1b]8;a=;u\x1b\\t\x1b]8;;\x1b\\";
        assert_eq!(strip(unmatched), unmatched);
        assert_eq!(strip("\x1b]8;a=b:;u\x1b\\t\x1b]8;;\x1b\\"), "t");
        assert_eq!(strip("\x1b[31"), "\x1b[31");
        assert!(!has_code("\x1b[\x01"));
    }

    #[test]
    fn recolors_integers() {
        assert_eq!(
            recolor_int("\x1b[31m42\x1b[0m").as_deref(),
            Some("\x1b[31m42\x1b[0m")
        );
        assert_eq!(
            recolor_int(" \x1b[31m007\x1b[0m").as_deref(),
            Some("\x1b[31m7\x1b[0m")
        );
        assert_eq!(recolor_int("42"), None);
    }
}
