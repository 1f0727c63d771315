//! The `tablefmt` names of python-tabulate 0.10.0 and what each one draws.

use std::fmt;
use std::str::FromStr;

/// One of python-tabulate 0.10.0's `tablefmt` names (its `tabulate_formats`).
///
/// `FromStr` and `Display` round-trip on exactly those names; [`TableFormat::ALL`] lists
/// them in tabulate's (alphabetical) order. The examples show a one-column table with
/// the header `a` and the cell `1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableFormat {
    /// AsciiDoc table. Ex) `[cols="3>",options="header"]` / `|====` / `| a` / `| 1` / `|====`
    Asciidoc,
    /// ASCII grid; the header rule carries `:` alignment marks and cells are flush left.
    /// Ex) `+-----+` / `| a   |` / `+:====+` / `| 1   |` / `+-----+`
    ColonGrid,
    /// Double-line box-drawing grid. Ex) `╔═════╗` / `║   a ║` / `╠═════╣` / `║   1 ║` / `╚═════╝`
    DoubleGrid,
    /// Double-line box-drawing outline (no rules between rows). Ex) `╔═════╗` / `║   a ║`
    DoubleOutline,
    /// Single-line grid with double-line outer and header rules. Ex) `╒═════╕` / `│   a │`
    FancyGrid,
    /// `fancy_grid` without rules between rows. Ex) `╒═════╕` / `│   a │` / `╞═════╡`
    FancyOutline,
    /// GitHub-flavoured Markdown. Ex) `|   a |` / `|-----|` / `|   1 |`
    Github,
    /// ASCII grid (Emacs table.el, Pandoc grid tables). Ex) `+-----+` / `|   a |` / `+=====+`
    Grid,
    /// Heavy-line box-drawing grid. Ex) `┏━━━━━┓` / `┃   a ┃` / `┣━━━━━┫`
    HeavyGrid,
    /// Heavy-line box-drawing outline. Ex) `┏━━━━━┓` / `┃   a ┃` / `┣━━━━━┫` / `┃   1 ┃`
    HeavyOutline,
    /// HTML table, cells escaped. Ex) `<table>` / `<thead>` / `<tr><th style="text-align: right;">  a</th></tr>`
    Html,
    /// Jira markup. Ex) `||   a ||` / `|   1 |`
    Jira,
    /// LaTeX `tabular`, special characters escaped. Ex) `\begin{tabular}{r}` / `\hline` / `   a \\`
    Latex,
    /// LaTeX `tabular` with booktabs rules. Ex) `\begin{tabular}{r}` / `\toprule` / `   a \\` / `\midrule`
    LatexBooktabs,
    /// LaTeX `longtable`. Ex) `\begin{longtable}{r}` / `\hline` / `   a \\` / `\hline` / `\endhead`
    LatexLongtable,
    /// LaTeX `tabular` without escaping. Ex) `\begin{tabular}{r}` / `\hline` / `   a \\`
    LatexRaw,
    /// MediaWiki table. Ex) `{| class="wikitable" style="text-align: left;"` / `|+ <!-- caption -->`
    Mediawiki,
    /// Mixed light/heavy box-drawing grid. Ex) `┍━━━━━┑` / `│   a │` / `┝━━━━━┥`
    MixedGrid,
    /// Mixed light/heavy box-drawing outline. Ex) `┍━━━━━┑` / `│   a │` / `┝━━━━━┥` / `│   1 │`
    MixedOutline,
    /// MoinMoin wiki markup. Ex) `|| ''' a ''' ||` (with alignment attributes)
    Moinmoin,
    /// Emacs org-mode table. Ex) `|   a |` / `|-----|` / `|   1 |`
    Orgtbl,
    /// ASCII outline (`grid` without rules between rows). Ex) `+-----+` / `|   a |` / `+=====+`
    Outline,
    /// Markdown (PHP Markdown Extra) with `:` alignment marks. Ex) `|   a |` / `|----:|` / `|   1 |`
    Pipe,
    /// Columns separated by two spaces, no rules. Ex) `  a` / `  1`
    Plain,
    /// Presto CLI style. Ex) ` a` / `----` / ` 1` (header row, `-` rule with `+` joints)
    Presto,
    /// PrettyTable style: no number parsing, everything centred. Ex) `+---+` / `| a |` / `+---+`
    Pretty,
    /// PostgreSQL `psql` style. Ex) `+-----+` / `|   a |` / `|-----|` / `|   1 |` / `+-----+`
    Psql,
    /// Rounded-corner box-drawing grid. Ex) `╭─────╮` / `│   a │` / `├─────┤`
    RoundedGrid,
    /// Rounded-corner box-drawing outline. Ex) `╭─────╮` / `│   a │` / `├─────┤` / `│   1 │`
    RoundedOutline,
    /// reStructuredText simple table. Ex) `===` / `  a` / `===` / `  1` / `===`
    Rst,
    /// Pandoc simple table (tabulate's default). Ex) `  a` / `---` / `  1`
    Simple,
    /// Single-line box-drawing grid. Ex) `┌─────┐` / `│   a │` / `├─────┤`
    SimpleGrid,
    /// Single-line box-drawing outline. Ex) `┌─────┐` / `│   a │` / `├─────┤` / `│   1 │`
    SimpleOutline,
    /// Textile markup. Ex) `|_.   a |` / `|>.   1 |`
    Textile,
    /// Tab-separated values (cells still padded to the column width). Ex) `  a` / `  1`
    Tsv,
    /// HTML table, cells not escaped. Ex) `<table>` / `<thead>` / `<tr><th style="text-align: right;">  a</th></tr>`
    Unsafehtml,
    /// YouTrack markup. Ex) `||   a ||` / `|   1 |`
    Youtrack,
}

impl TableFormat {
    /// Every format, in the order of tabulate's `tabulate_formats`.
    pub const ALL: [TableFormat; 37] = [
        Self::Asciidoc,
        Self::ColonGrid,
        Self::DoubleGrid,
        Self::DoubleOutline,
        Self::FancyGrid,
        Self::FancyOutline,
        Self::Github,
        Self::Grid,
        Self::HeavyGrid,
        Self::HeavyOutline,
        Self::Html,
        Self::Jira,
        Self::Latex,
        Self::LatexBooktabs,
        Self::LatexLongtable,
        Self::LatexRaw,
        Self::Mediawiki,
        Self::MixedGrid,
        Self::MixedOutline,
        Self::Moinmoin,
        Self::Orgtbl,
        Self::Outline,
        Self::Pipe,
        Self::Plain,
        Self::Presto,
        Self::Pretty,
        Self::Psql,
        Self::RoundedGrid,
        Self::RoundedOutline,
        Self::Rst,
        Self::Simple,
        Self::SimpleGrid,
        Self::SimpleOutline,
        Self::Textile,
        Self::Tsv,
        Self::Unsafehtml,
        Self::Youtrack,
    ];

    /// The `tablefmt` name, e.g. `"simple_grid"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asciidoc => "asciidoc",
            Self::ColonGrid => "colon_grid",
            Self::DoubleGrid => "double_grid",
            Self::DoubleOutline => "double_outline",
            Self::FancyGrid => "fancy_grid",
            Self::FancyOutline => "fancy_outline",
            Self::Github => "github",
            Self::Grid => "grid",
            Self::HeavyGrid => "heavy_grid",
            Self::HeavyOutline => "heavy_outline",
            Self::Html => "html",
            Self::Jira => "jira",
            Self::Latex => "latex",
            Self::LatexBooktabs => "latex_booktabs",
            Self::LatexLongtable => "latex_longtable",
            Self::LatexRaw => "latex_raw",
            Self::Mediawiki => "mediawiki",
            Self::MixedGrid => "mixed_grid",
            Self::MixedOutline => "mixed_outline",
            Self::Moinmoin => "moinmoin",
            Self::Orgtbl => "orgtbl",
            Self::Outline => "outline",
            Self::Pipe => "pipe",
            Self::Plain => "plain",
            Self::Presto => "presto",
            Self::Pretty => "pretty",
            Self::Psql => "psql",
            Self::RoundedGrid => "rounded_grid",
            Self::RoundedOutline => "rounded_outline",
            Self::Rst => "rst",
            Self::Simple => "simple",
            Self::SimpleGrid => "simple_grid",
            Self::SimpleOutline => "simple_outline",
            Self::Textile => "textile",
            Self::Tsv => "tsv",
            Self::Unsafehtml => "unsafehtml",
            Self::Youtrack => "youtrack",
        }
    }

    /// What tabulate's `_table_formats` entry draws for this format.
    pub(crate) fn spec(self) -> Spec {
        use LineSpec::{AsciidocBegin, GridColons, HtmlBegin, LatexBegin, PipeColons};
        // `Some(Line(begin, fill, sep, end))`, the entry of a drawn line.
        let line =
            |begin: &'static str, fill: &'static str, sep: &'static str, end: &'static str| {
                Some(LineSpec::Plain {
                    begin,
                    fill,
                    sep,
                    end,
                })
            };
        let row = |begin: &'static str, sep: &'static str, end: &'static str| RowSpec::Plain {
            begin,
            sep,
            end,
        };
        // A line that is one fixed text whatever the widths.
        let rule = |text: &'static str| line(text, "", "", "");
        // A box-drawing grid: each line is `[begin, fill, sep, end]`, rows use `bar`.
        let boxed = |lines: [[&'static str; 4]; 4], bar: &'static str, outline: bool| {
            let [above, header, between, below] = lines.map(|[b, f, s, e]| line(b, f, s, e));
            Spec {
                above,
                below_header: header,
                between: if outline { None } else { between },
                below,
                header: row(bar, bar, bar),
                data: row(bar, bar, bar),
                padding: 1,
                hide_above: false,
                hide_below: false,
                multiline: true,
            }
        };
        let light = ["├", "─", "┼", "┤"];
        let base = Spec {
            above: None,
            below_header: None,
            between: None,
            below: None,
            header: row("", "  ", ""),
            data: row("", "  ", ""),
            padding: 0,
            hide_above: false,
            hide_below: false,
            multiline: true,
        };
        match self {
            Self::Simple => Spec {
                above: line("", "-", "  ", ""),
                below_header: line("", "-", "  ", ""),
                below: line("", "-", "  ", ""),
                hide_above: true,
                hide_below: true,
                ..base
            },
            Self::Plain => base,
            Self::Grid | Self::Outline => Spec {
                above: line("+", "-", "+", "+"),
                below_header: line("+", "=", "+", "+"),
                between: if self == Self::Grid {
                    line("+", "-", "+", "+")
                } else {
                    None
                },
                below: line("+", "-", "+", "+"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::ColonGrid => Spec {
                above: line("+", "-", "+", "+"),
                below_header: Some(GridColons),
                between: line("+", "-", "+", "+"),
                below: line("+", "-", "+", "+"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::SimpleGrid | Self::SimpleOutline => boxed(
                [["┌", "─", "┬", "┐"], light, light, ["└", "─", "┴", "┘"]],
                "│",
                self == Self::SimpleOutline,
            ),
            Self::RoundedGrid | Self::RoundedOutline => boxed(
                [["╭", "─", "┬", "╮"], light, light, ["╰", "─", "┴", "╯"]],
                "│",
                self == Self::RoundedOutline,
            ),
            Self::HeavyGrid | Self::HeavyOutline => boxed(
                [
                    ["┏", "━", "┳", "┓"],
                    ["┣", "━", "╋", "┫"],
                    ["┣", "━", "╋", "┫"],
                    ["┗", "━", "┻", "┛"],
                ],
                "┃",
                self == Self::HeavyOutline,
            ),
            Self::MixedGrid | Self::MixedOutline => boxed(
                [
                    ["┍", "━", "┯", "┑"],
                    ["┝", "━", "┿", "┥"],
                    light,
                    ["┕", "━", "┷", "┙"],
                ],
                "│",
                self == Self::MixedOutline,
            ),
            Self::DoubleGrid | Self::DoubleOutline => boxed(
                [
                    ["╔", "═", "╦", "╗"],
                    ["╠", "═", "╬", "╣"],
                    ["╠", "═", "╬", "╣"],
                    ["╚", "═", "╩", "╝"],
                ],
                "║",
                self == Self::DoubleOutline,
            ),
            Self::FancyGrid | Self::FancyOutline => boxed(
                [
                    ["╒", "═", "╤", "╕"],
                    ["╞", "═", "╪", "╡"],
                    light,
                    ["╘", "═", "╧", "╛"],
                ],
                "│",
                self == Self::FancyOutline,
            ),
            Self::Github => Spec {
                above: line("|", "-", "|", "|"),
                below_header: line("|", "-", "|", "|"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                hide_above: true,
                ..base
            },
            Self::Pipe => Spec {
                above: Some(PipeColons),
                below_header: Some(PipeColons),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                hide_above: true,
                ..base
            },
            Self::Orgtbl => Spec {
                below_header: line("|", "-", "+", "|"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::Jira => Spec {
                header: row("||", "||", "||"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::Presto => Spec {
                below_header: line("", "-", "+", ""),
                header: row("", "|", ""),
                data: row("", "|", ""),
                padding: 1,
                ..base
            },
            Self::Pretty => Spec {
                above: line("+", "-", "+", "+"),
                below_header: line("+", "-", "+", "+"),
                below: line("+", "-", "+", "+"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::Psql => Spec {
                above: line("+", "-", "+", "+"),
                below_header: line("|", "-", "+", "|"),
                below: line("+", "-", "+", "+"),
                header: row("|", "|", "|"),
                data: row("|", "|", "|"),
                padding: 1,
                ..base
            },
            Self::Rst => Spec {
                above: line("", "=", "  ", ""),
                below_header: line("", "=", "  ", ""),
                below: line("", "=", "  ", ""),
                ..base
            },
            Self::Mediawiki => Spec {
                above: line(
                    "{| class=\"wikitable\" style=\"text-align: left;\"",
                    "",
                    "",
                    "\n|+ <!-- caption -->\n|-",
                ),
                below_header: rule("|-"),
                between: rule("|-"),
                below: rule("|}"),
                header: RowSpec::Mediawiki { sep: "!" },
                data: RowSpec::Mediawiki { sep: "|" },
                multiline: false,
                ..base
            },
            Self::Moinmoin => Spec {
                header: RowSpec::Moinmoin { header: true },
                data: RowSpec::Moinmoin { header: false },
                padding: 1,
                multiline: false,
                ..base
            },
            Self::Youtrack => Spec {
                header: row("|| ", " || ", " || "),
                data: row("| ", " | ", " |"),
                padding: 1,
                multiline: false,
                ..base
            },
            Self::Html | Self::Unsafehtml => {
                let escape = self == Self::Html;
                Spec {
                    above: Some(HtmlBegin),
                    below: rule("</tbody>\n</table>"),
                    header: RowSpec::Html {
                        header: true,
                        escape,
                    },
                    data: RowSpec::Html {
                        header: false,
                        escape,
                    },
                    hide_above: true,
                    multiline: false,
                    ..base
                }
            }
            Self::Latex | Self::LatexRaw | Self::LatexBooktabs | Self::LatexLongtable => {
                let booktabs = self == Self::LatexBooktabs;
                let longtable = self == Self::LatexLongtable;
                let escape = self != Self::LatexRaw;
                Spec {
                    above: Some(LatexBegin {
                        booktabs,
                        longtable,
                    }),
                    below_header: rule(if booktabs {
                        "\\midrule"
                    } else if longtable {
                        "\\hline\n\\endhead"
                    } else {
                        "\\hline"
                    }),
                    below: rule(if booktabs {
                        "\\bottomrule\n\\end{tabular}"
                    } else if longtable {
                        "\\hline\n\\end{longtable}"
                    } else {
                        "\\hline\n\\end{tabular}"
                    }),
                    header: RowSpec::Latex { escape },
                    data: RowSpec::Latex { escape },
                    padding: 1,
                    multiline: false,
                    ..base
                }
            }
            Self::Tsv => Spec {
                header: row("", "\t", ""),
                data: row("", "\t", ""),
                multiline: false,
                ..base
            },
            Self::Textile => Spec {
                header: row("|_. ", "|_.", "|"),
                data: RowSpec::Textile,
                padding: 1,
                multiline: false,
                ..base
            },
            Self::Asciidoc => Spec {
                above: Some(AsciidocBegin),
                below: rule("|===="),
                header: RowSpec::Asciidoc { header: true },
                data: RowSpec::Asciidoc { header: false },
                padding: 1,
                hide_above: true,
                multiline: false,
                ..base
            },
        }
    }
}

/// A horizontal line of a format (tabulate's `Line` or a line-drawing function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineSpec {
    /// `begin + sep.join(fill * width for each column) + end`, right-stripped.
    Plain {
        begin: &'static str,
        fill: &'static str,
        sep: &'static str,
        end: &'static str,
    },
    /// `pipe`: `|:---|---:|` from the column alignments.
    PipeColons,
    /// `colon_grid`: `+:===+===:+` from the column alignments.
    GridColons,
    /// `html` without a header: `<table>\n<tbody>`.
    HtmlBegin,
    /// `\begin{tabular}{lr}` (or `longtable`) and its first rule.
    LatexBegin { booktabs: bool, longtable: bool },
    /// `[cols="<8,>3"]\n|====` when there is no header row.
    AsciidocBegin,
}

/// A header or data row of a format (tabulate's `DataRow` or a row-drawing function).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RowSpec {
    /// `begin + sep.join(padded cells) + end`, right-stripped.
    Plain {
        begin: &'static str,
        sep: &'static str,
        end: &'static str,
    },
    /// `mediawiki`: `! cell !! cell` / `| cell || cell` with alignment styles.
    Mediawiki { sep: &'static str },
    /// `moinmoin`: `|| cell || cell ||`, headers in `'''`.
    Moinmoin { header: bool },
    /// `html`/`unsafehtml`: `<tr><td>…</td></tr>`.
    Html { header: bool, escape: bool },
    /// `latex*`: `cell & cell \\`.
    Latex { escape: bool },
    /// `textile` data rows: `|<. cell |>. cell|`.
    Textile,
    /// `asciidoc`: `|cell|cell`, the header row preceded by the `[cols=…]` line.
    Asciidoc { header: bool },
}

/// One entry of tabulate's `_table_formats`, plus whether it is a `multiline_formats` one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) above: Option<LineSpec>,
    pub(crate) below_header: Option<LineSpec>,
    pub(crate) between: Option<LineSpec>,
    pub(crate) below: Option<LineSpec>,
    pub(crate) header: RowSpec,
    pub(crate) data: RowSpec,
    pub(crate) padding: usize,
    /// `with_header_hide` holds `lineabove`.
    pub(crate) hide_above: bool,
    /// `with_header_hide` holds `linebelow`.
    pub(crate) hide_below: bool,
    /// Listed in `multiline_formats`: cells with `\r`/`\n` are laid out over several lines.
    pub(crate) multiline: bool,
}

impl fmt::Display for TableFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A `tablefmt` name that python-tabulate 0.10.0 does not know.
///
/// (tabulate itself silently falls back to `simple`; wharf refuses instead.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown table format `{name}` (expected one of: {})", known_names())]
pub struct UnknownTableFormatError {
    /// The name as given.
    pub name: String,
}

fn known_names() -> String {
    TableFormat::ALL.map(TableFormat::as_str).join(", ")
}

impl FromStr for TableFormat {
    type Err = UnknownTableFormatError;

    /// Parses one of tabulate's exact, lowercase `tablefmt` names.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == name)
            .ok_or_else(|| UnknownTableFormatError {
                name: name.to_owned(),
            })
    }
}
