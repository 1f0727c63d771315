//! One inline snapshot per format, on one small table that shows each format's alignment,
//! escaping and number handling. `tests/differential.rs` checks the same table (and
//! thousands more) against python-tabulate 0.10.0 itself.

use wharf_tabulate::{TableFormat, tabulate};

/// A text column with characters that html and LaTeX escape, a version column with a
/// missing cell, a float column (`6.0` prints as `6`, points line up) and a text column
/// with an empty cell.
fn small_table(format: TableFormat) -> String {
    let rows: Vec<Vec<Option<&str>>> = vec![
        vec![Some("numpy"), Some("1.23.0"), Some("6.0"), Some("cp310")],
        vec![Some("<sci&py>"), None, Some("10"), Some("py2,py3")],
        vec![Some("tex_{x}~"), Some("2.0"), Some("0.25"), Some("")],
    ];
    tabulate(&["name", "version", "n", "tags"], &rows, format)
}

#[test]
fn asciidoc() {
    insta::assert_snapshot!(small_table(TableFormat::Asciidoc), @r#"
    [cols="<10,<11,>7,<9",options="header"]
    |====
    | name     | version   |     n | tags    
    | numpy    | 1.23.0    |  6    | cp310   
    | <sci&py> |           | 10    | py2,py3 
    | tex_{x}~ | 2.0       |  0.25 |         
    |====
    "#);
}

#[test]
fn colon_grid() {
    insta::assert_snapshot!(small_table(TableFormat::ColonGrid), @"
    +----------+-----------+------+---------+
    | name     | version   | n    | tags    |
    +:=========+:==========+:=====+:========+
    | numpy    | 1.23.0    | 6    | cp310   |
    +----------+-----------+------+---------+
    | <sci&py> |           | 10   | py2,py3 |
    +----------+-----------+------+---------+
    | tex_{x}~ | 2.0       | 0.25 |         |
    +----------+-----------+------+---------+
    ");
}

#[test]
fn double_grid() {
    insta::assert_snapshot!(small_table(TableFormat::DoubleGrid), @"
    ╔══════════╦═══════════╦═══════╦═════════╗
    ║ name     ║ version   ║     n ║ tags    ║
    ╠══════════╬═══════════╬═══════╬═════════╣
    ║ numpy    ║ 1.23.0    ║  6    ║ cp310   ║
    ╠══════════╬═══════════╬═══════╬═════════╣
    ║ <sci&py> ║           ║ 10    ║ py2,py3 ║
    ╠══════════╬═══════════╬═══════╬═════════╣
    ║ tex_{x}~ ║ 2.0       ║  0.25 ║         ║
    ╚══════════╩═══════════╩═══════╩═════════╝
    ");
}

#[test]
fn double_outline() {
    insta::assert_snapshot!(small_table(TableFormat::DoubleOutline), @"
    ╔══════════╦═══════════╦═══════╦═════════╗
    ║ name     ║ version   ║     n ║ tags    ║
    ╠══════════╬═══════════╬═══════╬═════════╣
    ║ numpy    ║ 1.23.0    ║  6    ║ cp310   ║
    ║ <sci&py> ║           ║ 10    ║ py2,py3 ║
    ║ tex_{x}~ ║ 2.0       ║  0.25 ║         ║
    ╚══════════╩═══════════╩═══════╩═════════╝
    ");
}

#[test]
fn fancy_grid() {
    insta::assert_snapshot!(small_table(TableFormat::FancyGrid), @"
    ╒══════════╤═══════════╤═══════╤═════════╕
    │ name     │ version   │     n │ tags    │
    ╞══════════╪═══════════╪═══════╪═════════╡
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    ├──────────┼───────────┼───────┼─────────┤
    │ <sci&py> │           │ 10    │ py2,py3 │
    ├──────────┼───────────┼───────┼─────────┤
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ╘══════════╧═══════════╧═══════╧═════════╛
    ");
}

#[test]
fn fancy_outline() {
    insta::assert_snapshot!(small_table(TableFormat::FancyOutline), @"
    ╒══════════╤═══════════╤═══════╤═════════╕
    │ name     │ version   │     n │ tags    │
    ╞══════════╪═══════════╪═══════╪═════════╡
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    │ <sci&py> │           │ 10    │ py2,py3 │
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ╘══════════╧═══════════╧═══════╧═════════╛
    ");
}

#[test]
fn github() {
    insta::assert_snapshot!(small_table(TableFormat::Github), @"
    | name     | version   |     n | tags    |
    |----------|-----------|-------|---------|
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    ");
}

#[test]
fn grid() {
    insta::assert_snapshot!(small_table(TableFormat::Grid), @"
    +----------+-----------+-------+---------+
    | name     | version   |     n | tags    |
    +==========+===========+=======+=========+
    | numpy    | 1.23.0    |  6    | cp310   |
    +----------+-----------+-------+---------+
    | <sci&py> |           | 10    | py2,py3 |
    +----------+-----------+-------+---------+
    | tex_{x}~ | 2.0       |  0.25 |         |
    +----------+-----------+-------+---------+
    ");
}

#[test]
fn heavy_grid() {
    insta::assert_snapshot!(small_table(TableFormat::HeavyGrid), @"
    ┏━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━┓
    ┃ name     ┃ version   ┃     n ┃ tags    ┃
    ┣━━━━━━━━━━╋━━━━━━━━━━━╋━━━━━━━╋━━━━━━━━━┫
    ┃ numpy    ┃ 1.23.0    ┃  6    ┃ cp310   ┃
    ┣━━━━━━━━━━╋━━━━━━━━━━━╋━━━━━━━╋━━━━━━━━━┫
    ┃ <sci&py> ┃           ┃ 10    ┃ py2,py3 ┃
    ┣━━━━━━━━━━╋━━━━━━━━━━━╋━━━━━━━╋━━━━━━━━━┫
    ┃ tex_{x}~ ┃ 2.0       ┃  0.25 ┃         ┃
    ┗━━━━━━━━━━┻━━━━━━━━━━━┻━━━━━━━┻━━━━━━━━━┛
    ");
}

#[test]
fn heavy_outline() {
    insta::assert_snapshot!(small_table(TableFormat::HeavyOutline), @"
    ┏━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━┓
    ┃ name     ┃ version   ┃     n ┃ tags    ┃
    ┣━━━━━━━━━━╋━━━━━━━━━━━╋━━━━━━━╋━━━━━━━━━┫
    ┃ numpy    ┃ 1.23.0    ┃  6    ┃ cp310   ┃
    ┃ <sci&py> ┃           ┃ 10    ┃ py2,py3 ┃
    ┃ tex_{x}~ ┃ 2.0       ┃  0.25 ┃         ┃
    ┗━━━━━━━━━━┻━━━━━━━━━━━┻━━━━━━━┻━━━━━━━━━┛
    ");
}

#[test]
fn html() {
    insta::assert_snapshot!(small_table(TableFormat::Html), @r#"
    <table>
    <thead>
    <tr><th>name    </th><th>version  </th><th style="text-align: right;">    n</th><th>tags   </th></tr>
    </thead>
    <tbody>
    <tr><td>numpy   </td><td>1.23.0   </td><td style="text-align: right;"> 6   </td><td>cp310  </td></tr>
    <tr><td>&lt;sci&amp;py&gt;</td><td>         </td><td style="text-align: right;">10   </td><td>py2,py3</td></tr>
    <tr><td>tex_{x}~</td><td>2.0      </td><td style="text-align: right;"> 0.25</td><td>       </td></tr>
    </tbody>
    </table>
    "#);
}

#[test]
fn jira() {
    insta::assert_snapshot!(small_table(TableFormat::Jira), @"
    || name     || version   ||     n || tags    ||
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    ");
}

#[test]
fn latex() {
    insta::assert_snapshot!(small_table(TableFormat::Latex), @r"
    \begin{tabular}{llrl}
    \hline
     name     & version   &     n & tags    \\
    \hline
     numpy    & 1.23.0    &  6    & cp310   \\
     \ensuremath{<}sci\&py\ensuremath{>} &           & 10    & py2,py3 \\
     tex\_\{x\}\textasciitilde{} & 2.0       &  0.25 &         \\
    \hline
    \end{tabular}
    ");
}

#[test]
fn latex_booktabs() {
    insta::assert_snapshot!(small_table(TableFormat::LatexBooktabs), @r"
    \begin{tabular}{llrl}
    \toprule
     name     & version   &     n & tags    \\
    \midrule
     numpy    & 1.23.0    &  6    & cp310   \\
     \ensuremath{<}sci\&py\ensuremath{>} &           & 10    & py2,py3 \\
     tex\_\{x\}\textasciitilde{} & 2.0       &  0.25 &         \\
    \bottomrule
    \end{tabular}
    ");
}

#[test]
fn latex_longtable() {
    insta::assert_snapshot!(small_table(TableFormat::LatexLongtable), @r"
    \begin{longtable}{llrl}
    \hline
     name     & version   &     n & tags    \\
    \hline
    \endhead
     numpy    & 1.23.0    &  6    & cp310   \\
     \ensuremath{<}sci\&py\ensuremath{>} &           & 10    & py2,py3 \\
     tex\_\{x\}\textasciitilde{} & 2.0       &  0.25 &         \\
    \hline
    \end{longtable}
    ");
}

#[test]
fn latex_raw() {
    insta::assert_snapshot!(small_table(TableFormat::LatexRaw), @r"
    \begin{tabular}{llrl}
    \hline
     name     & version   &     n & tags    \\
    \hline
     numpy    & 1.23.0    &  6    & cp310   \\
     <sci&py> &           & 10    & py2,py3 \\
     tex_{x}~ & 2.0       &  0.25 &         \\
    \hline
    \end{tabular}
    ");
}

#[test]
fn mediawiki() {
    insta::assert_snapshot!(small_table(TableFormat::Mediawiki), @r#"
    {| class="wikitable" style="text-align: left;"
    |+ <!-- caption -->
    |-
    ! name     !! version   !! style="text-align: right;"|     n !! tags
    |-
    | numpy    || 1.23.0    || style="text-align: right;"|  6    || cp310
    |-
    | <sci&py> ||           || style="text-align: right;"| 10    || py2,py3
    |-
    | tex_{x}~ || 2.0       || style="text-align: right;"|  0.25 ||
    |}
    "#);
}

#[test]
fn mixed_grid() {
    insta::assert_snapshot!(small_table(TableFormat::MixedGrid), @"
    ┍━━━━━━━━━━┯━━━━━━━━━━━┯━━━━━━━┯━━━━━━━━━┑
    │ name     │ version   │     n │ tags    │
    ┝━━━━━━━━━━┿━━━━━━━━━━━┿━━━━━━━┿━━━━━━━━━┥
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    ├──────────┼───────────┼───────┼─────────┤
    │ <sci&py> │           │ 10    │ py2,py3 │
    ├──────────┼───────────┼───────┼─────────┤
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ┕━━━━━━━━━━┷━━━━━━━━━━━┷━━━━━━━┷━━━━━━━━━┙
    ");
}

#[test]
fn mixed_outline() {
    insta::assert_snapshot!(small_table(TableFormat::MixedOutline), @"
    ┍━━━━━━━━━━┯━━━━━━━━━━━┯━━━━━━━┯━━━━━━━━━┑
    │ name     │ version   │     n │ tags    │
    ┝━━━━━━━━━━┿━━━━━━━━━━━┿━━━━━━━┿━━━━━━━━━┥
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    │ <sci&py> │           │ 10    │ py2,py3 │
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ┕━━━━━━━━━━┷━━━━━━━━━━━┷━━━━━━━┷━━━━━━━━━┙
    ");
}

#[test]
fn moinmoin() {
    insta::assert_snapshot!(small_table(TableFormat::Moinmoin), @r#"
    || ''' name     ''' || ''' version   ''' ||<style="text-align: right;"> '''     n ''' || ''' tags    ''' ||
    ||  numpy     ||  1.23.0     ||<style="text-align: right;">   6     ||  cp310    ||
    ||  <sci&py>  ||             ||<style="text-align: right;">  10     ||  py2,py3  ||
    ||  tex_{x}~  ||  2.0        ||<style="text-align: right;">   0.25  ||           ||
    "#);
}

#[test]
fn orgtbl() {
    insta::assert_snapshot!(small_table(TableFormat::Orgtbl), @"
    | name     | version   |     n | tags    |
    |----------+-----------+-------+---------|
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    ");
}

#[test]
fn outline() {
    insta::assert_snapshot!(small_table(TableFormat::Outline), @"
    +----------+-----------+-------+---------+
    | name     | version   |     n | tags    |
    +==========+===========+=======+=========+
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    +----------+-----------+-------+---------+
    ");
}

#[test]
fn pipe() {
    insta::assert_snapshot!(small_table(TableFormat::Pipe), @"
    | name     | version   |     n | tags    |
    |:---------|:----------|------:|:--------|
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    ");
}

#[test]
fn plain() {
    insta::assert_snapshot!(small_table(TableFormat::Plain), @"
    name      version        n  tags
    numpy     1.23.0      6     cp310
    <sci&py>             10     py2,py3
    tex_{x}~  2.0         0.25
    ");
}

#[test]
fn presto() {
    insta::assert_snapshot!(small_table(TableFormat::Presto), @"
     name     | version   |     n | tags
    ----------+-----------+-------+---------
     numpy    | 1.23.0    |  6    | cp310
     <sci&py> |           | 10    | py2,py3
     tex_{x}~ | 2.0       |  0.25 |
    ");
}

#[test]
fn pretty() {
    insta::assert_snapshot!(small_table(TableFormat::Pretty), @"
    +----------+---------+------+---------+
    |   name   | version |  n   |  tags   |
    +----------+---------+------+---------+
    |  numpy   | 1.23.0  | 6.0  |  cp310  |
    | <sci&py> |         |  10  | py2,py3 |
    | tex_{x}~ |   2.0   | 0.25 |         |
    +----------+---------+------+---------+
    ");
}

#[test]
fn psql() {
    insta::assert_snapshot!(small_table(TableFormat::Psql), @"
    +----------+-----------+-------+---------+
    | name     | version   |     n | tags    |
    |----------+-----------+-------+---------|
    | numpy    | 1.23.0    |  6    | cp310   |
    | <sci&py> |           | 10    | py2,py3 |
    | tex_{x}~ | 2.0       |  0.25 |         |
    +----------+-----------+-------+---------+
    ");
}

#[test]
fn rounded_grid() {
    insta::assert_snapshot!(small_table(TableFormat::RoundedGrid), @"
    ╭──────────┬───────────┬───────┬─────────╮
    │ name     │ version   │     n │ tags    │
    ├──────────┼───────────┼───────┼─────────┤
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    ├──────────┼───────────┼───────┼─────────┤
    │ <sci&py> │           │ 10    │ py2,py3 │
    ├──────────┼───────────┼───────┼─────────┤
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ╰──────────┴───────────┴───────┴─────────╯
    ");
}

#[test]
fn rounded_outline() {
    insta::assert_snapshot!(small_table(TableFormat::RoundedOutline), @"
    ╭──────────┬───────────┬───────┬─────────╮
    │ name     │ version   │     n │ tags    │
    ├──────────┼───────────┼───────┼─────────┤
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    │ <sci&py> │           │ 10    │ py2,py3 │
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    ╰──────────┴───────────┴───────┴─────────╯
    ");
}

#[test]
fn rst() {
    insta::assert_snapshot!(small_table(TableFormat::Rst), @"
    ========  =========  =====  =======
    name      version        n  tags
    ========  =========  =====  =======
    numpy     1.23.0      6     cp310
    <sci&py>             10     py2,py3
    tex_{x}~  2.0         0.25
    ========  =========  =====  =======
    ");
}

#[test]
fn simple() {
    insta::assert_snapshot!(small_table(TableFormat::Simple), @"
    name      version        n  tags
    --------  ---------  -----  -------
    numpy     1.23.0      6     cp310
    <sci&py>             10     py2,py3
    tex_{x}~  2.0         0.25
    ");
}

#[test]
fn simple_grid() {
    insta::assert_snapshot!(small_table(TableFormat::SimpleGrid), @"
    ┌──────────┬───────────┬───────┬─────────┐
    │ name     │ version   │     n │ tags    │
    ├──────────┼───────────┼───────┼─────────┤
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    ├──────────┼───────────┼───────┼─────────┤
    │ <sci&py> │           │ 10    │ py2,py3 │
    ├──────────┼───────────┼───────┼─────────┤
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    └──────────┴───────────┴───────┴─────────┘
    ");
}

#[test]
fn simple_outline() {
    insta::assert_snapshot!(small_table(TableFormat::SimpleOutline), @"
    ┌──────────┬───────────┬───────┬─────────┐
    │ name     │ version   │     n │ tags    │
    ├──────────┼───────────┼───────┼─────────┤
    │ numpy    │ 1.23.0    │  6    │ cp310   │
    │ <sci&py> │           │ 10    │ py2,py3 │
    │ tex_{x}~ │ 2.0       │  0.25 │         │
    └──────────┴───────────┴───────┴─────────┘
    ");
}

#[test]
fn textile() {
    insta::assert_snapshot!(small_table(TableFormat::Textile), @"
    |_.  name     |_. version   |_.     n |_. tags    |
    |<. numpy     |<. 1.23.0    |>.  6    |<. cp310   |
    |<. <sci&py>  |<.           |>. 10    |<. py2,py3 |
    |<. tex_{x}~  |<. 2.0       |>.  0.25 |<.         |
    ");
}

#[test]
fn tsv() {
    insta::assert_snapshot!(small_table(TableFormat::Tsv), @"
    name    	version  	    n	tags
    numpy   	1.23.0   	 6   	cp310
    <sci&py>	         	10   	py2,py3
    tex_{x}~	2.0      	 0.25
    ");
}

#[test]
fn unsafehtml() {
    insta::assert_snapshot!(small_table(TableFormat::Unsafehtml), @r#"
    <table>
    <thead>
    <tr><th>name    </th><th>version  </th><th style="text-align: right;">    n</th><th>tags   </th></tr>
    </thead>
    <tbody>
    <tr><td>numpy   </td><td>1.23.0   </td><td style="text-align: right;"> 6   </td><td>cp310  </td></tr>
    <tr><td><sci&py></td><td>         </td><td style="text-align: right;">10   </td><td>py2,py3</td></tr>
    <tr><td>tex_{x}~</td><td>2.0      </td><td style="text-align: right;"> 0.25</td><td>       </td></tr>
    </tbody>
    </table>
    "#);
}

#[test]
fn youtrack() {
    insta::assert_snapshot!(small_table(TableFormat::Youtrack), @"
    ||  name      ||  version    ||      n  ||  tags     ||
    |  numpy     |  1.23.0     |   6     |  cp310    |
    |  <sci&py>  |             |  10     |  py2,py3  |
    |  tex_{x}~  |  2.0        |   0.25  |           |
    ");
}

#[test]
fn headers_only() {
    let no_rows: &[Vec<Option<String>>] = &[];
    insta::assert_snapshot!(tabulate(&["name", "version"], no_rows, TableFormat::Pipe), @"
    | name   | version   |
    |--------|-----------|
    ");
    insta::assert_snapshot!(tabulate(&["name", "version"], no_rows, TableFormat::Simple), @"
    name    version
    ------  ---------
    ");
}

#[test]
fn empty_table_is_empty() {
    let no_rows: &[Vec<Option<String>>] = &[];
    let no_headers: &[&str] = &[];
    for format in TableFormat::ALL {
        assert_eq!(tabulate(no_headers, no_rows, format), "", "{format}");
    }
}

#[test]
fn names_round_trip() {
    for format in TableFormat::ALL {
        assert_eq!(format.to_string().parse::<TableFormat>(), Ok(format));
    }
    let mut sorted = TableFormat::ALL.map(TableFormat::as_str);
    sorted.sort_unstable();
    assert_eq!(sorted, TableFormat::ALL.map(TableFormat::as_str));
}

#[test]
fn err_unknown_format() {
    let error = "Grid".parse::<TableFormat>().unwrap_err();
    insta::assert_snapshot!(error, @"unknown table format `Grid` (expected one of: asciidoc, colon_grid, double_grid, double_outline, fancy_grid, fancy_outline, github, grid, heavy_grid, heavy_outline, html, jira, latex, latex_booktabs, latex_longtable, latex_raw, mediawiki, mixed_grid, mixed_outline, moinmoin, orgtbl, outline, pipe, plain, presto, pretty, psql, rounded_grid, rounded_outline, rst, simple, simple_grid, simple_outline, textile, tsv, unsafehtml, youtrack)");
}
