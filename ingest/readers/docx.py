"""The Word reader (.docx, python-docx): a unit per section, each heading starting one, cited by the heading's
text ("§ 3.2 Eligibility"); the text before the first heading is "beginning". Paragraphs in order, list items as
"- item", tables as rows of cells joined by " | " under their header row, a footnote as "[n] text" after the
paragraph that refers to it. The zip and XML defences of `ingest.readers.archive` run first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.readers.archive import check_zip, open_zip
from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, unreadable_as

LABEL_CHARS = 80
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HEADING_STYLES = ("Heading", "Title")  # Word's built-in heading styles: "Heading 1" … "Heading 9", "Title"


@dataclass(frozen=True)
class DocxReader:
    """A Word document's text, a unit per section."""

    def recognises(self, head: bytes) -> bool:
        return False  # a zip like .pptx and .xlsx: known by its suffix

    def check(self, data: bytes) -> None:
        check_zip(data, ".docx")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        import docx

        open_zip(data, ".docx").close()
        units = Units(limits, "docx", "sections")
        with unreadable_as(".docx"):
            document = docx.Document(io.BytesIO(data))
            title = document.core_properties.title or ""
            for heading, body in _sections(document, _footnotes(document)):
                units.add(body, f"§ {heading[:LABEL_CHARS]}" if heading else "beginning")
        return units.extracted(name, title=title)


def _footnotes(document) -> dict[str, str]:
    """Footnote id → its text (python-docx does not read footnotes: their part is parsed here, without entities)."""
    import lxml.etree as etree

    parts = [rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/footnotes")]
    if not parts:
        return {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(parts[0].blob, parser=parser)
    notes = {}
    for note in root.iterfind(f"{{{W}}}footnote"):
        text = " ".join("".join(t.text or "" for t in note.iter(f"{{{W}}}t")).split())
        if text and note.get(f"{{{W}}}type") is None:  # not a separator
            notes[str(note.get(f"{{{W}}}id"))] = text
    return notes


def _sections(document, footnotes: dict[str, str]) -> Iterator[tuple[str, str]]:
    from docx.table import Table

    heading, lines = "", []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines += _table_rows(block)
            continue
        text = " ".join(block.text.split())
        style = block.style.name if block.style is not None else ""
        if style.startswith(HEADING_STYLES) and text:
            if any(line.strip() for line in lines):
                yield heading, "\n".join(lines)
            heading, lines = text, [text]
        elif text:
            listed = style.startswith("List") or block._p.pPr is not None and block._p.pPr.numPr is not None
            lines.append(f"- {text}" if listed else text)
            references = block._p.xpath("./w:r/w:footnoteReference/@w:id") if footnotes else []
            lines += [f"[{n}] {footnotes[n]}" for n in references if n in footnotes]
    if any(line.strip() for line in lines):
        yield heading, "\n".join(lines)


def _table_rows(table) -> list[str]:
    """Each row as its cells joined by " | " (a merged cell once), the first row being the header line."""
    rows = []
    for row in table.rows:
        cells, seen = [], []  # lxml elements: a merged cell is the same element in each column it spans
        for cell in row.cells:
            if cell._tc not in seen:
                seen.append(cell._tc)
                cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
