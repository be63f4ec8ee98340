"""The PowerPoint reader (.pptx, python-pptx): a unit per slide, cited as "slide 7": its title, the text of its
shapes (groups included) in reading order, tables as rows under their header row, and the speaker notes. The zip
and XML defences of `ingest.readers.archive` run first.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ingest.readers.archive import check_zip, open_zip
from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, unreadable_as


@dataclass(frozen=True)
class PptxReader:
    """A slide deck's text, a unit per slide."""

    def recognises(self, head: bytes) -> bool:
        return False  # a zip like .docx and .xlsx: known by its suffix

    def check(self, data: bytes) -> None:
        check_zip(data, ".pptx")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        import pptx

        open_zip(data, ".pptx").close()
        units = Units(limits, "pptx", "slides")
        with unreadable_as(".pptx"):
            deck = pptx.Presentation(io.BytesIO(data))
            title = deck.core_properties.title or ""
            for number, slide in enumerate(deck.slides, start=1):
                units.add("\n".join(_slide_lines(slide)), f"slide {number}")
        return units.extracted(name, title=title)


def _slide_lines(slide) -> Iterator[str]:
    heading = slide.shapes.title
    if heading is not None and heading.text_frame.text.strip():
        yield " ".join(heading.text_frame.text.split())
    yield from _shape_lines(shape for shape in slide.shapes if heading is None or shape.shape_id != heading.shape_id)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        if notes is not None and notes.text.strip():
            yield "Notes: " + " ".join(notes.text.split())


def _shape_lines(shapes: Iterable) -> Iterator[str]:
    """Text of shapes top to bottom, left to right; groups are walked level by level (no recursion)."""
    from pptx.shapes.group import GroupShape

    pending = list(shapes)
    while pending:
        pending.sort(key=lambda s: (s.top or 0, s.left or 0))
        shape, pending = pending[0], pending[1:]
        if isinstance(shape, GroupShape):  # not `shape_type`: it raises for some shapes python-pptx does not know
            pending += list(shape.shapes)
        elif getattr(shape, "has_table", False) and shape.has_table:
            for row in shape.table.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                if any(cells):
                    yield " | ".join(cells)
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                text = " ".join(paragraph.text.split())
                if text:
                    yield f"- {text}" if paragraph.level else text
