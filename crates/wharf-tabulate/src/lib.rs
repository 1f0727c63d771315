//! python-tabulate 0.10.0, byte for byte, for tables of strings.
//!
//! `avail_wheels` prints its tables with `print(tabulate(rows, headers=columns,
//! tablefmt=FMT))` and default options; [`tabulate`] returns exactly that string (without
//! `print`'s newline) for every format in [`TableFormat::ALL`].
//!
//! tabulate's surprises, all reproduced here:
//! - **Strings are parsed as numbers.** A column whose non-empty cells all pass Python's
//!   `int()` is right-aligned; if they pass `float()` (or look like `1,234.5`) the column
//!   is a float column and *every* cell in it is reprinted with `format(x, "g")`: `6.0`
//!   prints as `6`, `1e5` as `100000`, `0.10` as `0.1`, `1_000` and `1,000` as `1000`
//!   (an integer column keeps its text). A version column holding only `2.0` and `6.0`
//!   thus shows `2` and `6`.
//! - Python's number grammar is wide: surrounding whitespace, `_` between digits, Unicode
//!   digits (`٣`), `inf`/`nan` (but not `+inf`, ` inf` or `infinity`, which stay text).
//! - Float columns line up on the decimal point by padding on the right; integer cells
//!   keep their own spaces (` 2 `), text cells are stripped (Python's `str.strip()`, which
//!   also strips `\x1c`–`\x1f`).
//! - Empty strings and `None` print empty and do not decide a column's type; a column of
//!   only those is text.
//! - Width is the number of code points (no `wcwidth`): `é` is one, a CJK character is
//!   one, a combining accent is one more.
//! - Headers name the *last* columns when there are fewer headers than cells in the first
//!   row; extra headers or extra cells beyond the padded headers are dropped.
//! - Rows are right-stripped in most formats (`tsv` loses trailing empty cells' tabs).
//! - `rst` writes `..` for a blank first cell; `pretty` parses no numbers and centres
//!   everything; `colon_grid` left-aligns every cell and, when there are rows, marks every
//!   column `:===`.
//! - A cell with `\r` or `\n` switches most plain-text formats to multi-line rows; a row
//!   whose first or second cell is `"\x01"` becomes a separating rule; ANSI colour codes
//!   and OSC 8 hyperlinks take no width.

#![deny(missing_docs)]

mod ansi;
mod format;
mod number;
mod pystr;
mod render;

pub use format::{TableFormat, UnknownTableFormatError};

/// Renders a table like python-tabulate 0.10.0's
/// `tabulate(rows, headers=headers, tablefmt=format)` with default options, where every
/// cell is a Python `str` (`Some`) or `None` (missing, printed empty).
///
/// - `headers`: the column names; an empty slice means no header row.
/// - `rows`: one slice of cells per row, e.g. `&[Vec<Option<String>>]` or
///   `&[&[Option<&str>]]`; rows may differ in length (short rows are padded with `None`).
///
/// The result has no trailing newline (Python's `print` adds one). A table with neither
/// headers nor rows is the empty string. Never fails.
///
/// One divergence: where tabulate itself raises (`IndexError` for a table in a
/// rules-between-rows format such as `grid` whose rows are *all* separating lines), this
/// prints the table as if it had not.
///
/// ```
/// use wharf_tabulate::{tabulate, TableFormat};
///
/// let rows = vec![
///     vec![Some("numpy".to_string()), Some("1.23.0".to_string()), Some("6.0".to_string())],
///     vec![Some("scipy".to_string()), None, Some("10".to_string())],
/// ];
/// let table = tabulate(&["name", "version", "n"], &rows, TableFormat::Simple);
/// assert_eq!(table, "name    version      n\n------  ---------  ---\nnumpy   1.23.0       6\nscipy               10");
/// ```
pub fn tabulate<H, R, C>(headers: &[H], rows: &[R], format: TableFormat) -> String
where
    H: AsRef<str>,
    R: AsRef<[Option<C>]>,
    C: AsRef<str>,
{
    let headers: Vec<&str> = headers.iter().map(AsRef::as_ref).collect();
    let mut cells = Vec::with_capacity(rows.first().map_or(0, |r| r.as_ref().len()) * rows.len());
    let mut ends = Vec::with_capacity(rows.len());
    for row in rows {
        cells.extend(
            row.as_ref()
                .iter()
                .map(|cell| cell.as_ref().map(AsRef::as_ref)),
        );
        ends.push(cells.len());
    }
    render::render(&headers, &render::Rows { cells, ends }, format)
}
