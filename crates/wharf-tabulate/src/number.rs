//! How tabulate decides that a string is a number, and how it prints one.
//!
//! tabulate asks Python itself: a cell is an `int` if `int(s)` works, a `float` if
//! `float(s)` works (minus overflow to infinity), and either if it matches tabulate's
//! thousands-separator pattern. So the rules here are CPython 3.11's `int()`/`float()`
//! string grammar: surrounding whitespace, `_` between digits, Unicode decimal digits,
//! `inf`/`infinity`/`nan` in any case.

use std::borrow::Cow;
use std::fmt::Write as _;

/// The code point of every non-ASCII Unicode decimal digit zero (Unicode 14, as in
/// Python 3.11); each is followed by the digits one to nine.
const DIGIT_ZEROS: [u32; 65] = [
    0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6,
    0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50,
    0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
    0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650,
    0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50,
    0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];

/// The value of a non-ASCII decimal digit (`unicodedata.decimal`).
fn unicode_decimal(c: char) -> Option<u8> {
    let cp = u32::from(c);
    let after = DIGIT_ZEROS.partition_point(|&zero| zero <= cp);
    let zero = *DIGIT_ZEROS.get(after.checked_sub(1)?)?;
    u8::try_from(cp - zero).ok().filter(|&digit| digit < 10)
}

/// The whitespace that CPython's number parsers skip once the text is ASCII: `isspace()`
/// for C locale, so *not* `\x1c`–`\x1f` (unlike `str.strip()`).
fn is_number_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// CPython's first step for `int(s)` and `float(s)`: non-ASCII whitespace becomes a space,
/// non-ASCII decimal digits become ASCII ones, and anything else non-ASCII makes the
/// parse fail (`None`).
fn to_ascii(s: &str) -> Option<Cow<'_, [u8]>> {
    if s.is_ascii() {
        return Some(Cow::Borrowed(s.as_bytes()));
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() && c != '\x7f' {
            out.push(c as u8);
        } else if crate::pystr::is_space(c) {
            out.push(b' ');
        } else {
            out.push(b'0' + unicode_decimal(c)?);
        }
    }
    Some(Cow::Owned(out))
}

/// Whether Python's `int(s)` (base 10) accepts `s`: optional whitespace, an optional
/// sign, digits with single underscores between them, optional whitespace.
pub(crate) fn is_int(s: &str) -> bool {
    let Some(bytes) = to_ascii(s) else {
        return false;
    };
    let b = &bytes[..];
    let n = b.len();
    let mut i = 0;
    while i < n && is_number_space(b[i]) {
        i += 1;
    }
    if i < n && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i >= n || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < n {
        if b[i].is_ascii_digit() {
            i += 1;
        } else if b[i] == b'_' && i + 1 < n && b[i + 1].is_ascii_digit() {
            i += 2;
        } else {
            break;
        }
    }
    while i < n && is_number_space(b[i]) {
        i += 1;
    }
    i == n
}

/// Whether `t` (ASCII, no surrounding whitespace, no underscores) is in the grammar of
/// CPython's `float()`: `[sign] (inf | infinity | nan | digits [exponent])`.
fn is_float_syntax(t: &[u8]) -> bool {
    let t = match t.first() {
        Some(b'+' | b'-') => &t[1..],
        _ => t,
    };
    if t.eq_ignore_ascii_case(b"inf")
        || t.eq_ignore_ascii_case(b"infinity")
        || t.eq_ignore_ascii_case(b"nan")
    {
        return true;
    }
    let n = t.len();
    let mut i = 0;
    while i < n && t[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i;
    if i < n && t[i] == b'.' {
        i += 1;
        let start = i;
        while i < n && t[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - start;
    }
    if digits == 0 {
        return false;
    }
    if i < n && (t[i] == b'e' || t[i] == b'E') {
        i += 1;
        if i < n && (t[i] == b'+' || t[i] == b'-') {
            i += 1;
        }
        let start = i;
        while i < n && t[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == n
}

/// Python's `float(s)`, or `None` where it raises `ValueError`.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    let bytes = to_ascii(s)?;
    let without_underscores;
    let b: &[u8] = if bytes.contains(&b'_') {
        // Underscores only between two digits, then they vanish.
        let mut out = Vec::with_capacity(bytes.len());
        let mut prev = 0u8;
        for &c in bytes.iter() {
            if c == b'_' {
                if !prev.is_ascii_digit() {
                    return None;
                }
            } else {
                if prev == b'_' && !c.is_ascii_digit() {
                    return None;
                }
                out.push(c);
            }
            prev = c;
        }
        if prev == b'_' {
            return None;
        }
        without_underscores = out;
        &without_underscores
    } else {
        &bytes
    };
    let start = b.iter().position(|&c| !is_number_space(c))?;
    let end = b.iter().rposition(|&c| !is_number_space(c))? + 1;
    let t = &b[start..end];
    if !is_float_syntax(t) {
        return None;
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

/// tabulate's `_isnumber` for a string: `float(s)` works and does not overflow to
/// infinity — unless `s` spells it exactly (`inf`, `-inf`, `nan` in any case, no spaces,
/// no `+`).
pub(crate) fn is_number(s: &str) -> bool {
    parse_float(s).is_some_and(|x| {
        x.is_finite()
            || s.eq_ignore_ascii_case("inf")
            || s.eq_ignore_ascii_case("-inf")
            || s.eq_ignore_ascii_case("nan")
    })
}

/// tabulate's `_isnumber_with_thousands_separator`: a full match of
/// `^(([+-]?[0-9]{1,3})(?:,([0-9]{3}))*)?(?(1)\.[0-9]*|\.[0-9]+)?$`, where `$` also
/// matches before one final `\n`. The empty string matches.
pub(crate) fn has_thousands_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    let n = b.len();
    if n == 0 {
        return true;
    }
    if b[0] == b'.' {
        return n > 1 && b[1..].iter().all(u8::is_ascii_digit);
    }
    let mut i = usize::from(b[0] == b'+' || b[0] == b'-');
    let lead = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=3).contains(&lead) {
        return false;
    }
    i += lead;
    while i < n && b[i] == b',' {
        if b.len() < i + 4 || !b[i + 1..i + 4].iter().all(u8::is_ascii_digit) {
            return false;
        }
        i += 4;
    }
    if i < n && b[i] == b'.' {
        i += 1;
        while i < n && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    i == n
}

/// tabulate's `_afterpoint`: the number of characters after the last `.` (or, failing
/// that, the last `e`) of a number that is not an integer; `-1` otherwise.
pub(crate) fn afterpoint(s: &str) -> isize {
    if !(is_number(s) || has_thousands_syntax(s)) || is_int(s) {
        return -1;
    }
    // A number holds ASCII, Unicode digits and whitespace only, so `lower()` keeps its
    // length and an ASCII search finds the same position.
    let pos = s
        .rfind('.')
        .or_else(|| s.rfind(|c: char| c.eq_ignore_ascii_case(&'e')));
    pos.map_or(-1, |pos| {
        isize::try_from(crate::pystr::char_len(&s[pos + 1..])).unwrap_or(isize::MAX)
    })
}

/// Python's `format(x, "g")`: six significant digits, trailing zeros removed, scientific
/// notation (two-digit exponent at least) below `1e-4` or from `1e6` on.
pub(crate) fn push_general(out: &mut String, x: f64) {
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    let start = out.len();
    // Round to six significant digits first: the exponent after rounding decides.
    let _ = write!(out, "{x:.5e}");
    let e_pos = out[start..].rfind('e').map_or(out.len(), |p| start + p);
    let exponent: i32 = out[e_pos + 1..].parse().unwrap_or(0);
    if (-4..6).contains(&exponent) {
        out.truncate(start);
        let decimals = usize::try_from(5 - exponent).unwrap_or(0);
        let _ = write!(out, "{x:.decimals$}");
        trim_fraction(out, start);
    } else {
        out.truncate(e_pos);
        trim_fraction(out, start);
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.unsigned_abs());
    }
}

/// [`push_general`] of `float(s)` for the common shape `[+-]digits[.digits]` with at
/// most six significant digits and a value in `[1e-4, 1e6)` or zero, straight from the
/// digits. Returns `false` (and appends nothing) for anything else.
pub(crate) fn push_general_decimal(out: &mut String, s: &str) -> bool {
    let b = s.as_bytes();
    let (negative, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match rest.iter().position(|&c| c == b'.') {
        Some(dot) => (&rest[..dot], &rest[dot + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.iter().all(u8::is_ascii_digit)
        || !frac.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let digits = || int.iter().chain(frac).copied();
    let Some(first) = digits().position(|d| d != b'0') else {
        out.push_str(if negative { "-0" } else { "0" });
        return true;
    };
    // The significant digits, trailing zeros dropped; more than six need rounding.
    let mut buffer = [b'0'; 6];
    let mut len = 0;
    let mut zeros = 0;
    for d in digits().skip(first) {
        if d == b'0' {
            zeros += 1;
        } else if len + zeros < buffer.len() {
            len += zeros;
            zeros = 0;
            buffer[len] = d;
            len += 1;
        } else {
            return false;
        }
    }
    let significant = &buffer[..len];
    // Position of the first significant digit: 0 for units, -1 for tenths, …
    let (Ok(int_len), Ok(first)) = (isize::try_from(int.len()), isize::try_from(first)) else {
        return false;
    };
    let exponent = int_len - 1 - first;
    if !(-4..6).contains(&exponent) {
        return false;
    }
    if negative {
        out.push('-');
    }
    let push_digits = |out: &mut String, digits: &[u8]| {
        out.push_str(std::str::from_utf8(digits).unwrap_or_default());
    };
    if let Ok(units) = usize::try_from(exponent) {
        let int_digits = significant.len().min(units + 1);
        push_digits(out, &significant[..int_digits]);
        out.extend(std::iter::repeat_n('0', units + 1 - int_digits));
        if significant.len() > int_digits {
            out.push('.');
            push_digits(out, &significant[int_digits..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', exponent.unsigned_abs() - 1));
        push_digits(out, significant);
    }
    true
}

/// tabulate's `_afterpoint` of a [`push_general`] result: digits after the point, else
/// characters after the `e`, else `-1`.
pub(crate) fn afterpoint_of_general(formatted: &str) -> isize {
    let after = |pos: usize| isize::try_from(formatted.len() - pos - 1).unwrap_or(isize::MAX);
    formatted
        .rfind('.')
        .or_else(|| formatted.rfind('e'))
        .map_or(-1, after)
}

/// Drops trailing zeros after a decimal point, then the point itself.
fn trim_fraction(out: &mut String, start: usize) {
    if out[start..].contains('.') {
        let kept = out[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + kept);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn general(x: f64) -> String {
        let mut out = String::new();
        push_general(&mut out, x);
        out
    }

    #[test]
    fn int_like_python() {
        for yes in [
            "1",
            " -1 ",
            "+007",
            "1_000",
            "0_0",
            "\u{663}",
            "\u{a0}1\u{3000}",
            "1\u{85}",
        ] {
            assert!(is_int(yes), "{yes:?}");
        }
        for no in [
            "", " ", "1.0", "_1", "1_", "1__0", "+_1", "- 1", "1\x1c", "0x10", "1e5", "١a",
        ] {
            assert!(!is_int(no), "{no:?}");
        }
    }

    #[test]
    fn float_like_python() {
        assert_eq!(parse_float("1e1_0"), Some(1e10));
        assert_eq!(parse_float(" 1.e5 "), Some(1e5));
        assert_eq!(parse_float("\u{661}.\u{665}"), Some(1.5));
        assert!(parse_float("-NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_float("+Infinity"), Some(f64::INFINITY));
        for no in [
            "", ".", ".e5", "1e", "1_e5", "1._5", "in_f", "1,000", "0x10", "1\x1c",
        ] {
            assert_eq!(parse_float(no), None, "{no:?}");
        }
        assert!(is_number("inf") && is_number("-INF") && is_number("NaN") && is_number("1e-400"));
        assert!(!is_number("+inf") && !is_number(" inf") && !is_number("infinity"));
        assert!(!is_number("1e400") && !is_number("-nan"));
    }

    #[test]
    fn thousands() {
        for yes in [
            "",
            "1",
            "1.",
            ".1",
            "1,000",
            "-1,000.1234",
            "+1,000,000\n",
            "12,345",
        ] {
            assert!(has_thousands_syntax(yes), "{yes:?}");
        }
        for no in [".", "1000", "1,0000", "1,00", "+.5", "a", "1,000\n\n"] {
            assert!(!has_thousands_syntax(no), "{no:?}");
        }
    }

    #[test]
    fn afterpoint_like_tabulate() {
        assert_eq!(afterpoint("123.45"), 2);
        assert_eq!(afterpoint("1001"), -1);
        assert_eq!(afterpoint("eggs"), -1);
        assert_eq!(afterpoint("123e45"), 2);
        assert_eq!(afterpoint("123,456.78"), 2);
        assert_eq!(afterpoint("1e+16"), 3);
        assert_eq!(afterpoint(""), -1);
        assert_eq!(afterpoint("inf"), -1);
    }

    #[test]
    fn general_decimal_agrees_with_general() {
        let cases = [
            "6.0",
            "0.10",
            "10",
            "-0.0",
            "+0",
            "1.",
            ".5",
            "00.5",
            "123456",
            "123456.0",
            "1234567",
            "0.0001",
            "0.00012345",
            "0.00001",
            "100000",
            "999999",
            "-12.5",
            "1.234560",
            "0",
            "000",
            "7.000001",
            "100.125",
            "2.50",
        ];
        for s in cases {
            let mut fast = String::new();
            if push_general_decimal(&mut fast, s) {
                assert_eq!(fast, general(s.parse().unwrap()), "{s}");
            } else {
                assert!(fast.is_empty());
                assert!(
                    matches!(s, "1234567" | "0.00001" | "7.000001"),
                    "{s} fell back"
                );
            }
            let formatted = general(s.parse().unwrap());
            assert_eq!(
                afterpoint_of_general(&formatted),
                afterpoint(&formatted),
                "{s}"
            );
        }
        for s in ["1e5", "1_0", " 1", "1,0", "", ".", "-", "inf", "1.2.3"] {
            assert!(!push_general_decimal(&mut String::new(), s), "{s}");
        }
    }

    #[test]
    fn general_format() {
        let cases = [
            (6.0, "6"),
            (0.1, "0.1"),
            (1e5, "100000"),
            (1e16, "1e+16"),
            (1_234_565.0, "1.23456e+06"),
            (123_456.5, "123456"),
            (999_999.5, "1e+06"),
            (0.0001, "0.0001"),
            (1.234_565e-5, "1.23456e-05"),
            (-0.0, "-0"),
            (1.5e300, "1.5e+300"),
            (5e-324, "4.94066e-324"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (x, want) in cases {
            assert_eq!(general(x), want, "{x:e}");
        }
    }
}
