//! Python's `shlex.split(text)` (POSIX mode, no comments), which pip applies to the options
//! part of a line — never to the requirement itself, whose markers shlex would mangle.

/// Why the options of a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShlexError {
    /// A quote is opened and never closed. Ex) `--hash='sha256:ab`
    #[error("no closing quotation")]
    NoClosingQuotation,
    /// The text ends with an escaping backslash. Ex) `-r file\`
    #[error("no escaped character")]
    NoEscapedCharacter,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Between,
    Word,
    Quoted(char),
    Escaped(Escaped),
}

/// Where an escaping backslash was seen.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escaped {
    InWord,
    InDoubleQuotes,
}

fn is_shlex_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Split like `shlex.split`: whitespace (` \t\r\n`) separates words; `'…'` is literal;
/// `"…"` is literal except `\"` and `\\`; a backslash outside quotes escapes any character;
/// quotes may sit inside a word (`a"b c"` is `ab c`) and `""` is an empty word.
pub(crate) fn split(text: &str) -> Result<Vec<String>, ShlexError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut state = State::Between;
    for c in text.chars() {
        match state {
            State::Between | State::Word => {
                if is_shlex_space(c) {
                    if state == State::Word || quoted {
                        words.push(std::mem::take(&mut word));
                        quoted = false;
                    }
                    state = State::Between;
                } else if c == '\\' {
                    state = State::Escaped(Escaped::InWord);
                } else if c == '\'' || c == '"' {
                    state = State::Quoted(c);
                } else {
                    word.push(c);
                    state = State::Word;
                }
            }
            State::Quoted(quote) => {
                quoted = true;
                if c == quote {
                    state = State::Word;
                } else if c == '\\' && quote == '"' {
                    state = State::Escaped(Escaped::InDoubleQuotes);
                } else {
                    word.push(c);
                }
            }
            State::Escaped(Escaped::InWord) => {
                word.push(c);
                state = State::Word;
            }
            State::Escaped(Escaped::InDoubleQuotes) => {
                if c != '\\' && c != '"' {
                    word.push('\\');
                }
                word.push(c);
                state = State::Quoted('"');
            }
        }
    }
    match state {
        State::Quoted(_) => return Err(ShlexError::NoClosingQuotation),
        State::Escaped(_) => return Err(ShlexError::NoEscapedCharacter),
        State::Word => words.push(word),
        State::Between => {
            if quoted {
                words.push(word);
            }
        }
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<String> {
        split(text).unwrap()
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(ok("  -r  a.txt\t--pre\n"), ["-r", "a.txt", "--pre"]);
        assert!(ok("").is_empty());
        assert!(ok("   ").is_empty());
    }

    #[test]
    fn quotes_group_and_join() {
        assert_eq!(ok(r#"-e "./my dir" 'x y'"#), ["-e", "./my dir", "x y"]);
        assert_eq!(ok(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(ok(r#""" ''"#), ["", ""]);
        assert_eq!(ok(r"'a\b'"), [r"a\b"]);
    }

    #[test]
    fn backslashes() {
        assert_eq!(ok(r"a\ b"), ["a b"]);
        assert_eq!(ok(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(ok(r"\'"), ["'"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split("'abc"), Err(ShlexError::NoClosingQuotation));
        assert_eq!(split(r#""abc\""#), Err(ShlexError::NoClosingQuotation));
        assert_eq!(split("abc\\"), Err(ShlexError::NoEscapedCharacter));
    }
}
