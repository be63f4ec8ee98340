"""Real files of every format Folio reads, written by the real libraries (python-docx, python-pptx, openpyxl, the
csv and zipfile modules, Pillow), each holding one fact in a known unit, for tests/test_readers_formats.py."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import docx
import openpyxl
import pptx
from pptx.util import Inches


def write_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Harbourton grant rules"
    document.add_paragraph("These rules govern the harbour restoration grants.")
    document.add_heading("1 Scope", level=1)
    document.add_paragraph("The grants cover the breakwater, the slipway and the old fish market.")
    document.add_heading("3.2 Eligibility", level=2)
    document.add_paragraph("Applicants must have lived in Harbourton for at least two years.")
    document.add_paragraph("A proof of address is attached to the form", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, cells in enumerate([("Grant", "Ceiling"), ("Slipway repair", "8,000"), ("Net loft", "2,500")]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    document.add_heading("4 Deadlines", level=1)
    document.add_paragraph("Forms are due before the autumn equinox.")
    document.save(path)
    return with_footnote(path, "for at least two years.")


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
FOOTNOTES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes {W}>'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:id="1"><w:p><w:r><w:t>Residence is counted from the first council tax bill.</w:t></w:r></w:p>'
    "</w:footnote></w:footnotes>"
)


def with_footnote(path: Path, after: str) -> Path:
    """The .docx at `path` with a footnote (python-docx cannot write one) referred to after the text `after`."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    reference = '</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r><w:r><w:t>'
    members["word/document.xml"] = members["word/document.xml"].replace(
        after.encode(), after.encode() + reference.encode(), 1
    )
    members["word/footnotes.xml"] = FOOTNOTES.encode()
    rels = members["word/_rels/document.xml.rels"].decode()
    relation = (
        '<Relationship Id="rIdFootnotes" Target="footnotes.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"/>'
    )
    members["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", relation + "</Relationships>").encode()
    types = members["[Content_Types].xml"].decode()
    override = (
        '<Override PartName="/word/footnotes.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
    )
    members["[Content_Types].xml"] = types.replace("</Types>", override + "</Types>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def write_pptx(path: Path) -> Path:
    deck = pptx.Presentation()
    for number in range(1, 8):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Topic {number}" if number != 7 else "Ferry schedule"
        body = "The night ferry leaves Pier Four at 23:40." if number == 7 else f"Agenda point {number} of the meeting."
        slide.placeholders[1].text_frame.text = body
        if number == 2:  # a group's text is read too
            group = slide.shapes.add_group_shape()
            legend = group.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1))
            legend.text_frame.text = "Map legend: red buoys"
        if number == 7:
            slide.notes_slide.notes_text_frame.text = "Mention that the winter timetable starts in November."
            rows = slide.shapes.add_table(2, 2, Inches(1), Inches(5), Inches(4), Inches(1)).table
            for row, cells in enumerate([("Route", "Minutes"), ("Pier Four to Skerry", "35")]):
                for column, text in enumerate(cells):
                    rows.cell(row, column).text = text
    deck.save(path)
    return path


def write_xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Q1"
    first.append(["Item", "Amount"])
    first.append(["Buoys", 1200])
    third = book.create_sheet("Q3")
    third.append(["Item", "Supplier", "Amount"])
    for n in range(2, 60):
        third.append([f"Rope batch {n}", "Nordvik", n * 10])
    third.cell(row=45, column=1, value="Lighthouse lantern paint")
    third.cell(row=45, column=2, value="Marlow & Daughters")
    third.cell(row=45, column=3, value=9120)
    book.save(path)
    return path


def write_csv(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(["Name", "Role", "Phone"])
        writer.writerow(["Agnes Thorvald", "lighthouse keeper", "555-0199"])
        writer.writerow(["Ivo Brandt", "harbour master", "555-0142"])
    return path


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Maritime museum</title></head>
<body><nav><a href="/">Home</a> <a href="/shop">Souvenir shop discount codes</a></nav>
<main><h1>Maritime museum</h1><p>A museum of the harbour's history.</p>
<h2>Opening hours</h2><p>The museum opens at 10:00 on Sundays and closes at 16:00.</p>
<ul><li>Guided tours at 11:00</li></ul></main>
<footer>Cookie settings and copyright notices</footer></body></html>"""


def write_html(path: Path) -> Path:
    path.write_text(HTML, encoding="utf-8")
    return path


def write_markdown(path: Path) -> Path:
    path.write_text(
        "# Harbour notes\n\nGeneral notes on the harbour.\n\n## Tides\n\n"
        "High tide at the north jetty is at 06:12 on the first of May.\n\n"
        "```\n# not a heading: a comment in a code block\n```\n\nTides\n-----\n\nA second tides section.\n",
        encoding="utf-8",
    )
    return path


def write_text(path: Path, encoding: str = "utf-8") -> Path:
    filler = "\n".join(f"Line {n} of the harbour log: calm seas, light westerly wind." for n in range(1, 121))
    text = filler + "\n\nLe café du port ferme à 18 h, sauf le dimanche où le patron pêche le maquereau.\n"
    path.write_bytes(text.encode(encoding))
    return path


CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p></body></html>"""


def write_epub(path: Path) -> Path:
    chapters = [
        ("The breakwater", "The breakwater was built of granite from the Skerry quarry in 1871."),
        ("The storm", "The great storm of 1903 tore the lantern from the lighthouse roof."),
    ]
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        book.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        items = "".join(f'<item id="c{n}" href="text/c{n}.xhtml" media-type="application/xhtml+xml"/>' for n in (1, 2))
        spine = "".join(f'<itemref idref="c{n}"/>' for n in (1, 2))
        book.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>A harbour history</dc:title></metadata>'
            f"<manifest>{items}</manifest><spine>{spine}</spine></package>",
        )
        for n, (title, text) in enumerate(chapters, start=1):
            book.writestr(f"OEBPS/text/c{n}.xhtml", CHAPTER.format(title=title, text=text))
    return path
