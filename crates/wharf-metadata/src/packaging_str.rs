//! A requirement as pip writes it back: `str(packaging.requirements.Requirement(text))` of the
//! `packaging` 26 that pip 26 vendors, for the lines pip prints (`pip check`'s "has requirement
//! …"), byte for byte.
//!
//! Traps: packaging keeps the name, the extras and the versions as written (`Six>=1.0.0`, not
//! `six>=1`), sorts the extras and the specifiers by their text and drops duplicates
//! (`>=2, <3` → `<3,>=2`), and writes markers from its parse tree: one space between tokens,
//! values in double quotes, `python_implementation` as `platform_python_implementation`, extra
//! names normalized (`extra == "Foo_Bar"` → `extra == "foo-bar"`), and the parentheses of a
//! group kept unless it holds a single comparison.

/// `text` (a PEP 508 requirement, ex) `Six (>= 2, <3) ; python_version>='3'`) as
/// `str(packaging.requirements.Requirement(text))` writes it, ex)
/// `Six<3,>=2; python_version >= "3"`; `None` when `text` is not a requirement this reading
/// understands (the caller then writes it its own way).
pub fn packaging_requirement(text: &str) -> Option<String> {
    let text = text.trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(text.len());
    let name = &text[..name_end];
    if name.is_empty() {
        return None;
    }
    let mut rest = text[name_end..].trim_start();
    let mut extras: Vec<&str> = Vec::new();
    if let Some(inner) = rest.strip_prefix('[') {
        let (list, after) = inner.split_once(']')?;
        extras = list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        extras.sort_unstable();
        extras.dedup();
        rest = after.trim_start();
    }
    let mut out = name.to_string();
    if !extras.is_empty() {
        out.push('[');
        out.push_str(&extras.join(","));
        out.push(']');
    }
    let marker_text;
    if let Some(after_at) = rest.strip_prefix('@') {
        let after_at = after_at.trim_start();
        let url_end = after_at.find(char::is_whitespace).unwrap_or(after_at.len());
        let url = &after_at[..url_end];
        if url.is_empty() {
            return None;
        }
        out.push_str(" @ ");
        out.push_str(url);
        let after_url = after_at[url_end..].trim_start();
        marker_text = match after_url.strip_prefix(';') {
            Some(marker) => Some(marker),
            None if after_url.is_empty() => None,
            None => return None,
        };
    } else {
        let (specifiers, marker) = match rest.split_once(';') {
            Some((specifiers, marker)) => (specifiers, Some(marker)),
            None => (rest, None),
        };
        out.push_str(&specifier_set(specifiers)?);
        marker_text = marker;
    }
    if let Some(marker_text) = marker_text {
        let marker = marker(marker_text)?;
        if out.contains(" @ ") {
            out.push(' ');
        }
        out.push_str("; ");
        out.push_str(&marker);
    }
    Some(out)
}

/// The comparison operators of PEP 440, longest first (so `===` is not read as `==`).
const OPERATORS: [&str; 8] = ["===", "==", "~=", "!=", "<=", ">=", "<", ">"];

/// `str(SpecifierSet(text))`: each specifier as operator and version without spaces, sorted
/// by that text, duplicates dropped, joined by `,`; `text` may be in parentheses.
fn specifier_set(text: &str) -> Option<String> {
    let mut text = text.trim();
    if let Some(inner) = text.strip_prefix('(') {
        text = inner.strip_suffix(')')?.trim();
    }
    if text.is_empty() {
        return Some(String::new());
    }
    let mut specifiers = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let operator = OPERATORS.iter().find(|op| part.starts_with(**op))?;
        let version = part[operator.len()..].trim();
        if version.is_empty() || version.contains(char::is_whitespace) {
            return None;
        }
        specifiers.push(format!("{operator}{version}"));
    }
    specifiers.sort_unstable();
    specifiers.dedup();
    Some(specifiers.join(","))
}

/// One token of a marker expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `and` / `or`
    Logical(&'static str),
    /// `==`, `in`, `not in`, …
    Operator(String),
    /// A marker variable, ex) `python_version`.
    Variable(String),
    /// A quoted string's text, ex) `3.8`.
    Value(String),
}

fn tokens(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let first = rest.chars().next()?;
        let taken = if first == '(' {
            out.push(Token::Open);
            1
        } else if first == ')' {
            out.push(Token::Close);
            1
        } else if first == '\'' || first == '"' {
            let end = rest[1..].find(first)? + 1;
            out.push(Token::Value(rest[1..end].to_string()));
            end + 1
        } else if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            out.push(Token::Operator((*op).to_string()));
            op.len()
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            match word {
                "" => return None,
                "and" => out.push(Token::Logical("and")),
                "or" => out.push(Token::Logical("or")),
                "in" => out.push(Token::Operator("in".to_string())),
                "not" => {
                    let after = rest[end..].trim_start();
                    let is_in = after.strip_prefix("in").is_some_and(|a| {
                        !a.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    });
                    if !is_in {
                        return None;
                    }
                    out.push(Token::Operator("not in".to_string()));
                    rest = &after[2..];
                    rest = rest.trim_start();
                    continue;
                }
                word => out.push(Token::Variable(word.replace('.', "_"))),
            }
            end
        };
        rest = rest[taken..].trim_start();
    }
    Some(out)
}

/// packaging's parse tree of a marker: a list of atoms and `and`/`or` between them, an atom
/// being one comparison or a parenthesized list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    /// A list (the whole marker, or a parenthesized group).
    List(Vec<Node>),
    /// One comparison, serialized, ex) `python_version >= "3"`.
    Item(String),
    /// `and` / `or`.
    Logical(&'static str),
}

/// The variables whose values are sets of names (`"Foo" in extras`), normalized as extras are.
const SET_VARIABLES: [&str; 2] = ["extras", "dependency_groups"];

/// `name` PEP 503 normalized, as `canonicalize_name`.
fn canonical(name: &str) -> String {
    let mut out = String::new();
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// A marker value as packaging serializes it: in double quotes, or single quotes when it holds
/// a double one (`None` when it holds both, which packaging refuses).
fn quoted(value: &str) -> Option<String> {
    if !value.contains('"') {
        Some(format!("\"{value}\""))
    } else if !value.contains('\'') {
        Some(format!("'{value}'"))
    } else {
        None
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    /// `marker = atom (logical atom)*`
    fn marker(&mut self) -> Option<Vec<Node>> {
        let mut nodes = vec![self.atom()?];
        while let Some(Token::Logical(logical)) = self.peek() {
            let logical = *logical;
            self.at += 1;
            nodes.push(Node::Logical(logical));
            nodes.push(self.atom()?);
        }
        Some(nodes)
    }

    /// `atom = "(" marker ")" | variable operator variable`
    fn atom(&mut self) -> Option<Node> {
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.marker()?;
            if self.next()? != Token::Close {
                return None;
            }
            return Some(Node::List(inner));
        }
        let left = self.next()?;
        let Token::Operator(operator) = self.next()? else {
            return None;
        };
        let right = self.next()?;
        let variable = |token: &Token| match token {
            Token::Variable(name) if name == "python_implementation" => {
                Some("platform_python_implementation".to_string())
            }
            Token::Variable(name) => Some(name.clone()),
            _ => None,
        };
        let (left, right) = match (&left, &right) {
            (Token::Variable(_), Token::Value(value)) => {
                let name = variable(&left)?;
                let value = if name == "extra" {
                    canonical(value)
                } else {
                    value.clone()
                };
                (name, quoted(&value)?)
            }
            (Token::Value(value), Token::Variable(_)) => {
                let name = variable(&right)?;
                let value = if name == "extra" || SET_VARIABLES.contains(&name.as_str()) {
                    canonical(value)
                } else {
                    value.clone()
                };
                (quoted(&value)?, name)
            }
            (Token::Variable(_), Token::Variable(_)) => (variable(&left)?, variable(&right)?),
            (Token::Value(a), Token::Value(b)) => (quoted(a)?, quoted(b)?),
            _ => return None,
        };
        Some(Node::Item(format!("{left} {operator} {right}")))
    }
}

/// packaging's `_format_marker` (26.3): a list of one list or comparison is that element, in
/// the same position; a group that is not the whole marker is in parentheses.
fn format(node: &Node, first: bool) -> String {
    match node {
        Node::List(nodes)
            if nodes.len() == 1 && matches!(nodes[0], Node::List(_) | Node::Item(_)) =>
        {
            format(&nodes[0], first)
        }
        Node::List(nodes) => {
            let inner: Vec<String> = nodes.iter().map(|n| format(n, false)).collect();
            if first {
                inner.join(" ")
            } else {
                format!("({})", inner.join(" "))
            }
        }
        Node::Item(text) => text.clone(),
        Node::Logical(logical) => (*logical).to_string(),
    }
}

/// `str(Marker(text))`.
fn marker(text: &str) -> Option<String> {
    let mut parser = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let nodes = parser.marker()?;
    if parser.at != parser.tokens.len() {
        return None;
    }
    Some(format(&Node::List(nodes), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each pair: a `Requires-Dist` and what `str(Requirement(…))` of pip 26.3's vendored
    /// packaging 26.3 gives for it (taken from that Python).
    #[test]
    fn requirements_as_packaging_writes_them() {
        for (text, packaging) in [
            ("six>=2", "six>=2"),
            ("Six (>= 2, <3)", "Six<3,>=2"),
            ("numpy>=1.0.0-beta1", "numpy>=1.0.0-beta1"),
            ("a >=2 , >=2,!=2.5", "a!=2.5,>=2"),
            ("pytz[extra]<2000", "pytz[extra]<2000"),
            ("x[b, A ,a]", "x[A,a,b]"),
            (
                "Python-DateUtil; python_version>='3'",
                "Python-DateUtil; python_version >= \"3\"",
            ),
            (
                "b; (python_version < '3.8') and extra == 'Test_X'",
                "b; python_version < \"3.8\" and extra == \"test-x\"",
            ),
            (
                "c; (os_name=='nt' or os_name=='posix') and python_implementation=='CPython'",
                "c; (os_name == \"nt\" or os_name == \"posix\") and platform_python_implementation == \"CPython\"",
            ),
            (
                "d ; ((python_version<'3' or sys_platform=='win32'))",
                "d; python_version < \"3\" or sys_platform == \"win32\"",
            ),
            (
                "e; 'linux' not  in sys_platform and \"Foo\" in extras",
                "e; \"linux\" not in sys_platform and \"foo\" in extras",
            ),
            (
                "pkg @ https://example.org/pkg-1.0.tar.gz ; python_version>'3'",
                "pkg @ https://example.org/pkg-1.0.tar.gz ; python_version > \"3\"",
            ),
            ("pkg@ file:///x/y.whl", "pkg @ file:///x/y.whl"),
            (
                "h; (python_version > '3') and ((os_name == 'nt') or (os_name == 'posix' and extra == 'a'))",
                "h; python_version > \"3\" and (os_name == \"nt\" or (os_name == \"posix\" and extra == \"a\"))",
            ),
            (
                "i; python_version > '3' and (os_name == 'nt')",
                "i; python_version > \"3\" and os_name == \"nt\"",
            ),
            ("j ; os.name == 'nt'", "j; os_name == \"nt\""),
            ("f===1.0", "f===1.0"),
            ("g ~= 1.4.5, == 1.4.*", "g==1.4.*,~=1.4.5"),
        ] {
            assert_eq!(
                packaging_requirement(text).as_deref(),
                Some(packaging),
                "{text}"
            );
        }
    }

    #[test]
    fn err_what_is_not_understood_is_none() {
        for text in [
            "",
            ">=1",
            "a[b",
            "a; python_version",
            "a; (x == '1'",
            "a >= 1 2",
        ] {
            assert_eq!(packaging_requirement(text), None, "{text}");
        }
    }
}
