//! The table pipeline of tabulate 0.10.0's `tabulate()` and `_format_table()`, for `str`
//! and `None` cells with the default options.

use std::borrow::Cow;

use crate::ansi;
use crate::format::{LineSpec, RowSpec, Spec, TableFormat};
use crate::number;
use crate::pystr::{self, char_len, push_spaces, split_cr_lf, splitlines, strip};

/// The rows as given: flat cells plus where each row ends (rows may differ in length).
pub(crate) struct Rows<'a> {
    pub(crate) cells: Vec<Option<&'a str>>,
    pub(crate) ends: Vec<usize>,
}

impl<'a> Rows<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn row(&self, index: usize) -> &[Option<&'a str>] {
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        &self.cells[start..self.ends[index]]
    }
}

/// Whether `text` holds an ESC (maybe ANSI codes) and a `\r` or `\n` (maybe a
/// multi-line cell): rare, so one quick look spares the common table the searches.
fn rare_bytes(text: &str) -> (bool, bool) {
    let mut found = (false, false);
    if text.bytes().any(|b| b < 0x1c) {
        for b in text.bytes() {
            match b {
                0x1b => found.0 = true,
                b'\r' | b'\n' => found.1 = true,
                _ => {}
            }
        }
    }
    found
}

/// tabulate's deduced cell and column types, least generic first (`_more_generic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CellType {
    /// `None`, `""`, or only invisible codes.
    Missing,
    /// `"True"` or `"False"`.
    Bool,
    /// `int(s)` works, or `1,000`-style without a point.
    Int,
    /// A number that is not an `Int`.
    Float,
    /// Anything else.
    Str,
}

/// The alignments that default options can produce (`right` never arises).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Decimal,
}

/// A cell ready to print: spaces, text, spaces.
#[derive(Debug, Clone, Copy)]
struct Piece<'t> {
    left: usize,
    text: &'t str,
    right: usize,
}

/// A cell's text: the input itself, or a range of the table's arena of reprinted text
/// (one buffer for all the numbers tabulate reformats, rather than one `String` each).
#[derive(Debug, Clone, Copy)]
enum Text<'a> {
    Input(&'a str),
    Arena(usize, usize),
}

impl<'a> Text<'a> {
    fn get<'s>(self, arena: &'s str) -> &'s str
    where
        'a: 's,
    {
        match self {
            Text::Input(s) => s,
            Text::Arena(start, end) => &arena[start..end],
        }
    }

    /// Python's `strip()`.
    fn strip(self, arena: &str) -> Self {
        match self {
            Text::Input(s) => Text::Input(strip(s)),
            Text::Arena(start, end) => {
                let s = &arena[start..end];
                let lead = s.len() - s.trim_start_matches(pystr::is_space).len();
                Text::Arena(start + lead, start + lead + strip(s).len())
            }
        }
    }
}

/// A single-line cell, formatted and measured; its padding follows from its column.
struct AlignedCell<'a> {
    text: Text<'a>,
    /// Visible width of `text`.
    width: u32,
    /// `_afterpoint(text) + 1` in a float column (whose points line up), else 0.
    decimals: u32,
}

/// A single-line body: cells row-major, the arena their reprinted text lives in, and
/// per column the largest `decimals`.
struct SingleBody<'a> {
    cells: Vec<AlignedCell<'a>>,
    arena: String,
    max_decimals: Vec<u32>,
}

/// The aligned body: single-line cells, or fully padded multi-line strings
/// (column-major).
enum Body<'a> {
    Single(SingleBody<'a>),
    Multi(Vec<String>),
}

/// The aligned header row.
enum Head<'a> {
    Single(Vec<(usize, &'a str, usize)>),
    Multi(Vec<String>),
}

/// The printed rows: data rows `0..nrows`, with separating lines put back where they
/// were (tabulate's `_reinsert_separating_lines`, `list.insert` at each original index).
struct Slots {
    nrows: usize,
    separated: Option<Vec<Slot>>,
}

impl Slots {
    fn new(nrows: usize, separators: &[usize]) -> Self {
        let separated = (!separators.is_empty()).then(|| {
            let mut slots: Vec<Slot> = (0..nrows).map(Slot::Data).collect();
            for &index in separators {
                slots.insert(index.min(slots.len()), Slot::Separator);
            }
            slots
        });
        Self { nrows, separated }
    }

    fn len(&self) -> usize {
        self.separated.as_ref().map_or(self.nrows, Vec::len)
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, index: usize) -> Slot {
        self.separated
            .as_ref()
            .map_or(Slot::Data(index), |slots| slots[index])
    }

    fn iter(&self) -> impl Iterator<Item = Slot> + '_ {
        (0..self.len()).map(|index| self.get(index))
    }
}

/// Where a printed row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Data(usize),
    /// A row whose first or second cell is `"\x01"` (tabulate's `SEPARATING_LINE`).
    Separator,
}

/// tabulate's `_type` (codes stripped first, when the table may hold any).
fn cell_type(cell: Option<&str>, numparse: bool, may_have_codes: bool) -> CellType {
    let Some(cell) = cell else {
        return CellType::Missing;
    };
    let s = if may_have_codes {
        ansi::strip(cell)
    } else {
        Cow::Borrowed(cell)
    };
    if s.is_empty() {
        CellType::Missing
    } else if s == "True" || s == "False" {
        CellType::Bool
    } else if numparse
        && (number::is_int(&s) || (number::has_thousands_syntax(&s) && !s.contains('.')))
    {
        CellType::Int
    } else if numparse && (number::has_thousands_syntax(&s) || number::is_number(&s)) {
        CellType::Float
    } else {
        CellType::Str
    }
}

/// tabulate's `_format` with `floatfmt="g"`, `intfmt=""`, `missingval=""`.
fn format_cell(cell: Option<&str>, column: CellType, has_invisible: bool) -> Cow<'_, str> {
    let mut arena = String::new();
    match format_cell_into(cell, column, has_invisible, &mut arena).0 {
        Text::Input(s) => Cow::Borrowed(s),
        Text::Arena(..) => Cow::Owned(arena),
    }
}

/// [`format_cell`] with reprinted text appended to `arena`, plus the cell's
/// `_afterpoint` when formatting already tells it.
fn format_cell_into<'a>(
    cell: Option<&'a str>,
    column: CellType,
    has_invisible: bool,
    arena: &mut String,
) -> (Text<'a>, Option<isize>) {
    let Some(s) = cell else {
        return (Text::Input(""), None);
    };
    let start = arena.len();
    match column {
        _ if s.is_empty() => (Text::Input(""), None),
        CellType::Int if s.contains('[') => match ansi::recolor_int(s) {
            Some(recolored) => {
                arena.push_str(&recolored);
                (Text::Arena(start, arena.len()), None)
            }
            None => (Text::Input(s), None),
        },
        CellType::Float if has_invisible => {
            // The number is reprinted in place, codes around it kept.
            let raw = ansi::strip(s);
            match number::parse_float(&raw) {
                Some(x) => {
                    let mut formatted = String::new();
                    number::push_general(&mut formatted, x);
                    arena.push_str(&s.replace(&*raw, &formatted));
                    (Text::Arena(start, arena.len()), None)
                }
                None => (Text::Input(s), None),
            }
        }
        CellType::Float => {
            if !number::push_general_decimal(arena, s) {
                // Thousands separators go before `float()`.
                let x = if s.contains(',') {
                    number::parse_float(&s.replace(',', ""))
                } else {
                    number::parse_float(s)
                };
                let Some(x) = x else {
                    return (Text::Input(s), None);
                };
                number::push_general(arena, x);
            }
            let afterpoint = number::afterpoint_of_general(&arena[start..]);
            (Text::Arena(start, arena.len()), Some(afterpoint))
        }
        _ => (Text::Input(s), None),
    }
}

/// Spaces left and right of text `width` wide to fill `target` (Python's `<`, `^`, `>`).
fn split_padding(align: Align, target: usize, width: usize) -> (usize, usize) {
    let total = target.saturating_sub(width);
    match align {
        Align::Left => (0, total),
        Align::Center => (total / 2, total - total / 2),
        Align::Decimal => (total, 0),
    }
}

fn push_padded(out: &mut String, align: Align, target: usize, width: usize, text: &str) {
    let (left, right) = split_padding(align, target, width);
    push_spaces(out, left);
    out.push_str(text);
    push_spaces(out, right);
}

/// What the table needs to know about widths.
#[derive(Clone, Copy)]
struct Measure {
    has_invisible: bool,
    multiline: bool,
}

impl Measure {
    /// The visible width of one line.
    fn line_width(self, s: &str) -> usize {
        if self.has_invisible {
            char_len(&ansi::strip(s))
        } else {
            char_len(s)
        }
    }

    /// tabulate's `width_fn`: the widest `\r`/`\n`-separated line in multiline mode.
    fn width(self, s: &str) -> usize {
        if self.multiline {
            split_cr_lf(s)
                .map(|line| self.line_width(line))
                .max()
                .unwrap_or(0)
        } else {
            self.line_width(s)
        }
    }
}

/// tabulate's `_align_column` for the single-line case, all columns at once: row-major,
/// so cells are read in the order they were allocated. Returns the aligned cells
/// (row-major, `widths.len()` per row) and the column widths.
fn align_single<'a>(
    cells: &[Option<&'a str>],
    ncols: usize,
    types: &[CellType],
    aligns: &[Align],
    min_widths: &[usize],
    measure: Measure,
) -> (SingleBody<'a>, Vec<usize>) {
    let nout = aligns.len();
    let mut widths = min_widths[..nout].to_vec();
    let mut body = SingleBody {
        cells: Vec::with_capacity(cells.len() / ncols.max(1) * nout),
        arena: String::new(),
        max_decimals: vec![0; nout],
    };
    if nout == 0 {
        return (body, widths);
    }
    // Float columns line up their points; integer columns hold no points at all.
    let lines_up: Vec<bool> = (0..nout)
        .map(|c| aligns[c] == Align::Decimal && types[c] == CellType::Float)
        .collect();
    // Where points line up, a cell is as wide as its text plus the spaces after it.
    let mut widest_before_point = vec![0; nout];
    let arena = &mut body.arena;
    for row in cells.chunks_exact(ncols) {
        for (c, &cell) in row[..nout].iter().enumerate() {
            let (text, known) = format_cell_into(cell, types[c], measure.has_invisible, arena);
            let (text, decimals) = if aligns[c] != Align::Decimal {
                (text.strip(arena), 0)
            } else if lines_up[c] {
                let decimals = known.unwrap_or_else(|| {
                    if measure.has_invisible {
                        number::afterpoint(&ansi::strip(text.get(arena)))
                    } else {
                        number::afterpoint(text.get(arena))
                    }
                });
                (text, (decimals + 1).unsigned_abs())
            } else {
                (text, 0)
            };
            let width = measure.line_width(text.get(arena));
            widths[c] = widths[c].max(width);
            if lines_up[c] {
                widest_before_point[c] = widest_before_point[c].max(width.saturating_sub(decimals));
            }
            let decimals = u32::try_from(decimals).unwrap_or(u32::MAX);
            body.max_decimals[c] = body.max_decimals[c].max(decimals);
            body.cells.push(AlignedCell {
                text,
                width: u32::try_from(width).unwrap_or(u32::MAX),
                decimals,
            });
        }
    }
    for c in 0..nout {
        if lines_up[c] {
            let max_decimals = body.max_decimals[c] as usize;
            widths[c] = widths[c].max(widest_before_point[c] + max_decimals);
        }
    }
    (body, widths)
}

/// tabulate's `_align_column` for one column in multiline mode; returns the column width.
fn align_multi(
    column: &[Option<&str>],
    column_type: CellType,
    align: Align,
    min_width: usize,
    measure: Measure,
    out: &mut Vec<String>,
) -> usize {
    let formatted: Vec<Cow<'_, str>> = column
        .iter()
        .map(|&cell| format_cell(cell, column_type, measure.has_invisible))
        .collect();
    let strings: Vec<String> = if align == Align::Decimal {
        let decimals: Vec<isize> = formatted
            .iter()
            .map(|text| {
                if measure.has_invisible {
                    number::afterpoint(&ansi::strip(text))
                } else {
                    number::afterpoint(text)
                }
            })
            .collect();
        let max_decimals = decimals.iter().copied().max().unwrap_or(-1);
        formatted
            .iter()
            .zip(&decimals)
            .map(|(text, &d)| {
                let mut s = text.to_string();
                push_spaces(&mut s, max_decimals.abs_diff(d));
                s
            })
            .collect()
    } else {
        formatted
            .iter()
            .map(|text| strip(text).to_owned())
            .collect()
    };
    let max_width = strings
        .iter()
        .flat_map(|s| split_cr_lf(s).map(|line| measure.line_width(line)))
        .max()
        .unwrap_or(0)
        .max(min_width);
    let start = out.len();
    for s in &strings {
        let mut padded = String::new();
        if measure.has_invisible {
            // Widths come from `re.split("[\r\n]")`, lines from `splitlines()`; tabulate
            // pairs them up in order even where the two disagree.
            let targets =
                split_cr_lf(s).map(|piece| max_width + char_len(piece) - measure.line_width(piece));
            for (i, (line, target)) in splitlines(s).into_iter().zip(targets).enumerate() {
                if i > 0 {
                    padded.push('\n');
                }
                push_padded(&mut padded, align, target, char_len(line), line);
            }
        } else {
            for (i, line) in splitlines(s).into_iter().enumerate() {
                if i > 0 {
                    padded.push('\n');
                }
                push_padded(&mut padded, align, max_width, char_len(line), line);
            }
        }
        out.push(padded);
    }
    out[start..]
        .iter()
        .map(|s| measure.width(s))
        .max()
        .unwrap_or(0)
        .max(min_width)
}

/// Renders like `tabulate(rows, headers=headers, tablefmt=format)`.
pub(crate) fn render(headers: &[&str], rows: &Rows<'_>, format: TableFormat) -> String {
    let spec = format.spec();

    // Headers name the last columns: pad on the left to the first row's length.
    let mut heads: Vec<&str> = headers.to_vec();
    if !heads.is_empty() && rows.len() > 0 {
        let missing = rows.row(0).len().saturating_sub(heads.len());
        heads.splice(0..0, std::iter::repeat_n("", missing));
    }

    // One pass over the input, in the order it sits in memory: separating lines leave
    // the data, rare bytes are noted, and each column gets the most generic type of
    // its cells (text is final, so a text column stops looking).
    let pretty = format == TableFormat::Pretty;
    let rst = format == TableFormat::Rst;
    let mut separators = Vec::new();
    let mut types: Vec<CellType> = Vec::new();
    let mut escape = heads.iter().any(|h| h.as_bytes().contains(&0x1b));
    let mut line_break = heads.iter().any(|h| pystr::has_cr_lf(h));
    for index in 0..rows.len() {
        let row = rows.row(index);
        let is_separator = row
            .iter()
            .take(2)
            .any(|cell| cell.is_some_and(|s| s.as_bytes().contains(&1) && strip(s) == "\x01"));
        if is_separator {
            separators.push(index);
            continue;
        }
        if row.len() > types.len() {
            types.resize(row.len(), CellType::Bool);
        }
        for (c, (&cell, column_type)) in row.iter().zip(&mut types).enumerate() {
            let Some(text) = cell else {
                continue;
            };
            let (has_escape, has_line_break) = rare_bytes(text);
            escape |= has_escape;
            line_break |= has_line_break;
            if *column_type != CellType::Str {
                let text = if rst && c == 0 && strip(text).is_empty() {
                    ".."
                } else {
                    text
                };
                *column_type = (*column_type).max(cell_type(Some(text), !pretty, has_escape));
            }
        }
    }
    let ncols = types.len();

    // The data rows, row-major, padded with `None` to the longest row.
    let ndata = rows.len() - separators.len();
    let data_rows = || {
        let mut next_separator = separators.iter().peekable();
        (0..rows.len()).filter(move |&index| {
            if next_separator.peek() == Some(&&index) {
                next_separator.next();
                false
            } else {
                true
            }
        })
    };
    let rectangular = separators.is_empty() && rows.cells.len() == ncols * ndata;
    let mut cells: Cow<'_, [Option<&str>]> = if rectangular {
        Cow::Borrowed(&rows.cells)
    } else {
        let mut cells = Vec::with_capacity(ncols * ndata);
        for r in data_rows() {
            let row = rows.row(r);
            cells.extend_from_slice(row);
            cells.extend(std::iter::repeat_n(None, ncols - row.len()));
        }
        Cow::Owned(cells)
    };

    if rst {
        // A blank first cell would end an rst table: it becomes `..`.
        if ncols > 0
            && cells
                .iter()
                .step_by(ncols)
                .any(|cell| cell.is_some_and(|s| strip(s).is_empty()))
        {
            for cell in cells.to_mut().iter_mut().step_by(ncols) {
                if cell.is_some_and(|s| strip(s).is_empty()) {
                    *cell = Some("..");
                }
            }
        }
        if let Some(head) = heads.first_mut()
            && strip(head).is_empty()
        {
            *head = "..";
        }
    }

    let colon_grid = format == TableFormat::ColonGrid;
    let min_padding = if pretty { 0 } else { 2 };
    let (num_align, str_align) = if pretty {
        (Align::Center, Align::Center)
    } else {
        (Align::Decimal, Align::Left)
    };

    let has_invisible = escape
        && has_invisible(
            &heads,
            &cells,
            ncols,
            data_rows().map(|r| rows.row(r).len()),
        );
    let multiline = spec.multiline
        && line_break
        && (heads.iter().any(|h| pystr::has_cr_lf(h))
            || cells.iter().flatten().any(|s| pystr::has_cr_lf(s)));
    let measure = Measure {
        has_invisible,
        multiline,
    };

    let aligns: Vec<Align> = types
        .iter()
        .map(|&t| {
            if colon_grid {
                Align::Left
            } else if matches!(t, CellType::Int | CellType::Float) {
                num_align
            } else {
                str_align
            }
        })
        .collect();

    let header_given = !heads.is_empty();
    let min_widths: Vec<usize> = if header_given {
        heads
            .iter()
            .map(|h| measure.width(h) + min_padding)
            .collect()
    } else {
        vec![0; ncols]
    };
    // Extra headers, or columns beyond the headers, are dropped (tabulate zips them).
    let nout = ncols.min(min_widths.len());

    let (body, mut widths) = if multiline {
        let mut out = Vec::with_capacity(nout * ndata);
        let mut widths = Vec::with_capacity(nout);
        for c in 0..nout {
            let column: Vec<Option<&str>> = cells.iter().skip(c).step_by(ncols).copied().collect();
            widths.push(align_multi(
                &column,
                types[c],
                aligns[c],
                min_widths[c],
                measure,
                &mut out,
            ));
        }
        (Body::Multi(out), widths)
    } else {
        let (body, widths) =
            align_single(&cells, ncols, &types, &aligns[..nout], &min_widths, measure);
        (Body::Single(body), widths)
    };

    let mut header_aligns = Vec::new();
    let head = if header_given {
        header_aligns = if colon_grid {
            vec![Align::Left; if ncols > 0 { nout } else { heads.len() }]
        } else if ncols > 0 {
            aligns.clone()
        } else {
            vec![str_align; heads.len()]
        };
        if ncols == 0 {
            widths.clone_from(&min_widths);
        }
        let n = heads.len().min(header_aligns.len()).min(widths.len());
        if multiline {
            Head::Multi(
                (0..n)
                    .map(|i| {
                        let mut padded = String::new();
                        for (j, line) in split_cr_lf(heads[i]).enumerate() {
                            if j > 0 {
                                padded.push('\n');
                            }
                            let width = measure.line_width(line);
                            push_padded(&mut padded, header_aligns[i], widths[i], width, line);
                        }
                        padded
                    })
                    .collect(),
            )
        } else {
            Head::Single(
                (0..n)
                    .map(|i| {
                        let width = measure.line_width(heads[i]);
                        let (left, right) = split_padding(header_aligns[i], widths[i], width);
                        (left, heads[i], right)
                    })
                    .collect(),
            )
        }
    } else {
        Head::Single(Vec::new())
    };

    let nrows = if nout > 0 { ndata } else { 0 };
    let slots = Slots::new(nrows, &separators);
    if !header_given && slots.is_empty() {
        return String::new();
    }

    let mut table = Table {
        spec,
        widths: &widths,
        aligns: &aligns,
        header_aligns: &header_aligns,
        out: String::with_capacity(estimate_size(&widths, spec.padding, slots.len())),
        lines: 0,
        pieces: Vec::with_capacity(nout),
        line_cache: Vec::new(),
    };
    table.draw(&head, &body, ndata, &slots);
    table.out
}

fn estimate_size(widths: &[usize], padding: usize, rows: usize) -> usize {
    let row: usize = widths.iter().map(|w| w + 2 * padding + 3).sum::<usize>() + 4;
    row.saturating_mul(rows + 4).min(1 << 30)
}

/// Whether tabulate sees an invisible code in `"\t".join(headers + all cells)` (`None`
/// joins as `"None"`, each row with its own length). A hyperlink may span cells, so the
/// joined text is what counts.
fn has_invisible(
    heads: &[&str],
    cells: &[Option<&str>],
    ncols: usize,
    row_lengths: impl Iterator<Item = usize>,
) -> bool {
    let has_esc = |s: &str| s.as_bytes().contains(&0x1b);
    if !heads.iter().any(|h| has_esc(h)) && !cells.iter().flatten().any(|s| has_esc(s)) {
        return false;
    }
    let mut items: Vec<&str> = heads.to_vec();
    for (row, length) in cells.chunks_exact(ncols.max(1)).zip(row_lengths) {
        items.extend(row[..length].iter().map(|cell| cell.unwrap_or("None")));
    }
    ansi::has_code(&items.join("\t"))
}

/// `_format_table`: lines and rows joined by newlines.
struct Table<'t> {
    spec: Spec,
    /// Column widths without the format's padding.
    widths: &'t [usize],
    aligns: &'t [Align],
    header_aligns: &'t [Align],
    out: String,
    lines: usize,
    pieces: Vec<Piece<'t>>,
    line_cache: Vec<(LineSpec, String)>,
}

impl<'t> Table<'t> {
    fn draw(&mut self, head: &'t Head<'t>, body: &'t Body<'t>, ndata: usize, slots: &Slots) {
        let spec = self.spec;
        let header_given = match head {
            Head::Single(cells) => !cells.is_empty(),
            Head::Multi(cells) => !cells.is_empty(),
        };
        let pad = spec.padding;
        if let Some(line) = spec.above
            && !(header_given && spec.hide_above)
        {
            self.line(line);
        }
        if header_given {
            match head {
                Head::Single(cells) => {
                    self.pieces.clear();
                    self.pieces
                        .extend(cells.iter().map(|&(left, text, right)| Piece {
                            left: left + pad,
                            text,
                            right: right + pad,
                        }));
                    self.row(spec.header, true);
                }
                Head::Multi(cells) => {
                    let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
                    self.multiline_row(spec.header, &cells, true);
                }
            }
            if let Some(line) = spec.below_header {
                self.line(line);
            }
        }
        let data_row = |table: &mut Self, index: usize| match body {
            Body::Single(body) => {
                table.pieces.clear();
                let nout = table.widths.len();
                let row = body.cells[index * nout..][..nout].iter();
                for (c, cell) in row.enumerate() {
                    let width = cell.width as usize;
                    let (left, right) = if table.aligns[c] == Align::Decimal {
                        // Spaces after the number line up the points, then flush right.
                        let extra = (body.max_decimals[c] - cell.decimals) as usize;
                        (table.widths[c].saturating_sub(width + extra), extra)
                    } else {
                        split_padding(table.aligns[c], table.widths[c], width)
                    };
                    table.pieces.push(Piece {
                        left: left + pad,
                        text: cell.text.get(&body.arena),
                        right: right + pad,
                    });
                }
                table.row(spec.data, false);
            }
            Body::Multi(cells) => {
                let row: Vec<&str> = (0..table.widths.len())
                    .map(|c| cells[c * ndata + index].as_str())
                    .collect();
                table.multiline_row(spec.data, &row, false);
            }
        };
        match spec.between {
            Some(between) if !slots.is_empty() => {
                // tabulate zips all rows but the last with one alignment per data row, so
                // with separating lines some rows can fall out of this loop.
                let last = slots.len() - 1;
                for slot in slots.iter().take(last.min(slots.nrows)) {
                    if let Slot::Data(index) = slot {
                        data_row(self, index);
                    }
                    self.line(between);
                }
                match slots.get(last) {
                    Slot::Data(index) => data_row(self, index),
                    Slot::Separator => self.separator_as_row(matches!(body, Body::Multi(_))),
                }
            }
            _ => {
                let separator = spec
                    .between
                    .or(spec.below_header)
                    .or(spec.below)
                    .or(spec.above)
                    .unwrap_or(LineSpec::Plain {
                        begin: "",
                        fill: "",
                        sep: "",
                        end: "",
                    });
                for slot in slots.iter() {
                    match slot {
                        Slot::Data(index) => data_row(self, index),
                        Slot::Separator => self.line(separator),
                    }
                }
            }
        }
        if let Some(line) = spec.below
            && !(header_given && spec.hide_below)
        {
            self.line(line);
        }
    }

    /// A separating line that ends a table with rules between rows: tabulate prints the
    /// `"\x01"` marker through the data row format.
    fn separator_as_row(&mut self, multiline: bool) {
        self.pieces.clear();
        if !multiline {
            self.pieces.push(Piece {
                left: 0,
                text: "\x01",
                right: 0,
            });
        } else if !self.widths.is_empty() {
            self.pieces.push(Piece {
                left: self.spec.padding,
                text: "\x01",
                right: self.spec.padding,
            });
        }
        self.row(self.spec.data, false);
    }

    fn begin_line(&mut self) -> usize {
        if self.lines > 0 {
            self.out.push('\n');
        }
        self.lines += 1;
        self.out.len()
    }

    /// One row in multiline mode: each cell split into lines, short cells filled with
    /// blank lines, one printed row per line (none if every cell is empty).
    fn multiline_row(&mut self, row: RowSpec, cells: &[&'t str], header: bool) {
        let pad = self.spec.padding;
        let lines: Vec<Vec<&'t str>> = cells.iter().map(|c| splitlines(c)).collect();
        let count = lines.iter().map(Vec::len).max().unwrap_or(0);
        for j in 0..count {
            self.pieces.clear();
            for (cell_lines, &width) in lines.iter().zip(self.widths) {
                self.pieces.push(match cell_lines.get(j) {
                    Some(text) => Piece {
                        left: pad,
                        text,
                        right: pad,
                    },
                    None => Piece {
                        left: pad + width,
                        text: "",
                        right: pad,
                    },
                });
            }
            self.row(row, header);
        }
    }

    /// A horizontal line; each distinct line is drawn once and then copied.
    fn line(&mut self, line: LineSpec) {
        self.begin_line();
        let cached = if let Some(index) = self.line_cache.iter().position(|(spec, _)| *spec == line)
        {
            index
        } else {
            let mut text = String::new();
            self.draw_line(&mut text, line);
            self.line_cache.push((line, text));
            self.line_cache.len() - 1
        };
        self.out.push_str(&self.line_cache[cached].1);
    }

    fn draw_line(&self, out: &mut String, line: LineSpec) {
        let pad = self.spec.padding;
        let widths = self.widths.iter().map(|w| w + 2 * pad);
        // Alignments for the colon lines; none at all means "no colons" (tabulate zips
        // the alignments with the widths otherwise).
        let aligned = || -> Vec<(Option<Align>, usize)> {
            if self.aligns.is_empty() {
                widths.clone().map(|w| (None, w)).collect()
            } else {
                self.aligns
                    .iter()
                    .map(|&a| Some(a))
                    .zip(widths.clone())
                    .collect()
            }
        };
        match line {
            LineSpec::Plain {
                begin,
                fill,
                sep,
                end,
            } => {
                out.push_str(begin);
                for (i, w) in widths.enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    for _ in 0..w {
                        out.push_str(fill);
                    }
                }
                out.push_str(end);
                pystr::rstrip_from(out, 0);
            }
            LineSpec::PipeColons => {
                out.push('|');
                for (i, &(align, w)) in aligned().iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    let (open, close) = match align {
                        Some(Align::Decimal) => (false, true),
                        Some(Align::Center) => (true, true),
                        Some(Align::Left) => (true, false),
                        None => (false, false),
                    };
                    push_rule(out, '-', ':', w, open, close);
                }
                out.push('|');
            }
            LineSpec::GridColons => {
                out.push('+');
                for (i, &(align, w)) in aligned().iter().enumerate() {
                    if i > 0 {
                        out.push('+');
                    }
                    let (open, close) = match align {
                        Some(Align::Center) => (true, true),
                        Some(Align::Left) => (true, false),
                        // Only `right` gets a closing colon; `decimal` gets none.
                        Some(Align::Decimal) | None => (false, false),
                    };
                    push_rule(out, '=', ':', w, open, close);
                }
                out.push('+');
            }
            LineSpec::HtmlBegin => out.push_str("<table>\n<tbody>"),
            LineSpec::LatexBegin {
                booktabs,
                longtable,
            } => {
                out.push_str(if longtable {
                    "\\begin{longtable}{"
                } else {
                    "\\begin{tabular}{"
                });
                for align in self.aligns {
                    out.push(match align {
                        Align::Left => 'l',
                        Align::Center => 'c',
                        Align::Decimal => 'r',
                    });
                }
                out.push_str(if booktabs {
                    "}\n\\toprule"
                } else {
                    "}\n\\hline"
                });
            }
            LineSpec::AsciidocBegin => {
                push_asciidoc_cols(out, self.widths, pad, self.aligns, false);
            }
        }
    }

    fn row(&mut self, row: RowSpec, header: bool) {
        let start = self.begin_line();
        let aligns = if header {
            self.header_aligns
        } else {
            self.aligns
        };
        let out = &mut self.out;
        let pieces = &self.pieces;
        match row {
            RowSpec::Plain { begin, sep, end } => {
                out.push_str(begin);
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                    }
                    push_piece(out, piece, None);
                }
                out.push_str(end);
                pystr::rstrip_from(out, start);
            }
            RowSpec::Mediawiki { sep } => {
                out.push_str(sep);
                for (i, (piece, align)) in pieces.iter().zip(aligns).enumerate() {
                    if i > 0 {
                        out.push_str(sep);
                        out.push_str(sep);
                    }
                    out.push(' ');
                    out.push_str(match align {
                        Align::Left => "",
                        Align::Center => "style=\"text-align: center;\"| ",
                        Align::Decimal => "style=\"text-align: right;\"| ",
                    });
                    push_piece(out, piece, None);
                    out.push(' ');
                }
                pystr::rstrip_from(out, start);
            }
            RowSpec::Moinmoin { header: bold } => {
                let quotes = if bold { "'''" } else { "" };
                for (piece, align) in pieces.iter().zip(aligns) {
                    out.push_str("||");
                    out.push_str(match align {
                        Align::Left => "",
                        Align::Center => "<style=\"text-align: center;\">",
                        Align::Decimal => "<style=\"text-align: right;\">",
                    });
                    out.push(' ');
                    out.push_str(quotes);
                    push_piece(out, piece, None);
                    out.push_str(quotes);
                    out.push(' ');
                }
                out.push_str("||");
            }
            RowSpec::Html { header: th, escape } => {
                let tag = if th { "th" } else { "td" };
                if th {
                    out.push_str("<table>\n<thead>\n");
                }
                out.push_str("<tr>");
                for (piece, align) in pieces.iter().zip(aligns) {
                    out.push('<');
                    out.push_str(tag);
                    out.push_str(match align {
                        Align::Left => "",
                        Align::Center => " style=\"text-align: center;\"",
                        Align::Decimal => " style=\"text-align: right;\"",
                    });
                    out.push('>');
                    push_piece(out, piece, escape.then_some(Escape::Html));
                    out.push_str("</");
                    out.push_str(tag);
                    out.push('>');
                }
                out.push_str("</tr>");
                if th {
                    out.push_str("\n</thead>\n<tbody>");
                }
            }
            RowSpec::Latex { escape } => {
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.push('&');
                    }
                    push_piece(out, piece, escape.then_some(Escape::Latex));
                }
                out.push_str("\\\\");
                pystr::rstrip_from(out, start);
            }
            RowSpec::Textile => {
                out.push('|');
                for (i, (piece, align)) in pieces.iter().zip(aligns).enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    out.push_str(match align {
                        Align::Left => "<.",
                        Align::Center => "=.",
                        Align::Decimal => ">.",
                    });
                    // tabulate appends a space to the first cell.
                    let extra = usize::from(i == 0);
                    push_piece(
                        out,
                        &Piece {
                            right: piece.right + extra,
                            ..*piece
                        },
                        None,
                    );
                }
                out.push('|');
            }
            RowSpec::Asciidoc { header: with_cols } => {
                if with_cols {
                    push_asciidoc_cols(out, self.widths, self.spec.padding, aligns, true);
                    out.push('\n');
                }
                out.push('|');
                for (i, piece) in pieces.iter().enumerate() {
                    if i > 0 {
                        out.push('|');
                    }
                    push_piece(out, piece, None);
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Escape {
    Html,
    Latex,
}

fn push_piece(out: &mut String, piece: &Piece<'_>, escape: Option<Escape>) {
    push_spaces(out, piece.left);
    match escape {
        None => out.push_str(piece.text),
        Some(Escape::Html) => pystr::push_html_escaped(out, piece.text),
        Some(Escape::Latex) => pystr::push_latex_escaped(out, piece.text),
    }
    push_spaces(out, piece.right);
}

/// `fill` repeated to `width`, with `mark` replacing the first and/or last character.
fn push_rule(out: &mut String, fill: char, mark: char, width: usize, open: bool, close: bool) {
    let inner = width.saturating_sub(usize::from(open) + usize::from(close));
    if open {
        out.push(mark);
    }
    out.extend(std::iter::repeat_n(fill, inner));
    if close {
        out.push(mark);
    }
}

/// `[cols="<8,>3"]` (plus `,options="header"`) and `|====`.
fn push_asciidoc_cols(
    out: &mut String,
    widths: &[usize],
    pad: usize,
    aligns: &[Align],
    header: bool,
) {
    use std::fmt::Write as _;
    out.push_str("[cols=\"");
    for (i, (w, align)) in widths.iter().zip(aligns).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mark = match align {
            Align::Left => '<',
            Align::Center => '^',
            Align::Decimal => '>',
        };
        let _ = write!(out, "{mark}{}", w + 2 * pad);
    }
    out.push('"');
    if header {
        out.push_str(",options=\"header\"");
    }
    out.push_str("]\n|====");
}
