"""The Excel reader (.xlsx, openpyxl in read-only mode, cached values rather than formulas): each sheet's rows,
each row naming its cells by the sheet's header row ("Item: Ferry tickets; Amount: 4417"), a unit per block of
rows cited as "sheet Q3, rows 12-31". The zip and XML defences of `ingest.readers.archive` run first; a sheet is
read a row at a time and stops at FOLIO_MAX_CHARS characters of text or as many cells, empty ones included (a
sheet that declares a million empty rows is refused, not walked).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.readers.archive import check_zip, open_zip
from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, cell_text, indexed_rows, row_blocks, unreadable_as
from rag.errors import IngestError


@dataclass(frozen=True)
class XlsxReader:
    """A workbook's sheets, a unit per block of rows."""

    def recognises(self, head: bytes) -> bool:
        return False  # a zip like .docx and .pptx: known by its suffix

    def check(self, data: bytes) -> None:
        check_zip(data, ".xlsx")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        import openpyxl

        open_zip(data, ".xlsx").close()
        units = Units(limits, "xlsx", "blocks of rows")
        cells = _CellBudget(limits.max_chars)
        with unreadable_as(".xlsx"):
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
            try:
                title = book.properties.title or ""
                for sheet in book.worksheets:
                    rows = _rows(sheet.iter_rows(values_only=True), cells, sheet.title)
                    header = next(rows, (0, []))[1]
                    row_blocks(indexed_rows(header, rows), units, f"sheet {sheet.title}")
            finally:
                book.close()
        return units.extracted(name, title=title, cover="")


@dataclass
class _CellBudget:
    limit: int
    seen: int = 0

    def spend(self, count: int, sheet: str, row: int) -> None:
        self.seen += count
        if self.seen > self.limit:
            raise IngestError(
                f"sheet too large: more than {self.limit:,} cells by sheet {sheet} row {row} (FOLIO_MAX_CHARS)"
            )


def _rows(values: Iterator[tuple], cells: _CellBudget, sheet: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the rows that have a value, numbered as the sheet numbers them."""
    for number, row in enumerate(values, start=1):
        cells.spend(max(len(row), 1), sheet, number)  # an empty row counts: a sheet may declare a million
        texts = [cell_text(value) for value in row]
        while texts and not texts[-1]:
            texts.pop()
        if texts:
            yield number, texts
