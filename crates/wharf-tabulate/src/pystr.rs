//! The pieces of Python's `str` behaviour that tabulate leans on: what `strip()` removes,
//! how `splitlines()` and `re.split("[\r\n]")` cut, and how `len()` counts.

/// Python's `str.isspace()`, which `str.strip()` and `str.rstrip()` use.
///
/// Wider than ASCII whitespace: it includes the information separators `\x1c`–`\x1f`,
/// NEL, NBSP and the Unicode spaces; narrower than Rust's `char::is_whitespace` nowhere
/// that matters here (Rust has no `\x1c`–`\x1f`).
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `s.strip()`.
pub(crate) fn strip(s: &str) -> &str {
    // Most cells start and end with a printable ASCII character: nothing to strip.
    let printable = |b: &u8| (0x21..0x7f).contains(b);
    let b = s.as_bytes();
    if b.first().is_some_and(printable) && b.last().is_some_and(printable) {
        return s;
    }
    s.trim_matches(is_space)
}

/// Python's `s.rstrip()` applied to the part of `out` that starts at byte `start`.
pub(crate) fn rstrip_from(out: &mut String, start: usize) {
    let kept = out[start..].trim_end_matches(is_space).len();
    out.truncate(start + kept);
}

/// Python's `len(s)`: the number of code points.
pub(crate) fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Whether `c` ends a line for Python's `str.splitlines()`.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `s.splitlines()`: `\r\n` is one break, a final break adds no empty line, and
/// `""` has no lines at all.
pub(crate) fn splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_line_break(c) {
            lines.push(&s[start..i]);
            start = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                chars.next();
                start += 1;
            }
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// Python's `re.split("[\r\n]", s)`: every `\r` and every `\n` cuts, so `\r\n` leaves an
/// empty piece between them and `""` is one empty piece.
pub(crate) fn split_cr_lf(s: &str) -> impl Iterator<Item = &str> {
    s.split(['\r', '\n'])
}

/// Whether `s` holds a `\r` or `\n`, which switches tabulate to multiline layout.
pub(crate) fn has_cr_lf(s: &str) -> bool {
    s.bytes().any(|b| b == b'\r' || b == b'\n')
}

/// Appends `n` spaces.
pub(crate) fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                                                ";
    while n > 0 {
        let step = n.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        n -= step;
    }
}

/// Python's `html.escape(s)` (with `quote=True`).
pub(crate) fn push_html_escaped(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// tabulate's `LATEX_ESCAPE_RULES`, one character at a time.
pub(crate) fn push_latex_escaped(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let replacement = match b {
            b'&' => r"\&",
            b'%' => r"\%",
            b'$' => r"\$",
            b'#' => r"\#",
            b'_' => r"\_",
            b'^' => r"\^{}",
            b'{' => r"\{",
            b'}' => r"\}",
            b'~' => r"\textasciitilde{}",
            b'\\' => r"\textbackslash{}",
            b'<' => r"\ensuremath{<}",
            b'>' => r"\ensuremath{>}",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_uses_python_whitespace() {
        assert_eq!(strip("\x1c a \u{3000}\u{85}"), "a");
        assert_eq!(strip("\u{200b}a"), "\u{200b}a");
    }

    #[test]
    fn splitlines_like_python() {
        assert_eq!(splitlines(""), Vec::<&str>::new());
        assert_eq!(splitlines("\n"), vec![""]);
        assert_eq!(splitlines("a\r\nb\x0bc\n"), vec!["a", "b", "c"]);
        assert_eq!(splitlines("a\n\nb"), vec!["a", "", "b"]);
        assert_eq!(
            split_cr_lf("a\r\nb").collect::<Vec<_>>(),
            vec!["a", "", "b"]
        );
        assert_eq!(split_cr_lf("").collect::<Vec<_>>(), vec![""]);
    }

    #[test]
    fn escapes() {
        let mut out = String::new();
        push_html_escaped(&mut out, "<a href='x'>&\"</a>");
        assert_eq!(out, "&lt;a href=&#x27;x&#x27;&gt;&amp;&quot;&lt;/a&gt;");
        out.clear();
        push_latex_escaped(&mut out, r"a_b{c}\~é");
        assert_eq!(out, r"a\_b\{c\}\textbackslash{}\textasciitilde{}é");
    }
}
