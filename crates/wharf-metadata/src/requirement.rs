//! One safe way to parse a PEP 508 requirement: [`parse_requirement`].
//!
//! `pep508_rs` 0.9.2 (the newest release) panics on some inputs instead of returning an
//! error: its name scan stops at the first character outside `[A-Za-z0-9._-]` and hands the
//! name to `PackageName::new`, which rejects a trailing `-`, `_` or `.` the scan let through
//! (`a_;`, `a_[`, `a-é`, `numpy_é`: "`PackageName` validation should match PEP 508
//! parsing"). Extras have the same flaw (`a[b_]`). Its error `Display` slices by byte and can
//! panic on a non-ASCII character, and `${PROJECT_ROOT}` expansion unwraps the current
//! directory.
//!
//! [`parse_requirement`] therefore
//! 1. scans the name and extras the way the parser will and rejects an identifier that ends
//!    in a separator before the parser sees it ([`first_invalid_identifier`]);
//! 2. rejects what else it panics on: a non-ASCII character after the first `;` (the marker
//!    scan slices by a character count), `'…' ~= <string key>` (its marker algebra reaches
//!    `unreachable!` holding a global lock, so every later marker panics too), and
//!    `${PROJECT_ROOT}` when neither the variable nor the current directory exists;
//! 3. renders the parser's error itself, never through `Pep508Error`'s `Display`;
//! 4. as a last guard, runs the parser under [`std::panic::catch_unwind`]; while it runs,
//!    [`panic_is_guarded`] is true so that a process-wide panic hook can stay silent.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::str::FromStr;

use pep508_rs::{MarkerTree, Pep508Error, Pep508Url, Requirement};

/// A requirement that is not valid PEP 508.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}\n{input}\n{}{}", " ".repeat(*underline_start), "^".repeat(*underline_len))]
pub struct RequirementError {
    /// What is wrong, ex) "Package name must end with an alphanumeric character, not `_`".
    pub message: String,
    /// The requirement text.
    pub input: String,
    /// Column (in characters) where the problem starts.
    underline_start: usize,
    /// Width (in characters, at least 1) of the problem.
    underline_len: usize,
}

impl RequirementError {
    /// An error at byte span `start..start + len` of `input`; a span that is out of range or
    /// cuts a character is clamped, never a panic.
    fn new(message: String, input: &str, start: usize, len: usize) -> Self {
        let start = floor_char_boundary(input, start);
        let end = floor_char_boundary(input, start.saturating_add(len)).max(start);
        Self {
            message,
            input: input.to_string(),
            underline_start: input[..start].chars().count(),
            underline_len: input[start..end].chars().count().max(1),
        }
    }
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

thread_local! {
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Whether this thread is inside [`parse_requirement`]'s guarded call to the parser, where a
/// panic is caught and turned into an error (a panic hook should then print nothing).
pub fn panic_is_guarded() -> bool {
    GUARDED.with(Cell::get) > 0
}

/// Parses a PEP 508 requirement without panicking on any input. Use this instead of
/// `Requirement::from_str` everywhere (see the module docs for why).
///
/// Errors: [`RequirementError`], with the parser's message or one of ours for the inputs it
/// would panic on.
pub fn parse_requirement<T: Pep508Url>(text: &str) -> Result<Requirement<T>, RequirementError> {
    if let Some((message, start, len)) = first_invalid_identifier(text) {
        return Err(RequirementError::new(message, text, start, len));
    }
    let before_marker = &text[..text.find(';').unwrap_or(text.len())];
    if let Some((start, len)) = huge_number(before_marker) {
        return Err(huge_number_error(text, start, len));
    }
    if let Some(semicolon) = text.find(';')
        && let Some(error) = unsafe_marker(text, semicolon)
    {
        return Err(error);
    }
    guarded(text, Requirement::<T>::from_str)
}

/// Parses a PEP 508 marker expression (what follows `;`) without panicking on any input.
///
/// Errors: [`RequirementError`].
pub fn parse_marker(text: &str) -> Result<MarkerTree, RequirementError> {
    if let Some(error) = unsafe_marker(text, 0) {
        return Err(error);
    }
    guarded(text, MarkerTree::from_str)
}

/// The inputs pep508_rs panics on in the marker part of `text`, which starts at `start`.
fn unsafe_marker(text: &str, start: usize) -> Option<RequirementError> {
    if let Some((start, len)) = huge_number(&text[start..]).map(|(at, len)| (start + at, len)) {
        return Some(huge_number_error(text, start, len));
    }
    if let Some((offset, character)) = text[start..].char_indices().find(|(_, c)| !c.is_ascii()) {
        let message = format!("markers are ASCII (PEP 508), found `{character}`");
        let start = start + offset;
        return Some(RequirementError::new(
            message,
            text,
            start,
            character.len_utf8(),
        ));
    }
    if let Some(start) = string_tilde_equal(text) {
        let message = "`~=` compares versions, not strings".to_string();
        return Some(RequirementError::new(message, text, start, 2));
    }
    None
}

/// Runs a pep508_rs parser with the remaining checks and the panic guard.
fn guarded<V, T: Pep508Url>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<V, Pep508Error<T>>,
) -> Result<V, RequirementError> {
    if let Some(start) = text.find("${PROJECT_ROOT}")
        && std::env::var_os("PROJECT_ROOT").is_none()
        && std::env::current_dir().is_err()
    {
        let message = "`${PROJECT_ROOT}` cannot be expanded: the current directory does not exist"
            .to_string();
        return Err(RequirementError::new(message, text, start, 15));
    }
    GUARDED.with(|guarded| guarded.set(guarded.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(|| parse(text)));
    GUARDED.with(|guarded| guarded.set(guarded.get() - 1));
    match result {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(RequirementError::new(
            error.message.to_string(),
            text,
            error.start,
            error.len,
        )),
        Err(payload) => {
            let reason = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(RequirementError::new(
                format!("the PEP 508 parser failed on this input ({reason})"),
                text,
                0,
                text.len(),
            ))
        }
    }
}

/// The parser's name and extras scan, replayed: the first identifier that the parser would
/// accept but `PackageName::new` / `ExtraName::new` would reject, as (message, byte start,
/// byte length). `None` when the parser will decide by itself (valid, or its own error).
///
/// The rule: after leading whitespace, a name is an ASCII letter or digit followed by
/// `[A-Za-z0-9._-]*`; if anything follows it (a delimiter, a space, a non-ASCII character),
/// it must not end in `-`, `_` or `.`. The same for each extra inside `[...]`.
pub fn first_invalid_identifier(text: &str) -> Option<(String, usize, usize)> {
    let is_identifier = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut chars = text.char_indices().peekable();
    let skip_whitespace = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    };
    // Scans one identifier whose first character was taken; returns its last character.
    let scan = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, first| {
        let mut last = first;
        while let Some(next) = chars.next_if(|&(_, c)| is_identifier(c)) {
            last = next;
        }
        last
    };
    skip_whitespace(&mut chars);
    let first = chars.next_if(|(_, c)| c.is_ascii_alphanumeric())?;
    let (last_index, last) = scan(&mut chars, first);
    chars.peek()?; // at the end, the parser reports a trailing separator itself
    if matches!(last, '-' | '_' | '.') {
        return Some((
            format!("Package name must end with an alphanumeric character, not `{last}`"),
            last_index,
            1,
        ));
    }
    skip_whitespace(&mut chars);
    chars.next_if(|&(_, c)| c == '[')?;
    skip_whitespace(&mut chars);
    let mut first_extra = true;
    loop {
        match chars.peek() {
            Some((_, ']')) => return None,
            Some((_, ',')) if !first_extra => {
                chars.next();
            }
            Some(_) if !first_extra => return None,
            _ => {}
        }
        skip_whitespace(&mut chars);
        let first = chars.next_if(|(_, c)| c.is_ascii_alphanumeric())?;
        let (last_index, last) = scan(&mut chars, first);
        if chars
            .peek()
            .is_some_and(|&(_, c)| c != ',' && c != ']' && !c.is_whitespace())
        {
            return None;
        }
        if matches!(last, '-' | '_' | '.') {
            return Some((
                format!("Extra name must end with an alphanumeric character, not `{last}`"),
                last_index,
                1,
            ));
        }
        skip_whitespace(&mut chars);
        first_extra = false;
    }
}

/// The longest run of digits accepted: 18, so that a version part plus one fits a `u64`.
const MAX_DIGITS: usize = 18;

/// The first run of more than [`MAX_DIGITS`] digits outside a URL (`@` to the next space), as
/// (byte start, byte length).
fn huge_number(text: &str) -> Option<(usize, usize)> {
    #[derive(PartialEq)]
    enum Url {
        Outside,
        /// After `@`, before the URL's first character.
        Before,
        Inside,
    }
    let mut url = Url::Outside;
    let mut run: Option<usize> = None;
    for (index, character) in text.char_indices().chain([(text.len(), ' ')]) {
        if url == Url::Before && !character.is_whitespace() {
            url = Url::Inside;
        }
        if character.is_ascii_digit() && url == Url::Outside {
            run.get_or_insert(index);
            continue;
        }
        if let Some(start) = run.take()
            && index - start > MAX_DIGITS
        {
            return Some((start, index - start));
        }
        if character == '@' && url == Url::Outside {
            url = Url::Before;
        } else if character.is_whitespace() && url == Url::Inside {
            url = Url::Outside;
        }
    }
    None
}

fn huge_number_error(text: &str, start: usize, len: usize) -> RequirementError {
    let message = format!("a version number has more than {MAX_DIGITS} digits");
    RequirementError::new(message, text, start, len)
}

/// The marker keys whose values are strings, not versions.
const STRING_KEYS: [&str; 14] = [
    "implementation_name",
    "os_name",
    "os.name",
    "platform_machine",
    "platform.machine",
    "platform_python_implementation",
    "platform.python_implementation",
    "python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform.version",
    "sys_platform",
    "sys.platform",
];

/// The byte offset of a `'…' ~= <string key>` marker comparison, ex) `'x' ~= sys_platform`,
/// which pep508_rs 0.9.2 lets through to its marker algebra, where it panics while holding a
/// global lock (every later marker then panics too). Over-approximates: any `~=` after a
/// quote and before a string key is reported, wherever it is.
fn string_tilde_equal(text: &str) -> Option<usize> {
    let is_operator = |c: char| matches!(c, '<' | '=' | '>' | '~' | '!');
    text.match_indices("~=")
        .map(|(index, _)| index)
        .find(|&index| {
            let before = &text[..index];
            let after = &text[index + 2..];
            if before.ends_with(is_operator) || after.starts_with(is_operator) {
                return false;
            }
            if !before.trim_end().ends_with(['\'', '"']) {
                return false;
            }
            let after = after.trim_start();
            let end = after
                .find(|c: char| c.is_whitespace() || is_operator(c) || c == ')')
                .unwrap_or(after.len());
            STRING_KEYS.contains(&&after[..end])
        })
}

#[cfg(test)]
mod tests {
    use pep508_rs::VerbatimUrl;

    use super::*;

    fn parse(text: &str) -> Result<Requirement, RequirementError> {
        parse_requirement::<VerbatimUrl>(text)
    }

    /// Regression (no-panic issue): each of these panicked inside pep508_rs 0.9.2.
    #[test]
    fn err_trailing_separator_before_a_delimiter() {
        for text in [
            "a_;",
            "a_[",
            "a-é",
            "numpy_é",
            "a.(",
            "a- ",
            "a_>=1",
            "a[b_]",
            "a[b-,c]",
            "a[b.",
            "a[b_ ]",
            "a [ b , c_ ]",
            " a_@x",
        ] {
            let error = parse(text).unwrap_err();
            assert!(
                error
                    .message
                    .contains("must end with an alphanumeric character"),
                "{text}: {error}"
            );
        }
    }

    /// Regression (no-panic issue): panicked in the marker algebra and poisoned its lock.
    #[test]
    fn err_string_tilde_equal() {
        insta::assert_snapshot!(parse("a ; 'x' ~= sys_platform").unwrap_err(), @r"
        `~=` compares versions, not strings
        a ; 'x' ~= sys_platform
                ^^
        ");
        for text in [
            "a;'x'~=os.name",
            "a ; \"1\" ~=  platform_release and extra == 'x'",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        parse("a ; '3.8' ~= python_version").unwrap();
        parse("a ; python_version ~= '3.8'").unwrap();
    }

    /// Regression (no-panic issue): `+ 1` on a `u64` version part overflowed in pep440_rs's
    /// ranges (a panic in debug builds, a wrong range in release builds).
    #[test]
    fn err_huge_version_number() {
        insta::assert_snapshot!(parse("a ; python_version == '18446744073709551615.*'").unwrap_err(), @r"
        a version number has more than 18 digits
        a ; python_version == '18446744073709551615.*'
                               ^^^^^^^^^^^^^^^^^^^^
        ");
        assert!(parse("a>1.dev1844674407370955161").is_err());
        parse("a==2024.1.999999999999999999").unwrap();
        parse("a @ https://example.org/a.whl#sha256=12345678901234567890123").unwrap();
    }

    #[test]
    fn markers_alone() {
        parse_marker("python_version >= '3.8' and sys_platform == 'linux'").unwrap();
        assert!(parse_marker("'x' ~= sys_platform").is_err());
        assert!(parse_marker("python_version == ''é").is_err());
        assert!(parse_marker("python_version >>> '3'").is_err());
    }

    /// Regression (no-panic issue): the marker scan sliced `é` in half.
    #[test]
    fn err_non_ascii_marker() {
        insta::assert_snapshot!(parse("0 ; python_version == ''é").unwrap_err(), @r"
        markers are ASCII (PEP 508), found `é`
        0 ; python_version == ''é
                                ^
        ");
    }

    #[test]
    fn err_trailing_separator_message() {
        insta::assert_snapshot!(parse("numpy_é").unwrap_err(), @r"
        Package name must end with an alphanumeric character, not `_`
        numpy_é
             ^
        ");
        insta::assert_snapshot!(parse("a[b_]").unwrap_err(), @r"
        Extra name must end with an alphanumeric character, not `_`
        a[b_]
           ^
        ");
    }

    /// The parser's own error for a trailing separator at the end still comes through.
    #[test]
    fn err_trailing_separator_at_the_end() {
        insta::assert_snapshot!(parse("a_").unwrap_err(), @r"
        Package name must end with an alphanumeric character, not '_'
        a_
         ^
        ");
    }

    /// pep508_rs underlines one byte of a multi-byte character here and its `Display` panics.
    #[test]
    fn err_non_ascii_after_an_extra() {
        insta::assert_snapshot!(parse("a[b é]").unwrap_err(), @r"
        Expected either `,` (separating extras) or `]` (ending the extras section), found `é`
        a[b é]
            ^
        ");
    }

    #[test]
    fn valid_requirements_parse() {
        for text in [
            "numpy",
            "numpy>=1.26",
            " a-b.c_d [x, y-z] >= 1.0 ; python_version >= '3.8'",
            "a[]",
            "a @ https://example.org/a-1.0-py3-none-any.whl",
            "a_b;python_version<'4'",
        ] {
            let requirement = parse(text).unwrap();
            assert_eq!(parse(&requirement.to_string()).unwrap(), requirement);
        }
    }

    #[test]
    fn guard_is_released() {
        assert!(!panic_is_guarded());
        let _ = parse("a_;");
        let _ = parse("a");
        assert!(!panic_is_guarded());
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// Names near the grammar's edges: separators at the end, non-ASCII, empty.
        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                "[A-Za-z0-9][A-Za-z0-9._-]{0,8}",
                "[A-Za-z0-9._-]{0,4}[é_.-]",
                "[a-z]{1,3}[\u{e9}\u{4e2d}\u{1f600}][a-z]{0,2}",
                Just(String::new()),
            ]
        }

        fn extras() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                proptest::collection::vec(name(), 0..3)
                    .prop_map(|names| format!("[{}]", names.join(","))),
                "\\[[ a-z_.,é-]{0,6}\\]?",
            ]
        }

        fn version() -> impl Strategy<Value = String> {
            prop_oneof![
                Just(String::new()),
                "(==|>=|<=|~=|!=|<|>|===) ?[0-9]{1,3}(\\.[0-9*]{1,3}){0,3}(a1|rc2|\\.post1|\\.dev0|\\+local)?",
                "\\(?[<>=!~]{1,3}[0-9.*a-z+]{0,8}(, ?[<>=!~]{1,3}[0-9.*]{0,6})?\\)?",
                " ?@ ?(https?|file|git\\+https)://[a-z./_-]{0,12}",
                Just(" @ ${PROJECT_ROOT}/x".to_string()),
                Just(">=18446744073709551616".to_string()),
                "(==|>|~=|!=) ?[0-9]{1,20}\\.[0-9]{1,20}(\\.\\*|\\.dev[0-9]{17,20}|\\.post[0-9]{17,20})?",
            ]
        }

        fn marker() -> impl Strategy<Value = String> {
            let variable = prop_oneof![
                Just("python_version"),
                Just("python_full_version"),
                Just("sys_platform"),
                Just("platform_machine"),
                Just("extra"),
                Just("implementation_name"),
                Just("platform_release"),
            ];
            let operator = prop_oneof![
                Just("=="),
                Just("!="),
                Just(">="),
                Just("<"),
                Just("~="),
                Just("in"),
                Just("not in"),
                Just("==="),
                Just(">"),
                Just("<>"),
                Just("=<"),
            ];
            let value = prop_oneof![
                "[a-z0-9._*é-]{0,6}",
                "[0-9]{1,20}(\\.[0-9]{1,20})?(\\.\\*|\\.dev[0-9]{17,20})?"
            ];
            let atom = (variable, operator, value, any::<bool>()).prop_map(
                |(variable, operator, value, swapped)| {
                    if swapped {
                        format!("'{value}' {operator} {variable}")
                    } else {
                        format!("{variable} {operator} '{value}'")
                    }
                },
            );
            prop_oneof![
                Just(String::new()),
                proptest::collection::vec(atom, 1..4)
                    .prop_map(|atoms| { format!(" ; {}", atoms.join(" and ")) }),
                proptest::collection::vec("[a-z_]{1,8} ?[<>=!~]{1,3} ?'[^']{0,4}'", 1..3)
                    .prop_map(|atoms| format!(";{}", atoms.join(" or ("))),
            ]
        }

        fn near_grammar() -> impl Strategy<Value = String> {
            (
                " ?",
                name(),
                " ?",
                extras(),
                version(),
                marker(),
                "[ #;\\]\\[é]?",
            )
                .prop_map(|(lead, name, space, extras, version, marker, tail)| {
                    format!("{lead}{name}{space}{extras}{version}{marker}{tail}")
                })
        }

        proptest! {
            // 256 cases each keeps every property test of the workspace under 30 s in debug;
            // `PROPTEST_CASES=10000 cargo test` for a longer local run.
            #![proptest_config(ProptestConfig::with_cases(
                std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
            ))]

            /// Never panics on arbitrary text, and an accepted requirement round-trips.
            #[test]
            fn arbitrary_text_never_panics(text in any::<String>()) {
                check(&text)?;
            }

            /// Never panics near the grammar, and an accepted requirement round-trips.
            #[test]
            fn near_grammar_never_panics(text in near_grammar()) {
                check(&text)?;
            }
        }

        fn check(text: &str) -> Result<(), TestCaseError> {
            let parsed = parse_requirement::<VerbatimUrl>(text);
            let Ok(requirement) = parsed else {
                let error = parsed.unwrap_err();
                // A caught panic is a gap in the prevalidation, not a pass.
                prop_assert!(
                    !error.message.contains("parser failed"),
                    "{text:?}: {error}"
                );
                let _ = error.to_string();
                return Ok(());
            };
            prop_assert!(!requirement.name.as_ref().is_empty());
            let env = pep508_rs::MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
                implementation_name: "cpython",
                implementation_version: "3.12.4",
                os_name: "posix",
                platform_machine: "x86_64",
                platform_python_implementation: "CPython",
                platform_release: "6.1",
                platform_system: "Linux",
                platform_version: "#1",
                python_full_version: "3.12.4",
                python_version: "3.12",
                sys_platform: "linux",
            })
            .unwrap();
            let _ = requirement.evaluate_markers(&env, &[]);
            let printed = requirement.to_string();
            let reparsed = parse_requirement::<VerbatimUrl>(&printed);
            prop_assert!(reparsed.is_ok(), "{printed:?} from {text:?}: {reparsed:?}");
            // Printing simplifies markers (pep508_rs rewrites `python_version in ''`, and
            // `python_full_version < '0'` into `python_version < '0'`), so the round trip is
            // for the name, extras and version or URL; the printed marker must parse.
            let reparsed = reparsed.unwrap();
            prop_assert_eq!(&reparsed.name, &requirement.name);
            prop_assert_eq!(&reparsed.extras, &requirement.extras);
            prop_assert_eq!(&reparsed.version_or_url, &requirement.version_or_url);
            Ok(())
        }
    }
}
