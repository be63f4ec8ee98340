"""Which reader reads a file, and reading it: in a child process, under the file's limits.

The content decides first (a PDF named `report` or `scan.txt` is read as a PDF), then the name's suffix. A file that
no reader recognises and none is registered for gets the PDF reader's reason ("not a PDF (no %PDF- header)"), the
reason Folio gave for every such file before it had readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType

from ingest.isolate import run_isolated
from ingest.readers.base import Extracted, Reader, ReadLimits
from ingest.readers.pdf import PdfReader
from rag.errors import IngestError

# Suffix (lower case, with its dot) → reader: one line per format. Read-only; an ingest with other readers passes
# its own mapping (`IngestOptions.readers`).
READERS: Mapping[str, Reader] = MappingProxyType(
    {
        ".pdf": PdfReader(),
    }
)
FALLBACK = ".pdf"  # the reader of a file no reader recognises or is registered for
HEAD_BYTES = 1024  # how much of a file a reader's `recognises` sees


def reader_for(name: str, data: bytes, readers: Mapping[str, Reader] = READERS) -> Reader | None:
    """The reader that recognises `data`, else the one registered for the suffix of `name`, else the fallback's."""
    head = data[:HEAD_BYTES]
    recognising = next((reader for reader in readers.values() if reader.recognises(head)), None)
    return recognising or readers.get(PurePath(name).suffix.lower()) or readers.get(FALLBACK)


def readable(name: str, readers: Mapping[str, Reader] = READERS) -> bool:
    """Whether a reader is registered for the suffix of `name` (what a folder's files are picked by)."""
    return PurePath(name).suffix.lower() in readers


def read_file(name: str, data: bytes, limits: ReadLimits, readers: Mapping[str, Reader] = READERS) -> Extracted:
    """The text of the file `name` with bytes `data`, read by its reader in a child process stopped after
    `limits.timeout` seconds; IngestError with a one-line reason when it cannot be read."""
    reader = reader_for(name, data, readers)
    if reader is None:
        raise IngestError(f"no reader for this kind of file (Folio reads {', '.join(sorted(readers))})")
    reader.check(data)  # cheap refusals need no child process
    return run_isolated(reader.read, data, name, limits, timeout=limits.timeout)
