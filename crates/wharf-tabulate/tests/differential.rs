//! Differential tests against the reference: python-tabulate 0.10.0 itself.
//!
//! Needs a Python with tabulate 0.10.0 in `WHARF_TEST_PYTHON` (`eval "$(scripts/test-env.sh)"`).
//! Random tables (fixed seeds) are drawn from pools of values that exercise tabulate's
//! rules; each test sends all its tables to ONE Python process as JSON and compares every
//! format's output byte for byte.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::{Command, Stdio};

use wharf_tabulate::{TableFormat, tabulate};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'p, T>(&mut self, pool: &'p [T]) -> &'p T {
        &pool[self.below(pool.len())]
    }
}

#[derive(Debug, Clone)]
struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
}

/// What avail_wheels prints, and the values the brief calls tricky.
const TEXT: &[&str] = &[
    "numpy",
    "1.23.0",
    "computecanada",
    "cp310",
    "py2,py3",
    "linux_x86_64",
    "x86-64-v3",
    "1, ",
    "é",
    "<&>",
    "\\",
    "{",
    "a|b",
    "x y",
    "%$#_^~&",
    "'\"",
    "generic",
    "avx2",
    "True",
    "False",
    "cp39, cp310, ",
    "torch_cpu",
    "2.0.1+computecanada",
    "naïve",
    "日本",
    "e\u{301}",
    "~",
];
const INTS: &[&str] = &[
    "1",
    "-1",
    " 2 ",
    "1_000",
    "1,000",
    "0",
    "+3",
    "007",
    "123456789",
    "\u{663}",
    "10",
    "-0",
    "12,345,678",
    "1\u{a0}",
    "99999999999999999999",
];
const FLOATS: &[&str] = &[
    "6.0",
    "1e5",
    "inf",
    "0.10",
    "1.5",
    "-0.0",
    "nan",
    "NaN",
    "-inf",
    "1e-5",
    "12345678.9",
    "3.14159265",
    "1,000.5",
    ".5",
    "1.",
    "2.50",
    "1E3",
    "0.0001",
    "1234565",
    "1e16",
    " 6.0 ",
    "1_0.0_1",
    "-1.25",
    "100.125",
];
const MISSING: &[Option<&str>] = &[None, Some(""), None];
const HEADERS: &[&str] = &[
    "name",
    "version",
    "interpreter",
    "arch",
    "localversion",
    "",
    " ",
    "é",
    "1",
    "6.0",
    "<&>",
    "a|b",
    "n_a{m}e",
    "a very long header name",
    "x",
    "  padded  ",
    "日本語",
];

/// Values that most tables never hold but tabulate still handles: separators, line
/// breaks, ANSI codes, odd whitespace, number look-alikes.
const EXOTIC: &[&str] = &[
    "\x01",
    " \x01 ",
    "a\nb",
    "line1\r\nline2",
    "\n",
    "x\r",
    "1\n",
    "a\x0bb",
    "\x1c1",
    "\u{85}x\u{85}",
    "\x1b[31mred\x1b[0m",
    "\x1b[1m42\x1b[0m",
    "\x1b[31m007\x1b[0m",
    "\x1b[32m1.50\x1b[0m",
    "\x1b]8;;https://x.org\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[0m",
    "\t",
    "+inf",
    " inf",
    "infinity",
    "1e400",
    "-nan",
    "1__0",
    "_1",
    "1_",
    "0x10",
    "1,0000",
    "1,00",
    "+.5",
    "1.2.3",
    "٣.٥",
    "\u{3000}4\u{3000}",
    "\x1b[31m1,000.5\x1b[0m",
    "a\u{2028}b",
];

fn value(rng: &mut Rng, kind: usize) -> Option<String> {
    if rng.chance(15) {
        return rng.pick(MISSING).map(str::to_owned);
    }
    let pool = match kind {
        0 => TEXT,
        1 => INTS,
        2 => FLOATS,
        _ => {
            return Some(match rng.below(4) {
                0 => rng.pick(TEXT),
                1 => rng.pick(INTS),
                _ => rng.pick(FLOATS),
            })
            .map(|s| (*s).to_owned());
        }
    };
    // Now and then a column's odd one out.
    let pool = if rng.chance(4) { TEXT } else { pool };
    Some((*rng.pick(pool)).to_owned())
}

fn random_table(rng: &mut Rng, exotic: bool) -> Table {
    let ncols = 1 + rng.below(8);
    let nrows = match rng.below(20) {
        0 | 1 => 0,
        2 | 3 => 1,
        4 => 20 + rng.below(30),
        _ => 2 + rng.below(8),
    };
    let kinds: Vec<usize> = (0..ncols).map(|_| rng.below(5)).collect();
    let ragged = rng.chance(8);
    let rows = (0..nrows)
        .map(|_| {
            let len = if ragged { rng.below(ncols + 2) } else { ncols };
            (0..len)
                .map(|c| {
                    if exotic && rng.chance(12) {
                        Some((*rng.pick(EXOTIC)).to_owned())
                    } else {
                        value(rng, kinds.get(c).copied().unwrap_or(4))
                    }
                })
                .collect()
        })
        .collect();
    let headers = if rng.chance(15) {
        Vec::new()
    } else {
        let count = if rng.chance(10) {
            rng.below(ncols + 3)
        } else {
            ncols
        };
        (0..count)
            .map(|_| {
                if exotic && rng.chance(10) {
                    (*rng.pick(EXOTIC)).to_owned()
                } else {
                    (*rng.pick(HEADERS)).to_owned()
                }
            })
            .collect()
    };
    Table { headers, rows }
}

/// The tables that the pools alone rarely produce.
fn fixed_tables() -> Vec<Table> {
    let s = |v: &[Option<&str>]| v.iter().map(|c| c.map(str::to_owned)).collect::<Vec<_>>();
    let t = |headers: &[&str], rows: Vec<Vec<Option<String>>>| Table {
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    };
    vec![
        // The table of `tests/formats.rs`.
        t(
            &["name", "version", "n", "tags"],
            vec![
                s(&[Some("numpy"), Some("1.23.0"), Some("6.0"), Some("cp310")]),
                s(&[Some("<sci&py>"), None, Some("10"), Some("py2,py3")]),
                s(&[Some("tex_{x}~"), Some("2.0"), Some("0.25"), Some("")]),
            ],
        ),
        t(&[], vec![]),
        t(&["name", "version"], vec![]),
        t(&["only"], vec![]),
        t(&[], vec![s(&[])]),
        t(&["a"], vec![s(&[]), s(&[])]),
        t(&[], vec![s(&[None, None])]),
        t(&["a", "b"], vec![s(&[None, Some("")])]),
        t(&["x"], vec![s(&[Some("6.0")]), s(&[Some("1.23.0")])]),
        t(&["x"], vec![s(&[Some("6.0")]), s(&[Some("2.0")])]),
        t(&["a", "b"], vec![s(&[Some("1"), Some("2"), Some("3")])]),
        t(&["a", "b", "c", "d"], vec![s(&[Some("1")])]),
        t(
            &["a"],
            vec![s(&[Some("1")]), s(&[Some("2"), Some("3"), Some("4")])],
        ),
        t(
            &["a", "b"],
            vec![s(&[Some("x"), Some("\x01")]), s(&[Some("1"), Some("2")])],
        ),
        t(
            &["a", "b"],
            vec![s(&[Some("1"), Some("2")]), s(&[Some("\x01")])],
        ),
        t(
            &["a"],
            vec![s(&[Some("\x01")]), s(&[Some("\x01")]), s(&[Some("1")])],
        ),
        t(&[], vec![s(&[Some("a\nb"), None]), s(&[None, None])]),
        t(&["h\r\nx"], vec![s(&[Some("1.5\n")])]),
    ]
}

fn reference_python() -> Option<String> {
    wharf_test_support::real_python().map(|p| p.display().to_string())
}

/// What `tests/reference/tabulate_batch.py` prints.
#[derive(serde::Deserialize)]
struct Reply {
    tabulate_formats: Vec<String>,
    results: Vec<BTreeMap<String, String>>,
}

/// Renders every table in every format with the reference, in one Python process.
fn reference_outputs(python: &str, tables: &[Table]) -> Vec<BTreeMap<String, String>> {
    let formats: Vec<&str> = TableFormat::ALL.iter().map(|f| f.as_str()).collect();
    let input: Vec<serde_json::Value> = tables
        .iter()
        .map(|t| serde_json::json!({"headers": t.headers, "rows": t.rows, "formats": formats}))
        .collect();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/tabulate_batch.py"
    );
    let mut command = Command::new(python);
    command.arg(script).env_clear();
    for kept in ["PATH", "HOME", "LANG"] {
        if let Some(value) = std::env::var_os(kept) {
            command.env(kept, value);
        }
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run the reference Python `{python}`: {error}"));
    let payload = serde_json::to_vec(&input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&payload));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        output.status.success(),
        "reference Python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reply: Reply = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        reply.tabulate_formats, formats,
        "TableFormat::ALL != tabulate_formats"
    );
    assert_eq!(reply.results.len(), tables.len());
    reply.results
}

/// Compares every format of every table; returns how many tables were compared.
fn compare(tables: &[Table]) -> Option<usize> {
    let python = reference_python()?;
    let started = std::time::Instant::now();
    let expected = reference_outputs(&python, tables);
    eprintln!("reference took {:?}", started.elapsed());
    let mut failures = Vec::new();
    let mut compared = 0;
    for (table, expected) in tables.iter().zip(&expected) {
        for format in TableFormat::ALL {
            let want = &expected[format.as_str()];
            if want.starts_with("<error: ") {
                // tabulate raises only for a rules-between-rows table of separators alone;
                // wharf prints it instead (documented on `tabulate`).
                assert_eq!(want, "<error: IndexError>", "{table:?} {format}");
                assert!(table.rows.iter().all(|r| {
                    r.iter()
                        .take(2)
                        .any(|c| c.as_deref().is_some_and(|c| c.trim() == "\x01"))
                }));
                continue;
            }
            compared += 1;
            let got = tabulate(&table.headers, &table.rows, format);
            if &got != want {
                failures.push(format!(
                    "format {format}\nheaders {:?}\nrows {:?}\n--- tabulate\n{want}\n--- wharf\n{got}\n",
                    table.headers, table.rows
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} renderings differ; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(4)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("{} tables, {compared} renderings identical", tables.len());
    Some(tables.len())
}

#[test]
fn identical_to_tabulate_on_avail_wheels_like_tables() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tables = fixed_tables();
    tables.extend((0..500).map(|_| random_table(&mut rng, false)));
    compare(&tables);
}

#[test]
fn identical_to_tabulate_on_exotic_cells() {
    let mut rng = Rng(0xd1b5_4a32_d192_ed03);
    let tables: Vec<Table> = (0..500).map(|_| random_table(&mut rng, true)).collect();
    compare(&tables);
}

/// Pieces that random cells are strung together from: number syntax, whitespace of
/// every kind, codes, line breaks, the separator marker.
const TOKENS: &[&str] = &[
    "0", "1", "5", "9", "00", ".", ",", "e", "E", "-", "+", "_", " ", "\t", "\u{a0}", "\u{3000}",
    "\u{663}", "\u{ff15}", "inf", "nan", "x", "True", "\x1b[31m", "\x1b[0m", "\n", "\r\n", "\x01",
    "\x1c", "é", "|", "&", "1,000", "123456", "0.000",
];

/// A random number as text: digits, maybe a point, maybe an exponent, maybe a sign.
fn random_number(rng: &mut Rng) -> String {
    let mut s = String::new();
    match rng.below(6) {
        0 => s.push('-'),
        1 => s.push('+'),
        _ => {}
    }
    let digits = 1 + rng.below(12);
    let point = rng.below(digits + 3);
    for i in 0..digits {
        if i == point {
            s.push('.');
        }
        let digit = if rng.chance(30) { 0 } else { rng.below(10) };
        s.push(char::from(b'0' + u8::try_from(digit).unwrap()));
    }
    if rng.chance(15) {
        s.push(*rng.pick(&['e', 'E']));
        if rng.chance(50) {
            s.push('-');
        }
        s.push_str(&rng.below(400).to_string());
    }
    s
}

fn random_token_table(rng: &mut Rng) -> Table {
    let ncols = 1 + rng.below(4);
    let nrows = rng.below(8);
    let cell = |rng: &mut Rng, numeric: bool| -> Option<String> {
        if rng.chance(8) {
            return None;
        }
        if numeric && rng.chance(85) {
            return Some(random_number(rng));
        }
        let count = rng.below(5);
        Some((0..count).map(|_| *rng.pick(TOKENS)).collect())
    };
    let numeric: Vec<bool> = (0..ncols).map(|_| rng.chance(60)).collect();
    let rows = (0..nrows)
        .map(|_| (0..ncols).map(|c| cell(rng, numeric[c])).collect())
        .collect();
    let headers = if rng.chance(20) {
        Vec::new()
    } else {
        (0..ncols)
            .map(|_| cell(rng, false).unwrap_or_default())
            .collect()
    };
    Table { headers, rows }
}

/// Tables aimed at the paths random tables reach rarely.
fn exotic_fixed_tables() -> Vec<Table> {
    let table = |headers: &[&str], rows: &[&[Option<&str>]]| Table {
        headers: headers.iter().map(|h| (*h).to_owned()).collect(),
        rows: rows
            .iter()
            .map(|row| row.iter().map(|c| c.map(str::to_owned)).collect())
            .collect(),
    };
    vec![
        // A coloured integer: leading zeros go, text before the colour goes.
        table(&["n"], &[&[Some(" \x1b[31m007\x1b[0m")], &[Some("12")]]),
        // Coloured floats, and a thousands separator that `float()` then refuses.
        table(
            &["f"],
            &[
                &[Some("\x1b[32m1.50\x1b[0m")],
                &[Some("1,000.5")],
                &[Some("2")],
            ],
        ),
        // A hyperlink split over two cells still counts as a code.
        table(
            &["a", "b"],
            &[
                &[Some("\x1b]8;;http://x"), Some("y\x1b\\t\x1b]8;;\x1b\\")],
                &[Some("1,000.5"), Some("1")],
            ],
        ),
        // Separating lines first, last, doubled, alone.
        table(
            &["a", "b"],
            &[
                &[Some("\x01")],
                &[Some("1"), Some("x")],
                &[Some("\x01")],
                &[Some("\x01")],
            ],
        ),
        table(
            &[],
            &[
                &[Some("x"), Some(" \x01 ")],
                &[Some("2"), Some("y")],
                &[Some("\x01")],
            ],
        ),
        table(&["h"], &[&[Some("\x01")], &[Some("\x01")]]),
        // Multi-line cells: blank rows vanish, `\r\n` and `\x0b` split differently.
        table(
            &["a\nb", "c"],
            &[
                &[Some("1\n2"), None],
                &[None, Some("")],
                &[Some("x\r\ny"), Some("a\x0bbb")],
            ],
        ),
        table(&["n"], &[&[Some("1.5\n")], &[Some("22")], &[Some("\n")]]),
        table(
            &["a", "b"],
            &[
                &[Some("\x1b[31mred\nline\x1b[0m"), Some("1\r\n2")],
                &[Some("x"), Some("3.25")],
            ],
        ),
        // rst: a blank first cell becomes `..`, even a line break.
        table(
            &["", "b"],
            &[
                &[Some(" "), Some("1")],
                &[Some("\n"), Some("2")],
                &[None, Some("3")],
            ],
        ),
        // `True`/`False` beside numbers.
        table(
            &["b", "n"],
            &[
                &[Some("True"), Some("1")],
                &[Some("False"), Some("2.5")],
                &[Some("1"), Some("True")],
            ],
        ),
        // Numbers `format(x, "g")` rounds.
        table(
            &["g"],
            &[
                &[Some("1234565")],
                &[Some("999999.5")],
                &[Some("0.00001234565")],
                &[Some("1e22")],
                &[Some("5e-324")],
            ],
        ),
    ]
}

#[test]
fn identical_to_tabulate_on_random_characters() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut tables = exotic_fixed_tables();
    tables.extend((0..600).map(|_| random_token_table(&mut rng)));
    compare(&tables);
}

/// The comparison itself must be able to fail: a wrong rendering is caught.
#[test]
fn a_difference_is_reported() {
    let Some(python) = reference_python() else {
        return;
    };
    let table = Table {
        headers: vec!["v".to_owned()],
        rows: vec![vec![Some("6.0".to_owned())]],
    };
    let expected = reference_outputs(&python, std::slice::from_ref(&table));
    assert_eq!(expected[0]["plain"], "  v\n  6");
    assert_ne!(expected[0]["plain"], "v\n6.0");
}
