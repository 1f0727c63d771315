//! The "Available Python wheels" page at `/`: the table `avail_wheels` prints (name, version,
//! python, arch; its selection and order), searchable by name glob, filtered by Python and
//! arch, latest or all versions; each row links to its project page and its file.
//!
//! Server-rendered HTML that works without JavaScript (the form is a plain GET). A small
//! inline script makes filtering instant: as one types, it fetches the same results as an
//! HTML fragment (`&fragment=1`) and swaps them in, so both paths share one implementation.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use wharf_avail::{AvailQuery, AvailRequirement, Column, Group, NotAvailable};
use wharf_site::{Catalogue, PythonVersion};

use crate::simple::escape;
use crate::state::{Site, Snapshot};

/// Rows rendered at most; the count says when more matched.
const MAX_ROWS: usize = 2000;

/// The page's query: `q`, `python`, `arch`, `versions` (`latest` or `all`), `fragment`.
#[derive(Debug, Default)]
struct PageQuery {
    q: String,
    python: String,
    arch: String,
    all_versions: bool,
    fragment: bool,
}

impl PageQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut parsed = Self::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let value: String = value.chars().take(200).collect();
            match &*key {
                "q" => parsed.q = value.trim().to_string(),
                "python" => parsed.python = value,
                "arch" => parsed.arch = value,
                "versions" => parsed.all_versions = value == "all",
                "fragment" => parsed.fragment = !value.is_empty(),
                _ => {}
            }
        }
        parsed
    }
}

pub(crate) async fn page(State(site): State<Arc<Site>>, RawQuery(query): RawQuery) -> Response {
    let query = PageQuery::parse(query.as_deref());
    let snapshot = site.snapshot();
    let results = results(&snapshot, &query);
    let body = if query.fragment {
        results
    } else {
        full_page(&snapshot, &query, &results)
    };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The requirements of a search: whitespace- or comma-separated `avail_wheels` patterns.
fn requirements(q: &str) -> Result<Option<Vec<AvailRequirement>>, String> {
    let parts: Vec<&str> = q
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return Ok(None);
    }
    parts
        .iter()
        .map(|p| AvailRequirement::parse(p).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The `<div id="results">`: a summary line and the table.
fn results(snapshot: &Snapshot, query: &PageQuery) -> String {
    let mut notes: Vec<String> = Vec::new();
    let arch_catalogue: Option<Arc<Catalogue>> = if query.arch.is_empty() {
        None
    } else {
        let found = snapshot.arch_catalogue(&query.arch);
        if found.is_none() {
            notes.push(format!("unknown arch `{}`: showing every arch", query.arch));
        }
        found
    };
    let catalogue: &Catalogue = arch_catalogue.as_deref().unwrap_or(&snapshot.catalogue);
    let pythons: Vec<PythonVersion> = if let Ok(python) = query.python.parse() {
        vec![python]
    } else {
        if !query.python.is_empty() && query.python != "any" {
            notes.push(format!(
                "unknown Python `{}`: showing every Python",
                query.python
            ));
        }
        snapshot.page_pythons.clone()
    };
    let mut requirements = match requirements(&query.q) {
        Ok(requirements) => requirements,
        Err(error) => {
            notes.push(format!("invalid search: {error}"));
            Some(Vec::new())
        }
    };
    let mut avail = AvailQuery {
        requirements: requirements.clone(),
        pythons,
        latest: !query.all_versions,
    };
    let mut groups = wharf_avail::select(catalogue, &avail, NotAvailable::Hide);
    // A plain name that matches nothing exactly is taken as a prefix (what one typed so far).
    let plain = !query.q.is_empty()
        && query
            .q
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if groups.is_empty()
        && plain
        && let Ok(prefix) = AvailRequirement::parse(&format!("{}*", query.q))
    {
        {
            requirements = Some(vec![prefix]);
            avail.requirements = requirements;
            groups = wharf_avail::select(catalogue, &avail, NotAvailable::Hide);
            if !groups.is_empty() {
                notes.push(format!(
                    "no project named `{}`; showing names starting with it",
                    query.q
                ));
            }
        }
    }
    let total: usize = groups
        .iter()
        .map(|g| match g {
            Group::Wheels(w) => w.len(),
            Group::NotAvailable(_) => 0,
        })
        .sum();
    let mut out = String::with_capacity(256 + total.min(MAX_ROWS) * 300);
    out.push_str("<div id=\"results\">\n");
    for note in &notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    let shown = total.min(MAX_ROWS);
    let _ = writeln!(
        out,
        "<p id=\"count\" aria-live=\"polite\">{}</p>",
        if shown < total {
            format!("{shown} of {total} wheels shown; refine the search to see the rest")
        } else if total == 1 {
            "1 wheel".to_string()
        } else {
            format!("{total} wheels")
        }
    );
    out.push_str("<div class=\"scroll\"><table id=\"wheels\">\n<thead><tr><th scope=\"col\">name</th><th scope=\"col\">version</th><th scope=\"col\">python</th><th scope=\"col\">arch</th><th scope=\"col\">file</th></tr></thead>\n<tbody>\n");
    let columns = [Column::Name, Column::Version, Column::Python, Column::Arch];
    let wheels = groups
        .iter()
        .filter_map(|g| match g {
            Group::Wheels(w) => Some(w),
            Group::NotAvailable(_) => None,
        })
        .flatten()
        .take(MAX_ROWS);
    for wheel in wheels {
        let cell =
            |column: Column| escape(column.cell(wheel, catalogue).as_deref().unwrap_or_default());
        let project = wheel.filename.name.to_string();
        let file_name = wheel.file_name();
        let file = snapshot
            .by_name
            .get(file_name)
            .and_then(|i| snapshot.url_of.get(i))
            .map_or_else(
                || escape(file_name),
                |url| format!("<a href=\"{url}\" download>{}</a>", escape(file_name)),
            );
        let _ = writeln!(
            out,
            "<tr data-name=\"{project}\"><td><a href=\"/simple/{project}/\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"file\">{file}</td></tr>",
            cell(columns[0]),
            cell(columns[1]),
            cell(columns[2]),
            cell(columns[3]),
        );
    }
    out.push_str("</tbody>\n</table></div>\n</div>\n");
    out
}

const STYLE: &str = "
:root{color-scheme:light dark;--line:#8884;--accent:#2563eb}
*{box-sizing:border-box}
body{font:16px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:72rem;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
form{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin-bottom:.8rem}
label{display:flex;flex-direction:column;font-size:.85rem;gap:.2rem}
label.search{flex:1 1 14rem}
input,select,button{font:inherit;padding:.45rem .5rem;border:1px solid var(--line);border-radius:.4rem;min-height:2.6rem}
button{background:var(--accent);color:#fff;border:0;padding:.45rem 1rem}
.js #go{display:none}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid var(--line);white-space:nowrap}
td.file{white-space:normal;word-break:break-all;font-size:.85rem;min-width:18rem}
a{color:var(--accent)}
.note{padding:.4rem .6rem;border-left:3px solid var(--accent)}
#count{color:#888;margin:.3rem 0}
footer{margin-top:1rem;font-size:.85rem;color:#888}
";

const SCRIPT: &str = "
(function(){
  var form=document.getElementById('filters'),q=document.getElementById('q'),timer=0,seq=0;
  document.documentElement.className+=' js';
  function update(){
    var params=new URLSearchParams(new FormData(form));
    history.replaceState(null,'','?'+params.toString());
    params.set('fragment','1');
    var mine=++seq;
    fetch('/?'+params.toString()).then(function(r){return r.text();}).then(function(html){
      if(mine!==seq)return;
      document.getElementById('results').outerHTML=html;
    });
  }
  q.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(update,60);});
  form.addEventListener('change',function(e){if(e.target!==q)update();});
  form.addEventListener('submit',function(e){e.preventDefault();update();});
})();
";

fn full_page(snapshot: &Snapshot, query: &PageQuery, results: &str) -> String {
    let mut python_options = String::from("<option value=\"\">any</option>");
    for python in &snapshot.page_pythons {
        let value = python.to_string();
        let selected = if value == query.python {
            " selected"
        } else {
            ""
        };
        let _ = write!(python_options, "<option{selected}>{value}</option>");
    }
    let mut archs: Vec<&str> = Vec::new();
    for link in &snapshot.catalogue.find_links.0 {
        if !archs.contains(&link.arch.as_str()) {
            archs.push(&link.arch);
        }
    }
    let mut arch_options = String::from("<option value=\"\">any</option>");
    for arch in archs {
        let selected = if arch == query.arch { " selected" } else { "" };
        let _ = write!(arch_options, "<option{selected}>{}</option>", escape(arch));
    }
    let (latest, all) = if query.all_versions {
        ("", " selected")
    } else {
        (" selected", "")
    };
    format!(
        "<!DOCTYPE html>
<html lang=\"en\">
<head>
<meta charset=\"utf-8\">
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
<title>Available Python wheels</title>
<style>{STYLE}</style>
</head>
<body>
<h1>Available Python wheels</h1>
<form id=\"filters\" method=\"get\" action=\"/\" role=\"search\">
<label class=\"search\"><span>Name (glob, as in avail_wheels: <code>num*</code>, <code>*cdf*</code>)</span>
<input id=\"q\" name=\"q\" type=\"search\" value=\"{q}\" placeholder=\"numpy, *cdf*, torch*\" autocomplete=\"off\" autocapitalize=\"off\" spellcheck=\"false\" autofocus></label>
<label>Python<select id=\"python\" name=\"python\">{python_options}</select></label>
<label>Arch<select id=\"arch\" name=\"arch\">{arch_options}</select></label>
<label>Versions<select id=\"versions\" name=\"versions\"><option value=\"latest\"{latest}>latest</option><option value=\"all\"{all}>all</option></select></label>
<button id=\"go\" type=\"submit\">Search</button>
</form>
{results}<footer>Also a package index for pip and uv: <code>--index-url</code> this server's <a href=\"/simple/\">/simple/</a></footer>
<script>{SCRIPT}</script>
</body>
</html>
",
        q = escape(&query.q),
    )
}
