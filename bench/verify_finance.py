"""Mechanical check of `bench/data/finance-more.jsonl`, the page-level questions over finance-dev's filings.

`python -m bench.verify_finance [--write]`. For every row:

- schema: the fields of FIELDS, a known kind and company, the page in range, unique ids;
- every answer string occurs on the gold page (pypdf text, normalised as `rag.evaluate.contains_answer` does:
  whole words, case and punctuation ignored);
- `also_pages` equals the other pages of the same file on which an answer occurs;
- `also_files` equals the pages of the company's *other* filings on which an answer occurs (a later filing
  repeating the figure as a comparative column, or a coincidence: the near-miss listing tells which);
- a `most-recent` row's gold file is one of the company's latest periodic filings (by the period in its name).

It also prints each row's near misses: the pages of the company's other filings that hold the same table label
line as the gold page (the same table for another period), and whether an also_files page shares that label.
With `--write` the computed also_pages/also_files are written back (the other checks must pass).
Page texts are extracted once and cached as JSON per file under CACHE. Exit status 0 only when every row passes.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections import Counter
from pathlib import Path

import pypdf

from rag.evaluate import normalise

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT.parent / "shared" / "eval" / "finance-dev"
CACHE = ROOT.parent / "stores" / "finance-text"
QUESTIONS = ROOT / "bench" / "data" / "finance-more.jsonl"

FIELDS = ("id", "question", "file", "page", "also_pages", "answers", "kind", "company", "also_files")
KINDS = ("figure-for-period", "change-between-periods", "most-recent", "segment", "risk", "document-fact")
COMPANIES = {
    "3M": "3M",
    "BESTBUY": "Best Buy",
    "JOHNSON_JOHNSON": "Johnson & Johnson",
    "JPMORGAN": "JPMorgan",
    "MGMRESORTS": "MGM Resorts",
    "PEPSICO": "PepsiCo",
    "VERIZON": "Verizon",
}
PERIODIC = ("10K", "10Q", "EARNINGS")  # filings that report a period; 8-Ks report an event
MAX_OTHER_COMPANIES_FILES = 3  # an answer found in more files of other companies than this is too generic
SHOWN_NEAR_MISSES = 6
_NAME = re.compile(r"^(?P<prefix>.+?)_(?P<year>\d{4})(?:Q(?P<quarter>\d))?_(?P<form>10K|10Q|8K|EARNINGS)")


def company_of(file: str) -> str:
    return COMPANIES[_NAME.match(file)["prefix"]]


def form_of(file: str) -> str:
    return _NAME.match(file)["form"]


def period_key(file: str) -> tuple[int, int]:
    """(year, quarter) as the file name states it; an annual report counts as its year's fourth quarter."""
    m = _NAME.match(file)
    return int(m["year"]), int(m["quarter"] or 4)


def contains(page: str, answer: str) -> bool:
    """`page` is already normalised; the same whole-word test as rag.evaluate.contains_answer."""
    needle = normalise(answer)
    return bool(needle) and f" {needle} " in f" {page} "


def extract(pdf: Path) -> list[str]:
    """The raw pypdf text of each page, from CACHE when the cached copy is of this file and pypdf version."""
    cached = CACHE / f"{pdf.name}.json"
    stamp = {"size": pdf.stat().st_size, "pypdf": pypdf.__version__}
    if cached.exists():
        data = json.loads(cached.read_text())
        if data.get("stamp") == stamp:
            return data["pages"]
    pages = []
    for page in pypdf.PdfReader(pdf).pages:
        try:
            pages.append(page.extract_text() or "")
        except Exception:  # a page pypdf cannot read counts as empty; the row on it then fails
            pages.append("")
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(json.dumps({"stamp": stamp, "pages": pages}))
    tmp.replace(cached)
    return pages


_FIRST_FIGURE = re.compile(r"[\s$(]*\(?\$?\d")


def label_of(line: str) -> str:
    """A line's label: its text up to the first figure, normalised ('' when too short to identify a row)."""
    m = _FIRST_FIGURE.search(line)
    head = normalise(line[: m.start()] if m else line)
    return head if len(head.split()) >= 2 else ""


def is_table_row(line: str) -> bool:
    """Whether the line is a label followed by figures only (a table row), not a sentence that holds a number."""
    m = _FIRST_FIGURE.search(line)
    return bool(m) and not re.search(r"[A-Za-z]{2,}", line[m.start() :])


LABEL_LOOKBACK = 6  # lines: some PDFs put a table's label and each of its figures on lines of their own


def gold_labels(raw_page: str, answers: list[str]) -> dict[str, bool]:
    """Labels of the lines of the gold page that hold an answer (else of the nearest label line above it),
    each with whether it labels a table row."""
    lines = raw_page.splitlines()
    labels: dict[str, bool] = {}
    for i, line in enumerate(lines):
        if not any(contains(normalise(line), a) for a in answers):
            continue
        if label_of(line):
            labels[label_of(line)] = is_table_row(line)
            continue
        above = (label_of(x) for x in reversed(lines[max(0, i - LABEL_LOOKBACK) : i]))
        label = next((x for x in above if x), "")
        if label:
            labels[label] = True  # a figure on a line of its own under its row label
    return labels


class Library:
    """The dataset's page texts, raw and normalised, by file."""

    def __init__(self, dataset: Path) -> None:
        self.files = sorted(p.name for p in (dataset / "pdfs").glob("*.pdf"))
        self.raw = {}
        for name in self.files:
            print(f"  text of {name}", file=sys.stderr, flush=True)
            self.raw[name] = extract(dataset / "pdfs" / name)
        self.norm = {f: [normalise(t) for t in pages] for f, pages in self.raw.items()}
        self.label_pages = {
            f: [{label_of(line) for line in page.splitlines()} - {""} for page in pages]
            for f, pages in self.raw.items()
        }

    def pages_with(self, file: str, answers: list[str]) -> list[int]:
        return [i for i, page in enumerate(self.norm[file], start=1) if any(contains(page, a) for a in answers)]

    def siblings(self, file: str) -> list[str]:
        return [f for f in self.files if f != file and company_of(f) == company_of(file)]

    def latest(self, company: str) -> set[str]:
        periodic = [f for f in self.files if company_of(f) == company and form_of(f) in PERIODIC]
        newest = max(period_key(f) for f in periodic)
        return {f for f in periodic if period_key(f) == newest}


def check_row(row: dict, lib: Library, seen: Counter) -> tuple[list[str], list[str], dict]:
    """(failures, notes, computed fields) of one row."""
    bad, notes = [], []
    if set(row) != set(FIELDS):
        bad.append(f"fields: missing {sorted(set(FIELDS) - set(row))}, unexpected {sorted(set(row) - set(FIELDS))}")
        return bad, notes, {}
    if seen[row["id"]] > 1:
        bad.append("duplicate id")
    answers = row["answers"]
    if not (isinstance(answers, list) and 1 <= len(answers) <= 3 and all(isinstance(a, str) and a for a in answers)):
        return [*bad, "answers must be 1-3 non-empty strings"], notes, {}
    if row["kind"] not in KINDS:
        bad.append(f"kind {row['kind']!r}")
    file = row["file"]
    if file not in lib.raw:
        return [*bad, f"file {file!r} not in pdfs/"], notes, {}
    if row["company"] != company_of(file):
        bad.append(f"company {row['company']!r}, file is {company_of(file)!r}")
    pages = lib.norm[file]
    page = row["page"]
    if not (isinstance(page, int) and 1 <= page <= len(pages)):
        return [*bad, f"page {page} out of range 1..{len(pages)}"], notes, {}
    bad += [f"answer {a!r} not on page {page}" for a in answers if not contains(pages[page - 1], a)]
    also_pages = [p for p in lib.pages_with(file, answers) if p != page]
    also_files = [{"file": f, "page": p} for f in lib.siblings(file) for p in lib.pages_with(f, answers)]
    computed = {"also_pages": also_pages, "also_files": also_files}
    for key, value in computed.items():
        if row[key] != value:
            bad.append(f"{key} {row[key]} != computed {value}")
    if row["kind"] == "most-recent" and file not in lib.latest(row["company"]):
        bad.append(f"most-recent, but the latest filings are {sorted(lib.latest(row['company']))}")
    for a in answers:
        others = [f for f in lib.files if company_of(f) != row["company"] and lib.pages_with(f, [a])]
        if len(others) > MAX_OTHER_COMPANIES_FILES:
            bad.append(f"answer {a!r} is generic: in {len(others)} filings of other companies")
        if contains(normalise(row["question"]), a):
            notes.append(f"answer {a!r} appears in the question")
    labels = gold_labels(lib.raw[file][page - 1], answers)
    repeats = {(x["file"], x["page"]) for x in also_files}
    rows = {label for label, row in labels.items() if row}
    for f, p in sorted(repeats):
        shared = set(labels) & lib.label_pages[f][p - 1]
        tag = " (same table row: a comparative)" if shared & rows else " (same line start)" if shared else ""
        notes.append(f"answer also in {f} p{p}{tag}")
    for label in sorted(labels):
        hits = [(f, i) for f in lib.siblings(file) for i, ls in enumerate(lib.label_pages[f], 1) if label in ls]
        hits = [h for h in hits if h not in repeats]
        if hits:
            shown = ", ".join(f"{f} p{p}" for f, p in hits[:SHOWN_NEAR_MISSES])
            more = f" (+{len(hits) - SHOWN_NEAR_MISSES})" if len(hits) > SHOWN_NEAR_MISSES else ""
            notes.append(f"near miss, label {label!r}: {shown}{more}")
    return bad, notes, computed


def summary(rows: list[dict], computed: list[dict]) -> None:
    print(f"rows: {len(rows)}")
    for field in ("kind", "company"):
        print(f"by {field}:", dict(sorted(Counter(r.get(field) for r in rows).items())))
    print("by form:", dict(sorted(Counter(form_of(r["file"]) for r in rows).items())))
    files = Counter(r["file"] for r in rows)
    print(f"files with questions: {len(files)} of {len(list((DATASET / 'pdfs').glob('*.pdf')))}")
    print("rows with non-empty also_pages:", sum(1 for c in computed if c.get("also_pages")))
    print(
        "rows whose answer also occurs in another filing (also_files):", sum(1 for c in computed if c.get("also_files"))
    )


def main() -> None:
    logging.disable(logging.CRITICAL)  # pypdf's warnings about malformed objects are not the checker's output
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", nargs="?", type=Path, default=QUESTIONS)
    parser.add_argument("--write", action="store_true", help="write the computed also_pages/also_files back")
    parser.add_argument("--quiet", action="store_true", help="only failures and the summary")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    lib = Library(DATASET)
    seen = Counter(r.get("id") for r in rows)
    fails, computed, comparatives, near = [], [], 0, 0
    for row in rows:
        bad, notes, values = check_row(row, lib, seen)
        computed.append(values)
        comparatives += any("a comparative" in n for n in notes)
        near += any(n.startswith("near miss") for n in notes)
        if not args.quiet:
            print(f"{row.get('id')} [{row.get('kind')}] {row.get('file')} p{row.get('page')}: {row.get('question')}")
            for note in notes:
                print(f"    {note}")
        for b in bad:
            print(f"FAIL {row.get('id')}: {b}")
        if bad:
            fails.append(row.get("id"))
    summary(rows, computed)
    print("rows whose figure recurs in another filing's row of the same table (a comparative column):", comparatives)
    print("rows with near misses (the gold line's label in the company's other filings):", near)
    if args.write:
        structural = [r["id"] for r, c in zip(rows, computed, strict=True) if not c]
        if structural:
            print("not written: rows failing before their pages could be computed:", structural)
        else:
            lines = [json.dumps({**r, **c}, ensure_ascii=False) for r, c in zip(rows, computed, strict=True)]
            args.questions.write_text("\n".join(lines) + "\n")
            print("wrote", args.questions)
    print("RESULT:", "PASS" if not fails else f"FAIL ({len(fails)} rows: {', '.join(map(str, fails))})")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
