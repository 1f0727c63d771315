"""Reads a JSON list of tables from stdin and prints python-tabulate's rendering of each.

Input: [{"headers": [str, ...], "rows": [[str | null, ...], ...], "formats": [str, ...]}, ...]
Output: {"tabulate_formats": [...], "results": [{format: str, ...}, ...]}, results in
input order; a format whose call raises maps to "<error: ExceptionName>".
"""

import json
import sys

import tabulate

if tabulate.__version__ != "0.10.0":
    sys.exit(f"expected tabulate 0.10.0, found {tabulate.__version__}")

results = []
for table in json.load(sys.stdin.buffer):
    rendered = {}
    for fmt in table["formats"]:
        try:
            rendered[fmt] = tabulate.tabulate(table["rows"], headers=table["headers"], tablefmt=fmt)
        except Exception as error:  # noqa: BLE001 - report, do not stop the batch
            rendered[fmt] = f"<error: {type(error).__name__}>"
    results.append(rendered)
json.dump(
    {"tabulate_formats": tabulate.tabulate_formats, "results": results},
    sys.stdout,
    ensure_ascii=True,
)
