"""Mechanical check of the formats development set (`bench/data/formats/`, issue 30.4).

`python -m bench.verify_formats [--write] [--readers]`. Each container is read here with an extraction of its own,
independent of Folio's readers: pandoc's JSON for .html/.md/.docx and each EPUB chapter, zip + XML for .pptx and
.xlsx, the csv module for .csv, and pypdf for the PDF renderings. A row's gold place (`unit`) is where its answer is
(a heading path, a slide, a sheet row); its `page` is the number of the unit that holds that place as Folio's readers
number units (README.md), which is what a chunk's page span holds:

- a document (.html .md .docx): the text before its first heading, when there is any, is unit 1; then every
  heading, of any level, starts the next unit;
- an e-book (.epub): spine chapter N (an HTML item of the spine, the title page included) is unit N;
- a deck (.pptx): slide N (title, text, tables and speaker notes) is unit N;
- a workbook (.xlsx) or .csv file: the data rows (the header row, row 1, is in none) in blocks of ROWS_PER_UNIT,
  numbered on from one sheet to the next: rows 2-21 of the first sheet are unit 1.

For every row of `formats/questions.jsonl`: each answer occurs (whole words, case and punctuation ignored, as
`rag.evaluate.contains_answer`) in the gold place and on the PDF rendering's gold page `parity.page`; `also_pages`
(and `parity.also_pages`) equal the other units (pages) of the same file holding an answer. It prints each row's near
misses (the other places and files holding an answer) and checks that `formats-pdf/questions.jsonl` holds the same
questions asked of the PDF renderings. With `--write`, a row needs only id/question/format/file/answers/kind (and
`unit`, a label or its last part, where every answer occurs in more than one place); page, also_pages, unit and
parity are computed and both files written. With `--readers`, each row is also checked against Folio's own readers
(`ingest.readers`): the unit numbered `page` (or one of `also_pages`) must hold an answer, as the scoring needs.
Exit status 0 only when every row passes.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import posixpath
import re
import subprocess
import sys
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path
from typing import NamedTuple
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
PANDOC_INPUT = {".html": "html", ".md": "gfm", ".docx": "docx"}
ROWS_PER_UNIT = 20  # data rows a unit of a sheet holds (Folio's readers: ingest.readers.common.ROWS_PER_UNIT)
MARK = "@@UNIT@@"
MAX_OTHER_FILES = 3  # an answer found in more of the set's other files than this is too generic
NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
}


class Place(NamedTuple):
    """Where an answer can be: a section, a slide, a sheet row or a PDF page, and the unit that holds it."""

    label: str
    text: str
    unit: int  # 1-based: the page a chunk of this place is stored with


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


def sections(data: bytes, reader: str) -> list[tuple[str, str]]:
    """(heading path, text) of each section of a document as pandoc reads it: the text before the first heading
    when there is any, then one per heading."""
    read = subprocess.run(["pandoc", "-f", reader, "-t", "json"], input=data, capture_output=True, check=True)
    ast = json.loads(read.stdout)
    ast["blocks"] = _flatten(ast["blocks"])
    plain = subprocess.run(
        ["pandoc", "-f", "json", "-t", "plain", "--wrap=none"],
        input=json.dumps(ast).encode(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    found: list[tuple[str, list[str]]] = [("(before the first heading)", [])]
    trail: list[tuple[int, str]] = []
    for line in plain.splitlines():
        m = re.match(rf"^{MARK}(\d) ?(.*)$", line)
        if m:
            level, title = int(m[1]), " ".join(m[2].split())  # no-break spaces too
            trail = [(lv, t) for lv, t in trail if lv < level] + [(level, title)]
            found.append((" > ".join(t for _, t in trail), [title]))
        else:
            found[-1][1].append(line)
    if not normalise(" ".join(found[0][1])):
        found.pop(0)
    return [(label, "\n".join(lines)) for label, lines in found]


def document_places(path: Path) -> list[Place]:
    """A document's sections, each its own unit."""
    return [
        Place(label, text, n)
        for n, (label, text) in enumerate(sections(path.read_bytes(), PANDOC_INPUT[path.suffix]), 1)
    ]


def ebook_places(path: Path) -> list[Place]:
    """An e-book's sections (read by pandoc chapter by chapter), each in the unit of its spine chapter."""
    places = []
    with zipfile.ZipFile(path) as z:
        package_path = (
            ElementTree.fromstring(z.read("META-INF/container.xml")).find(".//c:rootfile", NS).get("full-path")
        )
        package = ElementTree.fromstring(z.read(package_path))
        manifest = {item.get("id"): item for item in package.iterfind(".//opf:manifest/opf:item", NS)}
        spine = [manifest[ref.get("idref")] for ref in package.iterfind(".//opf:spine/opf:itemref", NS)]
        chapters = [item.get("href") for item in spine if item.get("media-type") == "application/xhtml+xml"]
        for n, href in enumerate(chapters, start=1):
            member = posixpath.normpath(posixpath.join(posixpath.dirname(package_path), href))
            places += [Place(f"chapter {n}: {label}", text, n) for label, text in sections(z.read(member), "html")]
    return places


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


def deck_places(path: Path) -> list[Place]:
    """Each slide (its text and speaker notes) in the presentation's slide order."""
    with zipfile.ZipFile(path) as z:
        rels = _targets(z, "ppt/_rels/presentation.xml.rels", "ppt/")
        places = []
        for n, sld in enumerate(_xml(z, "ppt/presentation.xml").find("p:sldIdLst", NS), start=1):
            slide = rels[sld.get(f"{{{NS['r']}}}id")]
            parts = [slide]
            slide_rels = slide.replace("slides/", "slides/_rels/") + ".rels"
            if slide_rels in z.namelist():
                parts += [t for t in _targets(z, slide_rels, "ppt/").values() if "notesSlide" in t]
            text = [" ".join(t.text or "" for t in _xml(z, part).iter(f"{{{NS['a']}}}t")) for part in parts]
            places.append(Place(f"slide {n}", "\n".join(text), n))
    return places


def _row_places(sheets: list[tuple[str, list[list[str]]]]) -> list[Place]:
    """Each data row of each sheet (the first row is the header), in blocks of ROWS_PER_UNIT numbered on."""
    places, unit = [], 0
    for name, rows in sheets:
        data = [(r, cells) for r, cells in enumerate(rows, start=1) if r > 1 and any(cells)]
        for i, (r, cells) in enumerate(data):
            if i % ROWS_PER_UNIT == 0:
                unit += 1
            places.append(Place(f"{name}, row {r}" if name else f"row {r}", " | ".join(cells), unit))
    return places


def workbook_places(path: Path) -> list[Place]:
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in _xml(z, "xl/sharedStrings.xml"):
                shared.append("".join(t.text or "" for t in si.iter(f"{{{NS['s']}}}t")))
        rels = _targets(z, "xl/_rels/workbook.xml.rels", "xl/")
        sheets = []
        for sheet in _xml(z, "xl/workbook.xml").find("s:sheets", NS):
            rows = []
            for r, row in enumerate(_xml(z, rels[sheet.get(f"{{{NS['r']}}}id")]).iter(f"{{{NS['s']}}}row"), start=1):
                assert int(row.get("r")) == r, f"{path.name}: a sheet with gaps between rows"
                cells = []
                for c in row:
                    value, inline = c.find("s:v", NS), c.find("s:is", NS)
                    if c.get("t") == "s" and value is not None:
                        cells.append(shared[int(value.text)])
                    elif inline is not None:
                        cells.append("".join(t.text or "" for t in inline.iter(f"{{{NS['s']}}}t")))
                    elif value is not None:
                        cells.append(value.text or "")
                rows.append(cells)
            sheets.append((f"sheet {sheet.get('name')}", rows))
    return _row_places(sheets)


def csv_places(path: Path) -> list[Place]:
    with path.open(newline="") as fh:
        return _row_places([("", list(csv.reader(fh)))])


def pdf_places(path: Path) -> list[Place]:
    places = []
    for n, page in enumerate(pypdf.PdfReader(path).pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception:  # a page pypdf cannot read counts as empty; a row on it then fails
            text = ""
        places.append(Place(f"page {n}", text, n))
    return places


READ = {".docx": document_places, ".html": document_places, ".md": document_places, ".epub": ebook_places}
READ |= {".pptx": deck_places, ".xlsx": workbook_places, ".csv": csv_places, ".pdf": pdf_places}


@cache
def places_of(path: Path) -> tuple[Place, ...]:
    """The file's places, their text normalised."""
    return tuple(Place(p.label, normalise(p.text), p.unit) for p in READ[path.suffix](path))


def rendering_of(container: str) -> str:
    return Path(container).stem + ".pdf"


# --- the check -------------------------------------------------------------------------------------------------------


def holding(path: Path, answers: list[str]) -> list[Place]:
    """The places of `path` holding an answer."""
    return [p for p in places_of(path) if any(contains(p.text, a) for a in answers)]


def pick(path: Path, answers: list[str], label: str | None, unit: int | None) -> tuple[Place | None, str]:
    """The gold place: one where every answer occurs, labelled `label` (or ending with it) and in `unit` when given;
    the only one left, else None with the reason."""
    full = [p for p in places_of(path) if all(contains(p.text, a) for a in answers)]
    if label:
        full = [p for p in full if normalise(p.label).endswith(normalise(label))]
    if unit is not None:
        full = [p for p in full if p.unit == unit]
    if len(full) != 1:
        where = [p.label for p in full]
        return None, f"every answer in {len(full)} places {where[:4]} (label {label!r}, unit {unit})"
    return full[0], ""


def others(path: Path, answers: list[str], unit: int) -> list[int]:
    return sorted({p.unit for p in holding(path, answers)} - {unit})


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
    gold, why = pick(container, answers, row.get("unit"), None if write else row.get("page"))
    if gold is None:
        bad.append(f"gold place: {why}")
        return row, bad, near
    rendering = RENDERINGS / rendering_of(row["file"])
    stored = None if write else row.get("parity", {}).get("page")
    pages = [p for p in places_of(rendering) if all(contains(p.text, a) for a in answers)]
    page = next((p.unit for p in pages if stored is None or p.unit == stored), None)  # with --write: the first
    if page is None:
        bad.append(
            f"no page {stored or ''} of {rendering.name} holds every answer (they are on {[p.unit for p in pages]})"
        )
        return row, bad, near
    parity = {"file": rendering.name, "page": page, "also_pages": others(rendering, answers, page)}
    computed = {
        **{k: row[k] for k in ("id", "question", "format", "file")},
        "page": gold.unit,
        "unit": gold.label,
        "also_pages": others(container, answers, gold.unit),
        "answers": answers,
        "kind": row["kind"],
        "parity": parity,
    }
    if not write:
        for key in ("page", "unit", "also_pages", "parity"):
            if row.get(key) != computed[key]:
                bad.append(f"{key} {row.get(key)!r} != computed {computed[key]!r}")
    near += [f"also in {p.label[:70]} (unit {p.unit})" for p in holding(container, answers) if p != gold]
    elsewhere = [f for f in files if f != row["file"] and holding(CONTAINERS / f, answers)]
    near += [f"also in {f} ({len(holding(CONTAINERS / f, answers))} places)" for f in elsewhere]
    if len(elsewhere) > MAX_OTHER_FILES:
        bad.append(f"ambiguous: an answer occurs in {len(elsewhere)} other files")
    if any(contains(normalise(row["question"]), a) for a in answers):
        near.append("an answer appears in the question")
    return computed, bad, near


def with_readers(row: dict, pdf: dict) -> list[str]:
    """Failures of the row and its PDF twin against Folio's own readers: the unit `page` (or one of `also_pages`)
    of the reader's units must hold an answer, as rag.evaluate.is_hit needs."""
    from ingest.readers.base import ReadLimits
    from ingest.readers.registry import reader_for

    bad = []
    for r, folder in ((row, CONTAINERS), (pdf, RENDERINGS)):
        units = folio_units(folder / r["file"], reader_for, ReadLimits())
        wanted = {r["page"], *r["also_pages"]}
        if not any(contains(text, a) for n, (_, text) in units.items() if n in wanted for a in r["answers"]):
            found = [
                f"{n} {label!r}" for n, (label, text) in units.items() if any(contains(text, a) for a in r["answers"])
            ]
            bad.append(f"Folio's reader of {r['file']}: no answer in unit {sorted(wanted)} (found in {found[:4]})")
    return bad


_FOLIO: dict[Path, dict[int, tuple[str, str]]] = {}


def folio_units(path: Path, reader_for, limits) -> dict[int, tuple[str, str]]:
    """Unit number → (label, normalised text) as Folio's reader of the file gives them (read in this process)."""
    if path not in _FOLIO:
        data = path.read_bytes()
        extracted = reader_for(path.name, data).read(data, path.name, limits)
        _FOLIO[path] = {u.number: (u.label, normalise(u.text)) for u in extracted.units}
    return _FOLIO[path]


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
    parser.add_argument("--readers", action="store_true", help="also check the gold against Folio's readers")
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
        if args.readers and not bad:
            bad += with_readers(computed, pdf_row(computed))
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
    units = {f: places_of(CONTAINERS / f)[-1].unit for f in files}
    pages = {f: len(places_of(RENDERINGS / rendering_of(f))) for f in files}
    print("units (PDF pages):", ", ".join(f"{f} {units[f]} ({pages[f]})" for f in files))
    if args.readers:
        print("checked against Folio's readers:", ", ".join(f"{p.name} {len(u)} units" for p, u in _FOLIO.items()))
    print("rows with other units holding an answer:", sum(1 for r in out if r.get("also_pages")))
    print("rows with other PDF pages holding an answer:", sum(1 for r in out if r.get("parity", {}).get("also_pages")))
    print("RESULT:", "PASS" if not fails else f"FAIL ({fails} rows)")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
