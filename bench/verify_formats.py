"""Mechanical check of the formats development set (`bench/data/formats/`, issue 30.4).

`python -m bench.verify_formats [--write]`. Each container is read here with an extraction of its own, independent of
Folio's readers: pandoc's JSON for .html/.md/.docx/.epub, zip + XML for .pptx and .xlsx, the csv module for .csv, and
pypdf for the PDF renderings. A container's units are numbered as README.md states:

- a document (.html .md .docx .epub): the text before its first heading, when there is any, is unit 1; then every
  heading, of any level, starts the next unit (its label is the heading path, "4.2 Explanation … > 4.2.1 Illegal…");
- a deck (.pptx): slide N (title, text, tables and speaker notes) is unit N;
- a workbook (.xlsx): each row is a unit, numbered down the first sheet (row 1 is the header), then on through the
  next (a sheet's row r is unit r + the row counts of the sheets before it); the label is "Sheet, row r";
- a .csv file: row r (the header is row 1) is unit r.

For every row of `formats/questions.jsonl`: each answer occurs (whole words, case and punctuation ignored, as
`rag.evaluate.contains_answer`) in the gold unit `page` and on the PDF rendering's gold page `parity.page`;
`also_pages` (and `parity.also_pages`) equal the other units (pages) of the same file holding an answer; `unit` is
the gold unit's label. It prints each row's near misses (the other units and files holding an answer) and writes
`formats-pdf/questions.jsonl`, the same questions asked of the PDF renderings, which must match. With `--write`, a row
needs only id/question/format/file/answers/kind (and `unit`, a label or its last part, where an answer occurs in more
than one unit); page, also_pages, unit and parity are computed and written back. Exit status 0 only when every row
passes.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
import subprocess
import sys
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import pypdf

from rag.evaluate import normalise

ROOT = Path(__file__).resolve().parent.parent
SET = ROOT / "bench" / "data" / "formats"
CONTAINERS = SET / "formats" / "pdfs"  # the harness's folder name; it holds every format
RENDERINGS = SET / "formats-pdf" / "pdfs"
QUESTIONS = SET / "formats" / "questions.jsonl"
PDF_QUESTIONS = SET / "formats-pdf" / "questions.jsonl"

FIELDS = ("id", "question", "format", "file", "page", "unit", "also_pages", "answers", "kind", "parity")
KINDS = ("fact", "number", "definition", "table")
FORMATS = {".html": "html", ".md": "md", ".docx": "docx", ".epub": "epub", ".pptx": "pptx", ".xlsx": "xlsx"}
FORMATS[".csv"] = "csv"
PANDOC_INPUT = {".html": "html", ".md": "gfm", ".docx": "docx", ".epub": "epub"}
MARK = "@@UNIT@@"
MAX_OTHER_FILES = 3  # an answer found in more of the set's other files than this is too generic
NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def contains(text: str, answer: str) -> bool:
    """`text` is already normalised; the whole-word test of rag.evaluate.contains_answer."""
    needle = normalise(answer)
    return bool(needle) and f" {needle} " in f" {text} "


# --- documents: pandoc ---------------------------------------------------------------------------------------------


def _flatten(blocks: list[dict]) -> list[dict]:
    """The blocks in document order with every Div opened and every Header replaced by a marked paragraph."""
    out = []
    for block in blocks:
        if block["t"] == "Div":
            out += _flatten(block["c"][1])
        elif block["t"] == "Header":
            level, _, inlines = block["c"]
            out.append({"t": "Para", "c": [{"t": "Str", "c": f"{MARK}{level}"}, {"t": "Space"}, *inlines]})
        else:
            out.append(block)
    return out


def document_units(path: Path) -> list[tuple[str, str]]:
    """(heading path, text) of each unit of a document, as pandoc reads it."""
    reader = PANDOC_INPUT[path.suffix]
    read = subprocess.run(["pandoc", "-f", reader, "-t", "json", str(path)], capture_output=True, check=True)
    ast = json.loads(read.stdout)
    ast["blocks"] = _flatten(ast["blocks"])
    plain = subprocess.run(
        ["pandoc", "-f", "json", "-t", "plain", "--wrap=none"],
        input=json.dumps(ast).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    units: list[tuple[str, list[str]]] = [("(before the first heading)", [])]
    trail: list[tuple[int, str]] = []
    for line in plain.splitlines():
        m = re.match(rf"^{MARK}(\d) ?(.*)$", line)
        if m:
            level, title = int(m[1]), " ".join(m[2].split())  # no-break spaces too
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, title)]
            units.append((" > ".join(t for _, t in trail), [title]))
        else:
            units[-1][1].append(line)
    if not normalise(" ".join(units[0][1])):
        units.pop(0)
    return [(label, "\n".join(lines)) for label, lines in units]


# --- slides and sheets: zip + XML ------------------------------------------------------------------------------------


def _xml(z: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(z.read(name))


def _targets(z: zipfile.ZipFile, rels: str, base: str) -> dict[str, str]:
    """Relationship id → part name (a target is absolute, or relative to `base`)."""
    targets = {}
    for rel in _xml(z, rels):
        target = rel.get("Target")
        targets[rel.get("Id")] = target[1:] if target.startswith("/") else base + target.removeprefix("../")
    return targets


def deck_units(path: Path) -> list[tuple[str, str]]:
    """('slide N', its text and speaker notes) in the presentation's slide order."""
    with zipfile.ZipFile(path) as z:
        rels = _targets(z, "ppt/_rels/presentation.xml.rels", "ppt/")
        ids = _xml(z, "ppt/presentation.xml").find("p:sldIdLst", NS)
        units = []
        for n, sld in enumerate(ids, start=1):
            slide = rels[sld.get(f"{{{NS['r']}}}id")]
            parts = [slide]
            slide_rels = slide.replace("slides/", "slides/_rels/") + ".rels"
            if slide_rels in z.namelist():
                parts += [t for t in _targets(z, slide_rels, "ppt/").values() if "notesSlide" in t]
            text = [" ".join(t.text or "" for t in _xml(z, part).iter(f"{{{NS['a']}}}t")) for part in parts]
            units.append((f"slide {n}", "\n".join(text)))
    return units


def workbook_units(path: Path) -> list[tuple[str, str]]:
    """('Sheet, row r', the row's cells) for every row of every sheet, in sheet order."""
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in _xml(z, "xl/sharedStrings.xml"):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['s']}}}t")))
        rels = _targets(z, "xl/_rels/workbook.xml.rels", "xl/")
        units = []
        for sheet in _xml(z, "xl/workbook.xml").find("s:sheets", NS):
            part = rels[sheet.get(f"{{{NS['r']}}}id")]
            for r, row in enumerate(_xml(z, part).iter(f"{{{NS['s']}}}row"), start=1):
                assert int(row.get("r")) == r, f"{path.name}: a sheet with gaps between rows"
                cells = []
                for c in row:
                    value = c.find("s:v", NS)
                    inline = c.find("s:is", NS)
                    if c.get("t") == "s" and value is not None:
                        cells.append(shared[int(value.text)])
                    elif inline is not None:
                        cells.append("".join(t.text or "" for t in inline.iter(f"{{{NS['s']}}}t")))
                    elif value is not None:
                        cells.append(value.text or "")
                units.append((f"{sheet.get('name')}, row {r}", " | ".join(cells)))
    return units


def csv_units(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="") as fh:
        return [(f"row {r}", " | ".join(row)) for r, row in enumerate(csv.reader(fh), start=1)]


def units_of(path: Path) -> list[tuple[str, str]]:
    """(label, text) of each unit of a container; unit N is the list's N-th item."""
    if path.suffix in PANDOC_INPUT:
        return document_units(path)
    return {".pptx": deck_units, ".xlsx": workbook_units, ".csv": csv_units}[path.suffix](path)


def pdf_pages(path: Path) -> list[str]:
    pages = []
    for page in pypdf.PdfReader(path).pages:
        try:
            pages.append(page.extract_text() or "")
        except Exception:  # a page pypdf cannot read counts as empty; a row on it then fails
            pages.append("")
    return pages


@cache
def normalised_units(path: Path) -> tuple[tuple[str, str], ...]:
    units = units_of(path) if path.suffix != ".pdf" else [(f"page {n}", t) for n, t in enumerate(pdf_pages(path), 1)]
    return tuple((label, normalise(text)) for label, text in units)


def rendering_of(container: str) -> str:
    return Path(container).stem + ".pdf"


# --- the check -------------------------------------------------------------------------------------------------------


def holding(path: Path, answers: list[str]) -> list[int]:
    """The 1-based units (pages) of `path` holding an answer."""
    return [n for n, (_, text) in enumerate(normalised_units(path), start=1) if any(contains(text, a) for a in answers)]


def pick(path: Path, answers: list[str], stored: int | None, hint: str | None) -> tuple[int | None, str]:
    """The gold unit: one where every answer occurs, either `stored` or (when None) the only such unit, or the only
    one whose label ends with `hint`; with a reason when there is none."""
    units = normalised_units(path)
    full = [n for n, (_, text) in enumerate(units, start=1) if all(contains(text, a) for a in answers)]
    if stored is not None:
        return (stored, "") if stored in full else (None, f"not every answer in {stored} (they are in {full[:6]})")
    if hint:
        full = [n for n in full if normalise(units[n - 1][0]).endswith(normalise(hint))]
    if len(full) != 1:
        where = [units[n - 1][0] for n in full]
        return None, f"every answer in {len(full)} units {where[:4]} (of {len(units)})"
    return full[0], ""


def check(row: dict, write: bool, files: list[str]) -> tuple[dict, list[str], list[str]]:
    """The row as computed, its failures, and its near misses."""
    bad, near = [], []
    container = CONTAINERS / row["file"]
    if FORMATS.get(container.suffix) != row["format"]:
        bad.append(f"format {row['format']!r} is not that of {row['file']}")
    if row["kind"] not in KINDS:
        bad.append(f"kind {row['kind']!r}")
    answers = row["answers"]
    if not (isinstance(answers, list) and 1 <= len(answers) <= 3 and all(isinstance(a, str) and a for a in answers)):
        bad.append("answers must be 1-3 non-empty strings")
        return row, bad, near
    gold, why = pick(container, answers, None if write else row.get("page"), row.get("unit"))
    if gold is None:
        bad.append(f"gold unit: {why}")
        return row, bad, near
    also = [n for n in holding(container, answers) if n != gold]
    label = normalised_units(container)[gold - 1][0]
    rendering = RENDERINGS / rendering_of(row["file"])
    page, why = pick(rendering, answers, None if write else row.get("parity", {}).get("page"), None)
    if page is None and write:  # the first page holding every answer; the others become also_pages
        full = [
            n for n, (_, text) in enumerate(normalised_units(rendering), 1) if all(contains(text, a) for a in answers)
        ]
        page = full[0] if full else None
    if page is None:
        bad.append(f"gold page of {rendering.name}: {why}")
        return row, bad, near
    parity = {"file": rendering.name, "page": page, "also_pages": [n for n in holding(rendering, answers) if n != page]}
    computed = {
        **{k: row[k] for k in ("id", "question", "format", "file")},
        "page": gold,
        "unit": label,
        "also_pages": also,
        "answers": answers,
        "kind": row["kind"],
        "parity": parity,
    }
    if not write:
        for key in ("page", "unit", "also_pages", "parity"):
            if row.get(key) != computed[key]:
                bad.append(f"{key} {row.get(key)!r} != computed {computed[key]!r}")
    units = normalised_units(container)
    near += [f"also in unit {n} ({units[n - 1][0][:60]})" for n in also]
    for other in files:
        if other == row["file"]:
            continue
        hits = holding(CONTAINERS / other, answers)
        if hits:
            near.append(f"also in {other} ({len(hits)} units)")
    others = sum(1 for f in files if f != row["file"] and holding(CONTAINERS / f, answers))
    if others > MAX_OTHER_FILES:
        bad.append(f"ambiguous: an answer occurs in {others} other files")
    if any(contains(normalise(row["question"]), a) for a in answers):
        near.append("an answer appears in the question")
    return computed, bad, near


def pdf_row(row: dict) -> dict:
    """The row asked of the PDF rendering (the formats-pdf set)."""
    p = row["parity"]
    return {
        "id": row["id"],
        "question": row["question"],
        "format": f"pdf ({row['format']})",
        "file": p["file"],
        "page": p["page"],
        "also_pages": p["also_pages"],
        "answers": row["answers"],
        "kind": row["kind"],
    }


def main() -> None:
    logging.disable(logging.CRITICAL)  # pypdf's warnings about the renderings' fonts
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="compute page, unit, also_pages and parity")
    args = parser.parse_args()
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    files = sorted(p.name for p in CONTAINERS.iterdir() if p.suffix in FORMATS)
    ids = Counter(r["id"] for r in rows)
    out, fails = [], 0
    for row in rows:
        missing = [k for k in ("id", "question", "format", "file", "answers", "kind") if k not in row]
        if missing or ids[row["id"]] > 1 or row["file"] not in files:
            print(f"FAIL {row.get('id')}: missing {missing}, a duplicate id or an unknown file")
            fails += 1
            continue
        if not args.write and set(row) != set(FIELDS):
            print(f"FAIL {row['id']}: fields {sorted(set(row) ^ set(FIELDS))} differ")
            fails += 1
            continue
        computed, bad, near = check(row, args.write, files)
        out.append(computed)
        for line in near:
            print(f"near {row['id']}: {line}")
        if bad:
            fails += 1
            print(f"FAIL {row['id']} ({row['file']}): " + "; ".join(bad))
    pdf_rows = [pdf_row(r) for r in out if "parity" in r]
    if args.write and not fails:
        QUESTIONS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out))
        PDF_QUESTIONS.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pdf_rows))
        print(f"wrote {QUESTIONS.relative_to(ROOT)} and {PDF_QUESTIONS.relative_to(ROOT)}")
    elif not args.write:
        stored = [json.loads(line) for line in PDF_QUESTIONS.read_text().splitlines() if line.strip()]
        if stored != pdf_rows:
            print(f"FAIL {PDF_QUESTIONS.name} differs from the rows derived from {QUESTIONS.name} (run --write)")
            fails += 1
    by_format = Counter(r["format"] for r in rows)
    by_kind = Counter(r["kind"] for r in rows)
    print(f"rows: {len(rows)}  by format: {dict(sorted(by_format.items()))}  by kind: {dict(sorted(by_kind.items()))}")
    print(f"files: {len(files)} containers, {len({r['file'] for r in rows})} with questions")
    units = {f: len(normalised_units(CONTAINERS / f)) for f in files}
    pages = {f: len(normalised_units(RENDERINGS / rendering_of(f))) for f in files}
    print("units (PDF pages):", ", ".join(f"{f} {units[f]} ({pages[f]})" for f in files))
    print("rows with other units holding an answer:", sum(1 for r in out if r.get("also_pages")))
    print("rows with other PDF pages holding an answer:", sum(1 for r in out if r.get("parity", {}).get("also_pages")))
    print("RESULT:", "PASS" if not fails else f"FAIL ({fails} rows)")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
