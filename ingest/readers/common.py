"""What every reader of a format other than PDF shares: decoding text, the text budget, the unit count limit,
rows indexed with their header, and the reasons a file gives nothing.

The limits are the PDF's (`ReadLimits`): FOLIO_MAX_CHARS caps a file's text and FOLIO_MAX_PAGES its units (slides,
sections, blocks of rows), so a hostile file of any format stops at the same bounds.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ingest.readers.base import Extracted, ReadLimits, Unit
from rag.errors import IngestError

ROWS_PER_UNIT = 20  # rows of a sheet or CSV file cited together ("sheet Q3, rows 12-31")
UNIT_CHARS = 4000  # a block of rows or of plain text closes at about this many characters (about a printed page)
BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def check_not_empty(data: bytes) -> None:
    if not data:
        raise IngestError("file is empty (0 bytes)")


def decode_text(data: bytes) -> str:
    """Text from bytes: by its byte order mark (UTF-8, UTF-16, UTF-32), else UTF-8, else Windows-1252 where it
    decodes, else Latin-1 (which decodes any bytes)."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


@dataclass
class Units:
    """A file's units as a reader finds them, within the text and unit limits of `limits`."""

    limits: ReadLimits
    reader: str  # what produced the text ("docx", "pptx", …), stored with each chunk
    what: str = "units"  # how the limit reasons name the units ("slides", "sections")
    units: list[Unit] = field(default_factory=list)
    count: int = 0  # every unit, with text or without
    chars: int = 0

    def add(self, text: str, label: str) -> None:
        """The next unit; IngestError once the file has more units or text than its limits allow."""
        self.count += 1
        if self.count > self.limits.max_pages:
            raise IngestError(
                f"too many {self.what}: more than {self.limits.max_pages:,} (the limit is FOLIO_MAX_PAGES)"
            )
        self.spend(len(text), label)
        if text.strip():
            self.units.append(Unit(self.count, text.strip(), self.reader, label))

    def spend(self, chars: int, place: str) -> None:
        """Count `chars` more characters of text (before they are kept, so a huge one is refused unread)."""
        self.chars += chars
        if self.chars > self.limits.max_chars:
            limit = self.limits.max_chars
            raise IngestError(f"too much text: more than {limit:,} characters by {place} (FOLIO_MAX_CHARS)")

    def extracted(
        self, name: str, title: str = "", warnings: Sequence[str] = (), cover: str | None = None
    ) -> Extracted:
        """The units found; IngestError when none has text."""
        if not self.units:
            raise IngestError(f"no text in {name} ({self.count} {self.what})" if self.count else f"no text in {name}")
        return Extracted(self.units, self.count, list(warnings), title=title, cover=cover)


def indexed_rows(header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]]) -> Iterable[tuple[int, str]]:
    """Each row as one line that names its cells by their header: "Item: Ferry tickets; Amount: 4417" (a row alone
    does not say what its numbers are). Cells without a header are named by their column ("column 4")."""
    for number, cells in rows:
        named = [
            f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: {cell}"
            for i, cell in enumerate(cells)
            if cell
        ]
        if named:
            yield number, "; ".join(named)


def row_blocks(lines: Iterable[tuple[int, str]], units: Units, place: str) -> None:
    """Rows (number, line) into units of up to ROWS_PER_UNIT rows or UNIT_CHARS characters, each labelled
    "{place}, rows a-b"."""
    block: list[tuple[int, str]] = []
    size = 0

    def close() -> None:
        first, last = block[0][0], block[-1][0]
        rows = f"row {first}" if first == last else f"rows {first}-{last}"
        units.add("\n".join(line for _, line in block), f"{place}, {rows}" if place else rows)
        block.clear()

    for number, line in lines:
        if block and (len(block) >= ROWS_PER_UNIT or size + len(line) > UNIT_CHARS):
            close()
            size = 0
        block.append((number, line))
        size += len(line) + 1
    if block:
        close()


def cell_text(value: object) -> str:
    """A cell's value as one line of text ("" for none)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


@contextmanager
def unreadable_as(kind: str) -> Iterator[None]:
    """A library's error while reading (a malformed part, an XML tree too deep for lxml) as the one-line reason
    "corrupt or unreadable {kind} file (…)"; IngestError and MemoryError pass unchanged."""
    try:
        yield
    except (IngestError, MemoryError):
        raise
    except Exception as error:
        detail = " ".join(str(error).split())[:200] or type(error).__name__
        raise IngestError(f"corrupt or unreadable {kind} file ({detail})") from error
