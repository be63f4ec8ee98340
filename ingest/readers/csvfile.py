"""The CSV reader (.csv, the csv module): the dialect sniffed from the file's start (comma, semicolon, tab or pipe),
each row naming its cells by the header row ("Item: Ferry tickets; Amount: 4417"), a unit per block of rows
cited as "rows 12-31" (numbered as a spreadsheet shows them, the header being row 1). A field longer than
MAX_FIELD characters (a file that is one giant field) is refused with that reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, cell_text, check_not_empty, decode_text, indexed_rows, row_blocks
from rag.errors import IngestError

MAX_FIELD = 131_072  # characters in one field (the csv module's own default limit)
SNIFF_CHARS = 64 * 1024
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class CsvReader:
    """A CSV file's rows, a unit per block of rows."""

    def recognises(self, head: bytes) -> bool:
        return False  # no signature: known by its suffix

    def check(self, data: bytes) -> None:
        check_not_empty(data)

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        units = Units(limits, "csv", "blocks of rows")
        if len(data) > limits.max_chars * 4:  # no encoding takes more than 4 bytes a character: refused undecoded
            units.spend(len(data) // 4, "the start")
        text = decode_text(data)
        rows = _rows(csv.reader(io.StringIO(text, newline=""), _dialect(text[:SNIFF_CHARS])))
        header = next(rows, (0, []))[1]
        row_blocks(indexed_rows(header, rows), units, "")
        return units.extracted(name, cover="")


def _dialect(sample: str) -> type[csv.Dialect]:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:  # one column, or too little to tell
        return csv.excel


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) of the rows that have a value."""
    limit, number = csv.field_size_limit(MAX_FIELD), 0
    try:
        for number, row in enumerate(reader, start=1):
            cells = [cell_text(cell) for cell in row]
            if any(cells):
                yield number, cells
    except csv.Error as error:
        if "field limit" in str(error):
            reason = f"a field longer than {MAX_FIELD:,} characters (row {number + 1}); not a table?"
            raise IngestError(reason) from error
        raise IngestError(f"unreadable CSV ({error})") from error
    finally:
        csv.field_size_limit(limit)
