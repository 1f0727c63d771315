//! Differential test against pip 24.2's own parser.
//!
//! Needs a real interpreter with pip 24.2: `$WHARF_TEST_PYTHON`, set by
//! `eval "$(scripts/test-env.sh)"`. Without it the test is skipped, unless
//! `WHARF_TEST_REQUIRE_PEERS` is set, in which case it fails.
//!
//! Tricky files are written to a temp dir; pip's `parse_requirements` (with a package
//! finder, so options lines take effect) reads each one in a single Python run, and what it
//! yields — requirement texts, constraint/editable flags, `comes_from` (file and line),
//! hashes, per-requirement options, finder settings — must equal what we read.

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::{Map, Value, json};
use wharf_requirements_txt::{FileKind, RequirementEntry, RequirementsTxt, RequirementsTxtError};

/// Reads every case with pip and prints one JSON object per case, keyed by file name.
const REFERENCE_SCRIPT: &str = r#"
import json, optparse, sys
from pip._internal.cli import cmdoptions
from pip._internal.index.collector import LinkCollector
from pip._internal.index.package_finder import PackageFinder
from pip._internal.models.search_scope import SearchScope
from pip._internal.models.selection_prefs import SelectionPreferences
from pip._internal.network.session import PipSession
from pip._internal.req.req_file import parse_requirements

sys.setrecursionlimit(200)  # an include cycle fails fast


def read(path, constraint):
    # `--use-feature`'s optparse default is one list shared by every parser pip builds,
    # and `append` grows it: clear what an earlier case left there.
    cmdoptions.use_new_feature.keywords["default"].clear()
    session = PipSession()
    finder = PackageFinder.create(
        link_collector=LinkCollector(
            session=session,
            search_scope=SearchScope.create(find_links=[], index_urls=[], no_index=False),
        ),
        selection_prefs=SelectionPreferences(allow_yanked=True),
    )
    options = optparse.Values({"require_hashes": False, "features_enabled": []})
    groups = {"requirements": [], "constraints": [], "editables": []}
    try:
        for req in parse_requirements(
            path, session=session, finder=finder, options=options, constraint=constraint
        ):
            if req.is_editable:
                group = "editables"
            elif req.constraint:
                group = "constraints"
            else:
                group = "requirements"
            opts = req.options or {}
            groups[group].append({
                "text": req.requirement.strip(),
                "comes_from": req.comes_from,
                "hashes": sorted(
                    f"{algo}:{digest}"
                    for algo, digests in (opts.get("hashes") or {}).items()
                    for digest in digests
                ),
                "config_settings": opts.get("config_settings") or {},
                "global_options": opts.get("global_options") or [],
            })
    except BaseException as error:
        return {"error": f"{type(error).__name__}: {error}"[:300]}
    scope = finder.search_scope
    groups["options"] = {
        "index_urls": list(scope.index_urls),
        "find_links": list(scope.find_links),
        "no_index": scope.no_index,
        "pre": finder.allow_all_prereleases,
        "prefer_binary": finder.prefer_binary,
        "no_binary": sorted(finder.format_control.no_binary),
        "only_binary": sorted(finder.format_control.only_binary),
        "trusted_hosts": list(finder.trusted_hosts),
        "require_hashes": options.require_hashes,
        "features_enabled": options.features_enabled,
    }
    return groups


cases = json.load(open(sys.argv[1]))
print(json.dumps({case["name"]: read(case["path"], case["constraint"]) for case in cases}))
"#;

/// What pip and wharf should agree on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The same entries and options.
    Same,
    /// Both refuse the file.
    BothFail,
    /// pip drops input silently; wharf refuses on purpose.
    OnlyWharfFails,
}

struct Case {
    top: &'static str,
    kind: FileKind,
    expect: Expect,
}

const fn case(top: &'static str, kind: FileKind, expect: Expect) -> Case {
    Case { top, kind, expect }
}

/// The files; cases name their top-level file.
const FILES: &[(&str, &str)] = &[
    (
        "basic.txt",
        "# a comment line\n\
         numpy==1.26.4\n   scipy >=1.11, <2   # trailing comment\n\n\
         Django[argon2]>=4.2; python_version >= \"3.10\"\n\
         foo#not-a-comment\n  # indented comment\n\
         bar\u{a0}# comment after a no-break space\n\
         baz\u{3000}# comment after an ideographic space\n",
    ),
    (
        "continuation.txt",
        "requests==2.32.3 \\\n    --hash=sha256:aaaa \\\n    --hash=sha256:bbbb\n\
         six \\\n  ==1.16.0\n\
         swallowed # comment \\\nthis-line-is-eaten\n\
         before-comment \\\n# a comment line ends it\n\
         after \\\\\nlast-line-continues \\\n",
    ),
    (
        "hashes.txt",
        "a==1 --hash=sha256:11 --hash=sha384:22\n\
         b==2 --hash sha512:33\n\
         c==3 --hash='sha256:44'\n\
         --hash=sha256:55\n\
         d==4  --hash=sha256:66\n",
    ),
    (
        "nested/main.txt",
        "top\n-r sub/inner.txt\n--requirement=sub/../other.txt\n-c constraints.txt\n\
         -rsub/glued.txt\n--constraint \"sub/spaced name.txt\"\nbottom\n",
    ),
    ("nested/sub/inner.txt", "inner\n-r ../leaf.txt\n"),
    ("nested/leaf.txt", "leaf\n"),
    ("nested/other.txt", "other\n"),
    (
        "nested/constraints.txt",
        "pinned==1\n-r req-from-c.txt\n-c more.txt\n--pre\n",
    ),
    ("nested/req-from-c.txt", "req-from-c\n"),
    ("nested/more.txt", "more<2\n"),
    ("nested/sub/glued.txt", "glued\n"),
    ("nested/sub/spaced name.txt", "spaced<3\n"),
    (
        "top-c.txt",
        "pinned-top==1\n-r nested/leaf.txt\n-c nested/more.txt\n",
    ),
    ("diamond/main.txt", "-r a.txt\n-r b.txt\n"),
    ("diamond/a.txt", "-r common.txt\na\n"),
    ("diamond/b.txt", "-r common.txt\nb\n"),
    ("diamond/common.txt", "common\n"),
    (
        "env.txt",
        "${PKG_NAME}==${PKG_VERSION}\n${UNSET_VAR}>=1\n$PKG_NAME\n${pkg_lower}\n\
         ${EMPTY_VAR}x\n-r ${ENV_SUBDIR}/env-inner.txt\n\
         --index-url https://${INDEX_HOST}/simple\n",
    ),
    ("envsub/env-inner.txt", "inner-from-env\n"),
    (
        "markers.txt",
        "foo; python_version < \"3.8\"\n\
         bar ; sys_platform == 'win32' and platform_machine != \"x86-64\"\n\
         baz[a,b]>=1.0 ; extra == 'test-x'\n\
         qux[security] @ https://example.org/qux-1.0.tar.gz ; os_name == \"posix\"\n\
         name-with-dash -e ignored-editable\n",
    ),
    (
        "urls.txt",
        "https://example.org/pkgs/foo-1.0-py3-none-any.whl\n\
         bar @ https://example.org/bar-2.0.tar.gz ; python_version > \"3.8\"\n\
         git+https://github.com/org/baz.git@v1.0#egg=baz\n\
         ./vendor/qux\n\
         file:///opt/wheels/x-1.0-py3-none-any.whl\n\
         https://example.org/a.whl#sha256=abc --hash=sha256:def\n",
    ),
    (
        "editables.txt",
        "-e ./proj\n\
         --editable=git+https://github.com/org/tool.git#egg=tool\n\
         -e \"./with space\" --config-settings k=v\n\
         -e. --hash=sha256:ignored\n\
         -e ./x --global-option=--quiet\n",
    ),
    (
        "options.txt",
        "-i https://primary.example.org/simple\n\
         --extra-index-url https://extra.example.org/simple\n\
         -f ./wheels\n-f https://example.org/links\n--find-links=missing-dir\n\
         --pre\n--prefer-binary\n\
         --only-binary=numpy,SciPy\n--no-binary Pillow,:all:,:none:,lxml\n\
         --trusted-host pypi.example.org:8080\n--trusted-host other.example.org\n\
         --trusted-host other.example.org\n\
         --require-hashes\n--use-feature fast-deps\n--use-feature=fast-deps\n\
         pkg --config-settings a=b -C a=c -C z=1 --global-option=--x --no-binary=late --pre\n\
         -r nested/leaf.txt --index-url https://ignored.example.org/simple\n",
    ),
    ("wheels/.keep", ""),
    (
        "index.txt",
        "--extra-index-url https://a/simple\n--index-url https://b/simple\n\
         --extra-index-url https://c/simple\n",
    ),
    (
        "noindex.txt",
        "--extra-index-url https://a/simple\n--no-i\n-i https://b/simple\n",
    ),
    (
        "crlf.txt",
        "a==1\r\nb==2 \\\r\n  --hash=sha256:77\r\n\x0cc==3\r\nd==4\u{2028}e==5\r\n",
    ),
    (
        "abbrev.txt",
        "--extra-index=https://c/simple\n--find=https://example.org/abbrev-links\n\
         --pref\n--requirem=nested/leaf.txt\nx --has=sha256:88\n\
         --pypi-url https://pypi-alias/simple\n",
    ),
    (
        "tabs.txt",
        "foo\t--hash=sha256:99\n\tindented==1\nspaced   ==   2\n\
         -r 'quoted inner.txt'\n\
         y --global-option \"a b\" --global-option=c\\ d -- \n",
    ),
    ("quoted inner.txt", "quoted-inner\n"),
    ("err-unknown.txt", "foo\n--upgrade\n"),
    ("err-hash.txt", "foo --hash=md5:00\n"),
    ("err-hash-shape.txt", "foo --hash=00\n"),
    ("err-missing.txt", "-r does-not-exist.txt\n"),
    ("err-quote.txt", "-r 'unclosed\n"),
    ("err-cycle.txt", "x\n-r err-cycle-b.txt\n"),
    ("err-cycle-b.txt", "-c ./err-cycle.txt\n"),
    ("err-ambiguous.txt", "--no x\n"),
    ("err-config.txt", "foo -C novalue\n"),
    ("err-feature.txt", "--use-feature=nope\n"),
    ("err-switch.txt", "--pre=1\n"),
    ("err-novalue.txt", "--index-url\n"),
    ("diff-stray.txt", "--pre numpy\n"),
    (
        "diff-several.txt",
        "-r nested/leaf.txt -r nested/other.txt\n",
    ),
    ("diff-editable-c.txt", "-e ./src\n"),
];

const CASES: &[Case] = &[
    case("basic.txt", FileKind::Requirements, Expect::Same),
    case("continuation.txt", FileKind::Requirements, Expect::Same),
    case("hashes.txt", FileKind::Requirements, Expect::Same),
    case("nested/main.txt", FileKind::Requirements, Expect::Same),
    case("top-c.txt", FileKind::Constraints, Expect::Same),
    case("diamond/main.txt", FileKind::Requirements, Expect::Same),
    case("env.txt", FileKind::Requirements, Expect::Same),
    case("markers.txt", FileKind::Requirements, Expect::Same),
    case("urls.txt", FileKind::Requirements, Expect::Same),
    case("editables.txt", FileKind::Requirements, Expect::Same),
    case("options.txt", FileKind::Requirements, Expect::Same),
    case("index.txt", FileKind::Requirements, Expect::Same),
    case("noindex.txt", FileKind::Requirements, Expect::Same),
    case("crlf.txt", FileKind::Requirements, Expect::Same),
    case("abbrev.txt", FileKind::Requirements, Expect::Same),
    case("tabs.txt", FileKind::Requirements, Expect::Same),
    case("err-unknown.txt", FileKind::Requirements, Expect::BothFail),
    case("err-hash.txt", FileKind::Requirements, Expect::BothFail),
    case(
        "err-hash-shape.txt",
        FileKind::Requirements,
        Expect::BothFail,
    ),
    case("err-missing.txt", FileKind::Requirements, Expect::BothFail),
    case("err-quote.txt", FileKind::Requirements, Expect::BothFail),
    case("err-cycle.txt", FileKind::Requirements, Expect::BothFail),
    case(
        "err-ambiguous.txt",
        FileKind::Requirements,
        Expect::BothFail,
    ),
    case("err-config.txt", FileKind::Requirements, Expect::BothFail),
    case("err-feature.txt", FileKind::Requirements, Expect::BothFail),
    case("err-switch.txt", FileKind::Requirements, Expect::BothFail),
    case("err-novalue.txt", FileKind::Requirements, Expect::BothFail),
    case(
        "diff-stray.txt",
        FileKind::Requirements,
        Expect::OnlyWharfFails,
    ),
    case(
        "diff-several.txt",
        FileKind::Requirements,
        Expect::OnlyWharfFails,
    ),
    case(
        "diff-editable-c.txt",
        FileKind::Constraints,
        Expect::OnlyWharfFails,
    ),
];

/// The variables both parsers see.
const ENV: &[(&str, &str)] = &[
    ("PKG_NAME", "attrs"),
    ("PKG_VERSION", "23.2.0"),
    ("EMPTY_VAR", ""),
    ("ENV_SUBDIR", "envsub"),
    ("INDEX_HOST", "pypi.example.org"),
    ("pkg_lower", "nope"),
];

fn reference_python() -> Option<String> {
    wharf_test_support::real_python().map(|p| p.display().to_string())
}

/// Run the reference script once over every case, in a clean environment.
fn run_pip(python: &str, dir: &Path) -> Map<String, Value> {
    let cases: Vec<Value> = CASES
        .iter()
        .map(|case| {
            json!({
                "name": case.top,
                "path": dir.join(case.top),
                "constraint": case.kind == FileKind::Constraints,
            })
        })
        .collect();
    let cases_path = dir.join("cases.json");
    std::fs::write(&cases_path, serde_json::to_string(&cases).unwrap()).unwrap();
    let script_path = dir.join("reference.py");
    std::fs::write(&script_path, REFERENCE_SCRIPT).unwrap();
    let mut command = Command::new(python);
    command
        .arg(&script_path)
        .arg(&cases_path)
        .current_dir(dir)
        .env_clear()
        .env("LANG", "C.UTF-8")
        .env("PIP_NO_INPUT", "1")
        .envs(ENV.iter().copied());
    for inherited in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(inherited) {
            command.env(inherited, value);
        }
    }
    let output = command.output().expect("run the reference python");
    assert!(
        output.status.success(),
        "reference script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("reference output is JSON")
}

fn entry_json(entry: &RequirementEntry, flag: &str) -> Value {
    let mut hashes = entry.hashes.clone();
    hashes.sort();
    // pip's `_handle_config_settings`: a repeated key becomes a list.
    let mut config_settings = Map::new();
    for (key, value) in &entry.config_settings {
        match config_settings.get_mut(key) {
            Some(Value::Array(values)) => values.push(json!(value)),
            Some(single) => *single = json!([single.clone(), value]),
            None => {
                config_settings.insert(key.clone(), json!(value));
            }
        }
    }
    json!({
        "text": entry.text,
        "comes_from": format!("{flag} {} (line {})", entry.origin.path.display(), entry.origin.line),
        "hashes": hashes,
        "config_settings": config_settings,
        "global_options": entry.global_options,
    })
}

fn report(error: &RequirementsTxtError) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, " / {cause}");
        source = cause.source();
    }
    text
}

fn read_ours(dir: &Path, case: &Case) -> Value {
    let env: BTreeMap<&str, &str> = ENV.iter().copied().collect();
    let lookup = |name: &str| env.get(name).map(|value| (*value).to_owned());
    let mut parsed = RequirementsTxt::default();
    if let Err(error) = parsed.add_file(dir.join(case.top), case.kind, &lookup) {
        return json!({ "error": report(&error) });
    }
    let options = &parsed.options;
    let index_urls: Vec<&String> = if options.no_index {
        Vec::new()
    } else {
        options
            .index_url
            .iter()
            .chain(&options.extra_index_urls)
            .collect()
    };
    json!({
        "requirements": parsed.requirements.iter().map(|e| entry_json(e, "-r")).collect::<Vec<_>>(),
        "constraints": parsed.constraints.iter().map(|e| entry_json(e, "-c")).collect::<Vec<_>>(),
        "editables": parsed.editables.iter().map(|e| entry_json(e, "-r")).collect::<Vec<_>>(),
        "options": {
            "index_urls": index_urls,
            "find_links": options.find_links,
            "no_index": options.no_index,
            "pre": options.pre,
            "prefer_binary": options.prefer_binary,
            "no_binary": options.format_control.no_binary,
            "only_binary": options.format_control.only_binary,
            "trusted_hosts": options.trusted_hosts,
            "require_hashes": options.require_hashes,
            "features_enabled": options.features_enabled,
        },
    })
}

#[test]
fn requirements_files_read_like_pip_24_2() {
    let Some(python) = reference_python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in FILES {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let pip = run_pip(&python, dir.path());
    let mut failures = Vec::new();
    for case in CASES {
        let theirs = &pip[case.top];
        let ours = read_ours(dir.path(), case);
        let pip_failed = theirs.get("error").is_some();
        let we_failed = ours.get("error").is_some();
        let agree = match case.expect {
            Expect::Same => !pip_failed && ours == *theirs,
            Expect::BothFail => pip_failed && we_failed,
            Expect::OnlyWharfFails => !pip_failed && we_failed,
        };
        if !agree {
            failures.push(format!("{}:\n  pip:   {theirs}\n  wharf: {ours}", case.top));
        }
    }
    assert!(
        failures.is_empty(),
        "disagreements with pip:\n{}",
        failures.join("\n")
    );
}
