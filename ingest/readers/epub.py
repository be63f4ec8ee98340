"""The EPUB reader (.epub, zipfile and lxml): the chapters in reading order (the spine of the package file named by
META-INF/container.xml), each read by the HTML path of `ingest.readers.html`, a unit per chapter cited as
"chapter 3: Title" (its first heading). The zip and XML defences of `ingest.readers.archive` run first, and the
package files are parsed without entities or network.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

import lxml.etree as etree

from ingest.readers.archive import check_zip, open_zip
from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, unreadable_as
from ingest.readers.html import html_text, page_sections
from rag.errors import IngestError

MIMETYPE = b"mimetypeapplication/epub+zip"  # the first member, stored: at byte 30 of every EPUB
LABEL_CHARS = 80
CONTAINER = "META-INF/container.xml"
NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/"}  # fmt: skip
CHAPTER_TYPES = {"application/xhtml+xml", "text/html"}


@dataclass(frozen=True)
class EpubReader:
    """An e-book's chapters, a unit per chapter."""

    def recognises(self, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04") and head[30:58] == MIMETYPE

    def check(self, data: bytes) -> None:
        check_zip(data, ".epub")

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        units = Units(limits, "epub", "chapters")
        with open_zip(data, ".epub") as book, unreadable_as(".epub"):
            package_path = _package_path(book)
            package = _xml(book.read(package_path))
            title = " ".join(package.findtext(".//dc:title", default="", namespaces=NS).split())
            for number, chapter in enumerate(_chapters(book, package, posixpath.dirname(package_path)), start=1):
                _, sections = page_sections(html_text(book.read(chapter)))
                heading = next((h for h, _ in sections if h), "")
                label = f"chapter {number}: {heading[:LABEL_CHARS]}" if heading else f"chapter {number}"
                units.add("\n".join(body for _, body in sections), label)
        return units.extracted(name, title=title)


def _xml(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    return etree.fromstring(data, parser=parser)


def _package_path(book: zipfile.ZipFile) -> str:
    try:
        container = _xml(book.read(CONTAINER))
    except KeyError as error:
        raise IngestError(f"not an EPUB (no {CONTAINER})") from error
    path = container.find(".//c:rootfile", NS)
    if path is None or not path.get("full-path"):
        raise IngestError(f"not an EPUB (no package file named in {CONTAINER})")
    return str(path.get("full-path"))


def _chapters(book: zipfile.ZipFile, package: etree._Element, folder: str) -> Iterator[str]:
    """The members of the spine's HTML chapters, in reading order (each once)."""
    manifest = {item.get("id"): item for item in package.iterfind(".//opf:manifest/opf:item", NS) if item.get("href")}
    members, seen = set(book.namelist()), set()
    for reference in package.iterfind(".//opf:spine/opf:itemref", NS):
        item = manifest.get(reference.get("idref"))
        if item is None or item.get("media-type") not in CHAPTER_TYPES:
            continue
        member = posixpath.normpath(posixpath.join(folder, unquote(str(item.get("href")).split("#")[0])))
        if member in members and member not in seen:
            seen.add(member)
            yield member
