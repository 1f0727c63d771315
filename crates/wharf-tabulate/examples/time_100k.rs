//! Times `tabulate` on 100,000 avail_wheels-like rows × 4 columns, in each format.
//!
//! `cargo run --release -p wharf-tabulate --example time_100k`

use std::time::Instant;

use wharf_tabulate::{TableFormat, tabulate};

fn main() {
    let names = ["numpy", "scipy", "torch", "pandas", "matplotlib", "h5py"];
    let versions = ["1.23.0", "1.10.1", "2.0.1+computecanada", "6.0", "0.25.3"];
    let interpreters = ["cp310", "cp311", "py2,py3", "cp39, cp310, "];
    let archs = ["linux_x86_64", "x86-64-v3", "generic", "avx2", ""];
    let rows: Vec<Vec<Option<String>>> = (0..100_000)
        .map(|i: usize| {
            vec![
                Some(names[i % names.len()].to_owned()),
                Some(versions[i % versions.len()].to_owned()),
                Some(interpreters[i % interpreters.len()].to_owned()),
                (!i.is_multiple_of(7)).then(|| archs[i % archs.len()].to_owned()),
            ]
        })
        .collect();
    let floats: Vec<Vec<Option<String>>> = (0..100_000)
        .map(|i: usize| {
            vec![
                Some(names[i % names.len()].to_owned()),
                Some(format!("{}.0", i % 13)),
                Some(i.to_string()),
                Some("x86-64-v3".to_owned()),
            ]
        })
        .collect();
    let headers = ["name", "version", "interpreter", "arch"];
    // Optional filters: `time_100k [strings|numbers] [FORMAT]`.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wanted = |label: &str, format: TableFormat| {
        args.first().is_none_or(|a| a == label) && args.get(1).is_none_or(|f| *f == format.as_str())
    };
    for (label, table) in [("strings", &rows), ("numbers", &floats)] {
        for format in [
            TableFormat::Simple,
            TableFormat::Grid,
            TableFormat::Html,
            TableFormat::Pipe,
        ] {
            if !wanted(label, format) {
                continue;
            }
            // Best of twenty: the machine may be busy.
            let mut elapsed = std::time::Duration::MAX;
            let mut out = String::new();
            for _ in 0..20 {
                let start = Instant::now();
                out = tabulate(&headers, table, format);
                elapsed = elapsed.min(start.elapsed());
            }
            println!(
                "{label:8} {format:12} {:>7.2} ms  {} bytes",
                elapsed.as_secs_f64() * 1e3,
                out.len()
            );
        }
    }
}
