"""The defences of zip-based formats (.docx, .pptx, .xlsx, .epub), applied before any library parses the file.

- A zip bomb is refused from the central directory alone, before anything is decompressed: too many members,
  too much uncompressed data in all, or a member that expands more than MAX_RATIO times (Python's zipfile never
  inflates a member past the size the directory declares, so the declared sizes bound what is read).
- An XML entity declaration (`<!ENTITY`, the start of a billion-laughs or external-entity attack) in any member
  is refused: office and EPUB files never declare entities, and refusing them here does not depend on each
  library's parser settings.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from ingest.readers.common import check_not_empty
from rag.errors import IngestError

ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003 files, and Office files with a password
MAX_MEMBERS = 10_000  # a 500-slide deck has about 3,000
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all members together; the largest real sheets measured under 200 MB
MAX_RATIO = 100  # a member over RATIO_FROM bytes may expand at most this many times (real XML: 5-30 times)
RATIO_FROM = 1024 * 1024
ENTITY_MARKS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))
READ_BLOCK = 1024 * 1024
XML_MEMBERS = (".xml", ".rels", ".xhtml", ".html", ".htm", ".opf", ".ncx", ".svg", ".vml")  # what a parser reads


def check_zip(data: bytes, kind: str) -> None:
    """IngestError unless `data` is a zip archive within the size, ratio and member caps. Cheap: it reads the
    central directory only."""
    members = _members(data, kind)
    if len(members) > MAX_MEMBERS:
        raise IngestError(f"zip bomb refused: {len(members):,} members in the archive (the limit is {MAX_MEMBERS:,})")
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED:
        raise IngestError(
            f"zip bomb refused: {total >> 20:,} MB uncompressed (the limit is {MAX_UNCOMPRESSED >> 20} MB)"
        )
    for member in members:
        if member.file_size > RATIO_FROM and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            ratio = member.file_size // max(member.compress_size, 1)
            raise IngestError(f"zip bomb refused: {member.filename} expands {ratio:,} times (the limit is {MAX_RATIO})")


def open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """The archive, once `check_zip` passed and no member declares an XML entity."""
    check_zip(data, kind)
    archive = zipfile.ZipFile(io.BytesIO(data))
    for member in archive.infolist():
        xml = member.filename.lower().endswith(XML_MEMBERS) or "." not in member.filename.rpartition("/")[2]
        if not member.is_dir() and xml and _declares_entities(archive, member):
            raise IngestError(f"XML entity declarations refused (an entity-expansion attack?) in {member.filename}")
    return archive


def _members(data: bytes, kind: str) -> list[zipfile.ZipInfo]:
    check_not_empty(data)
    if data.startswith(OLE_SIGNATURE):
        raise IngestError(
            f"an encrypted or Office 97-2003 file, not a {kind}: remove its password or save it as {kind}"
        )
    if not data.startswith(ZIP_SIGNATURE):
        raise IngestError(f"not a {kind} file (not a zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise IngestError(f"corrupt {kind} file ({error})") from error


def _declares_entities(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the member holds `<!ENTITY` (read in blocks, with an overlap so a mark across two is found)."""
    tail = b""
    try:
        with archive.open(member) as file:
            while block := file.read(READ_BLOCK):
                window = tail + block
                if any(mark in window for mark in ENTITY_MARKS):
                    return True
                tail = window[-32:]
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError, ValueError) as error:
        raise IngestError(f"corrupt archive member {member.filename} ({error})") from error
    return False
