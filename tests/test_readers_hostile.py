"""Hostile files of every format Folio reads: each refused by `ingest_paths` as a failed file with a one-line reason
(zip bombs by ratio, total size and member count; XML entity expansion; deep nesting; huge sheets; a CSV that is one
giant field; too much text; too many units), the other files of the folder going through."""

import io
import re
import struct
import zipfile

import openpyxl
import pytest

from ingest import IngestOptions, ingest_paths
from ingest.readers.base import ReadLimits
from tests import formats

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">' for n in range(1, 10))
    + "]>"
)


def _rewritten(path, member, change):
    """The zip at `path` with `member`'s bytes passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info, change(data) if info.filename == member else data)
    path.write_bytes(out.getvalue())
    return path


def _declaring(path, total):
    """The zip at `path` with its first member's uncompressed size in the central directory set to `total`."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    data[at + 24 : at + 28] = struct.pack("<I", total)
    path.write_bytes(bytes(data))
    return path


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_hostile_containers_are_failed_files_with_one_line_reasons(tmp_path, store, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    formats.write_markdown(docs / "fine.md")
    _zip(docs / "ratio.docx", [("[Content_Types].xml", "<Types/>"), ("word/document.xml", b"\0" * (50 << 20))])
    _declaring(formats.write_docx(docs / "total.docx"), 600 << 20)
    _zip(docs / "members.xlsx", [(f"xl/{n}.xml", b"") for n in range(10_001)])
    _rewritten(formats.write_docx(docs / "laughs.docx"), "word/document.xml", lambda xml: BILLION_LAUGHS.encode() + xml)
    _rewritten(formats.write_pptx(docs / "laughs.pptx"), "ppt/slides/slide1.xml", lambda x: BILLION_LAUGHS.encode() + x)
    _rewritten(
        formats.write_epub(docs / "laughs.epub"),
        "OEBPS/text/c1.xhtml",
        lambda x: x.replace(b"<html", b"<!ENTITY x 'y'><html"),
    )
    _rewritten(
        formats.write_xlsx(docs / "laughs.xlsx"), "xl/worksheets/sheet1.xml", lambda x: BILLION_LAUGHS.encode() + x
    )
    (docs / "deep.html").write_text("<html><body>" + "<div>" * 5000 + "deep text" + "</div>" * 5000 + "</body></html>")
    _rewritten(
        formats.write_docx(docs / "deep.docx"),
        "word/document.xml",
        lambda xml: xml.replace(b"<w:body>", b"<w:body>" + b"<w:sdt><w:sdtContent>" * 300, 1).replace(
            b"</w:body>", b"</w:sdtContent></w:sdt>" * 300 + b"</w:body>", 1
        ),
    )
    (docs / "giant.csv").write_text("Name,Notes\nAgnes," + "x" * 200_000 + "\n")
    (docs / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (docs / "empty.pptx").write_bytes(b"")
    (docs / "locked.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))  # OLE2: a password's container

    report = ingest_paths([docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))
    reasons = {r.source: (r.status, r.reason) for r in report.results}
    assert reasons == {
        "broken.xlsx": ("failed", "corrupt .xlsx file (File is not a zip file)"),
        "deep.docx": ("failed", reasons["deep.docx"][1]),
        "deep.html": ("failed", "elements nested more than 250 deep (refused: the parser would drop their text)"),
        "empty.pptx": ("failed", "file is empty (0 bytes)"),
        "fine.md": ("ingested", ""),
        "giant.csv": ("failed", "a field longer than 131,072 characters (row 2); not a table?"),
        "laughs.docx": ("failed", "XML entity declarations refused (an entity-expansion attack?) in word/document.xml"),
        "laughs.epub": (
            "failed",
            "XML entity declarations refused (an entity-expansion attack?) in OEBPS/text/c1.xhtml",
        ),
        "laughs.pptx": (
            "failed",
            "XML entity declarations refused (an entity-expansion attack?) in ppt/slides/slide1.xml",
        ),
        "locked.docx": (
            "failed",
            "an encrypted or Office 97-2003 file, not a .docx: remove its password or save it as .docx",
        ),
        "laughs.xlsx": (
            "failed",
            "XML entity declarations refused (an entity-expansion attack?) in xl/worksheets/sheet1.xml",
        ),
        "members.xlsx": ("failed", "zip bomb refused: 10,001 members in the archive (the limit is 10,000)"),
        "ratio.docx": ("failed", reasons["ratio.docx"][1]),
        "total.docx": ("failed", "zip bomb refused: 600 MB uncompressed (the limit is 512 MB)"),
    }
    ratio = r"zip bomb refused: word/document\.xml expands 2\d\d times \(the limit is 100\)"  # zlib's ratio: ~229
    assert re.fullmatch(ratio, reasons["ratio.docx"][1])
    # lxml refuses a tree deeper than 256 elements; python-docx's error becomes the file's reason, on one line
    assert (
        reasons["deep.docx"][1].startswith("corrupt or unreadable .docx file (") and "\n" not in reasons["deep.docx"][1]
    )
    assert [d.source for d in store.documents()] == ["fine.md"]


def test_huge_sheets_too_much_text_and_too_many_units_stop_at_the_limits(tmp_path, store, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    book = openpyxl.Workbook()
    book.active.title = "Q3"
    book.active["A1"], book.active["XFD1048576"] = "Item", "last"  # every row padded to 16,384 columns
    book.save(docs / "huge.xlsx")
    (docs / "paragraph.txt").write_text("word " * 100_000)  # 500,000 characters on one line
    formats.write_pptx(docs / "deck.pptx")  # 7 slides
    formats.write_csv(docs / "crew.csv")

    limits = ReadLimits(max_chars=200_000, max_pages=5)
    report = ingest_paths(
        [docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8, limits=limits)
    )
    assert {r.source: (r.status, r.reason) for r in report.results} == {
        "crew.csv": ("ingested", ""),
        "deck.pptx": ("failed", "too many slides: more than 5 (the limit is FOLIO_MAX_PAGES)"),
        "huge.xlsx": ("failed", "sheet too large: more than 200,000 cells by sheet Q3 row 13 (FOLIO_MAX_CHARS)"),
        "paragraph.txt": ("failed", "too much text: more than 200,000 characters by line 1 (FOLIO_MAX_CHARS)"),
    }


@pytest.mark.slow  # OCR: about 2 s an image on 2 cores
def test_an_image_is_read_by_ocr_and_cited_as_the_image_a_tiff_by_frame(tmp_path, store, embedder):
    from PIL import Image, ImageDraw, ImageFont

    def picture(text):
        image = Image.new("RGB", (900, 160), "white")
        ImageDraw.Draw(image).text((30, 50), text, fill="black", font=ImageFont.load_default(size=44))
        return image

    docs = tmp_path / "docs"
    docs.mkdir()
    picture("The gate code is 4417").save(docs / "sign.png")
    picture("Harbour closed on Mondays").save(
        docs / "scan.tiff", save_all=True, append_images=[picture("Ferry fare is 12 crowns")]
    )
    report = ingest_paths([docs], store, embedder, options=IngestOptions(chunk_tokens=64, chunk_overlap=8))
    assert [(r.source, r.status, r.pages, r.reader) for r in report.results] == [
        ("scan.tiff", "ingested", 2, "ocr"),
        ("sign.png", "ingested", 1, "ocr"),
    ]
    labels = {(c.source, label) for c in store.all_chunks() for label in c.printed_labels.values()}
    assert labels == {("scan.tiff", "frame 1"), ("scan.tiff", "frame 2"), ("sign.png", "image")}
    texts = " ".join(c.text for c in store.all_chunks())
    assert "4417" in texts and "12 crowns" in texts
