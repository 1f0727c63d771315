//! From file text to logical lines, in pip's order: split lines, join `\` continuations,
//! drop comments and blank lines, expand `${VAR}`.
//!
//! pip works on Python `str`s, so "whitespace" and "line boundary" here are Python's
//! (`str.isspace`, `str.splitlines`), not Rust's.

/// Python's `str.isspace`: Unicode whitespace plus the ASCII separators `\x1c`–`\x1f`.
pub(crate) fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub(crate) fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// Python's `str.splitlines()`: `\n`, `\r`, `\r\n`, `\v`, `\f`, `\x1c`–`\x1e`, NEL, LS, PS.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        ) {
            lines.push(&text[start..index]);
            let mut end = index + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                chars.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// pip's `COMMENT_RE.match`: the whole line is a comment (`#` after optional whitespace).
fn is_comment_line(line: &str) -> bool {
    line.trim_start_matches(is_python_space).starts_with('#')
}

/// pip's `COMMENT_RE.sub("", line)`: cut at the first `#` that starts the line or follows
/// whitespace.
fn strip_comment(line: &str) -> &str {
    let mut previous: Option<char> = None;
    for (index, c) in line.char_indices() {
        if c == '#' && previous.is_none_or(is_python_space) {
            return &line[..index];
        }
        previous = Some(c);
    }
    line
}

/// Join lines ending in `\` with the next one; the joined line keeps the first line's number.
/// A comment line never continues, and ends a continuation (it is then cut by
/// [`strip_comment`], with everything joined after it).
fn join_lines<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<(usize, String)> {
    let mut joined = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (number, line) in lines {
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            let line = if comment {
                format!(" {line}")
            } else {
                line.to_owned()
            };
            match pending.take() {
                Some((first, mut text)) => {
                    text.push_str(&line);
                    joined.push((first, text));
                }
                None => joined.push((number, line)),
            }
        } else {
            // pip strips every backslash from both ends, not just the last one.
            let piece = line.trim_matches('\\');
            pending
                .get_or_insert_with(|| (number, String::new()))
                .1
                .push_str(piece);
        }
    }
    joined.extend(pending);
    joined
}

/// Expand `${NAME}` (`NAME` in `[A-Z0-9_]+`) with `env`; unset or empty variables stay as
/// written. Like pip, all names are found in the line first, then replaced in order.
fn expand_env_variables(line: String, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut index = 0;
    while index + 1 < bytes.len() {
        if bytes[index] == b'$' && bytes[index + 1] == b'{' {
            let name_start = index + 2;
            let name_len = bytes[name_start..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                .count();
            let close = name_start + name_len;
            if name_len > 0 && bytes.get(close) == Some(&b'}') {
                found.push((
                    line[index..=close].to_owned(),
                    line[name_start..close].to_owned(),
                ));
                index = close + 1;
                continue;
            }
        }
        index += 1;
    }
    let mut line = line;
    for (variable, name) in found {
        match env(&name) {
            Some(value) if !value.is_empty() => line = line.replace(&variable, &value),
            _ => {}
        }
    }
    line
}

/// The logical lines of a requirements file: `(first physical line number, text)`, stripped,
/// comments removed, variables expanded; blank lines dropped.
pub(crate) fn logical_lines(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(usize, String)> {
    join_lines(
        split_lines(text)
            .into_iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l)),
    )
    .into_iter()
    .filter_map(|(number, line)| {
        let line = python_strip(strip_comment(&line));
        (!line.is_empty()).then(|| (number, line.to_owned()))
    })
    .map(|(number, line)| (number, expand_env_variables(line, env)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn lines(text: &str) -> Vec<(usize, String)> {
        logical_lines(text, &no_env)
    }

    #[test]
    fn splits_on_every_python_line_boundary() {
        assert_eq!(
            split_lines("a\r\nb\rc\nd\x0be\x0cf\u{2028}g\n"),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert_eq!(split_lines("a\n\nb"), ["a", "", "b"]);
        assert!(split_lines("").is_empty());
    }

    #[test]
    fn comments_need_whitespace_before_the_hash() {
        assert_eq!(
            lines("# whole line\nfoo==1.0  # trailing\nbar#baz\n\tqux\t#tab\n"),
            [
                (2, "foo==1.0".to_owned()),
                (3, "bar#baz".to_owned()),
                (4, "qux".to_owned())
            ]
        );
        // A no-break space is whitespace to Python.
        assert_eq!(lines("foo\u{a0}#c"), [(1, "foo".to_owned())]);
    }

    #[test]
    fn blank_lines_are_dropped_and_numbers_kept() {
        assert_eq!(lines("\n   \n\t\nfoo\n\n"), [(4, "foo".to_owned())]);
    }

    #[test]
    fn continuations_join_and_keep_the_first_line_number() {
        assert_eq!(
            lines("a\nfoo \\\n  >=1.0 \\\n  --hash=sha256:ab\nbar"),
            [
                (1, "a".to_owned()),
                (2, "foo   >=1.0   --hash=sha256:ab".to_owned()),
                (5, "bar".to_owned())
            ]
        );
    }

    #[test]
    fn continuation_at_end_of_file_is_kept() {
        assert_eq!(lines("foo\\"), [(1, "foo".to_owned())]);
    }

    #[test]
    fn every_edge_backslash_is_stripped() {
        assert_eq!(lines("\\foo\\\\\nbar"), [(1, "foobar".to_owned())]);
    }

    #[test]
    fn a_comment_line_ends_a_continuation_and_never_continues() {
        assert_eq!(
            lines("foo \\\n# note \\\nbar"),
            [(1, "foo".to_owned()), (3, "bar".to_owned())]
        );
    }

    #[test]
    fn a_trailing_comment_swallows_the_continued_line() {
        // pip's trap: the comment is cut after joining, so `bar` disappears.
        assert_eq!(lines("foo # note \\\nbar"), [(1, "foo".to_owned())]);
    }

    #[test]
    fn env_variables_expand_only_in_braces_with_upper_case_names() {
        let env = |name: &str| match name {
            "NAME" => Some("requests".to_owned()),
            "V_2" => Some("2.0".to_owned()),
            "EMPTY" => Some(String::new()),
            "lower" => Some("no".to_owned()),
            _ => None,
        };
        assert_eq!(
            logical_lines(
                "${NAME}==${V_2} ${UNSET} ${EMPTY} $NAME ${lower} ${${NAME}} ${NAME}",
                &env
            ),
            [(
                1,
                "requests==2.0 ${UNSET} ${EMPTY} $NAME ${lower} ${requests} requests".to_owned()
            )]
        );
    }

    #[test]
    fn env_variables_expand_after_comments_are_removed() {
        let env = |_: &str| Some("a #b".to_owned());
        assert_eq!(logical_lines("x${A}", &env), [(1, "xa #b".to_owned())]);
    }
}
