"""Build the set's slides and sheets from real Debian tables, and an HTML rendering of each for the PDF copy.

usage: make_tables.py CONTAINERS_DIR HTML_DIR   (run by build.sh with python-pptx and openpyxl installed)

- network-services.pptx: netbase's /etc/services, one table of ROWS_PER_SLIDE services a slide after a title slide
  (the file's own header comment as the title slide's speaker notes);
- time-zones.xlsx: tzdata's iso3166.tab (sheet Countries) and zone1970.tab (sheet Zones), a header row each;
- debian-releases.csv, ubuntu-releases.csv: distro-info-data's tables, copied byte for byte.
The HTML rendering puts each slide on a page of its own (PDF page N = slide N) and each sheet as one table.
"""

import csv
import html
import shutil
import sys
from pathlib import Path

from openpyxl import Workbook
from pptx import Presentation
from pptx.util import Inches, Pt

ROWS_PER_SLIDE = 16
SERVICES = Path("/etc/services")
ISO3166 = Path("/usr/share/zoneinfo/iso3166.tab")
ZONES = Path("/usr/share/zoneinfo/zone1970.tab")
DISTRO_INFO = Path("/usr/share/distro-info")


def services() -> list[list[str]]:
    """Rows of /etc/services: service, port, protocol, aliases, comment."""
    rows = []
    for line in SERVICES.read_text().splitlines():
        entry, _, comment = line.partition("#")
        fields = entry.split()
        if not fields:
            continue
        port, _, proto = fields[1].partition("/")
        rows.append([fields[0], port, proto, " ".join(fields[2:]), comment.strip()])
    return rows


def header_comment() -> str:
    lines = []
    for line in SERVICES.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("# ").rstrip())
    return " ".join(x for x in lines if x)


def tab(path: Path, width: int) -> list[list[str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        rows.append(fields + [""] * (width - len(fields)))
    return rows


HEAD = ["Service", "Port", "Protocol", "Aliases", "Comment"]
PAGE = (
    "<style>@page{size:A4 landscape;margin:12mm} section{page-break-after:always}"
    " table{border-collapse:collapse;font:11px sans-serif} td,th{border:1px solid #999;padding:2px 5px;text-align:left}"
    "</style>"
)


def table_html(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def deck(out: Path, html_out: Path) -> None:
    rows = services()
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    title = prs.slides.add_slide(prs.slide_layouts[0])
    title.shapes.title.text = "Network services and their well-known ports"
    title.placeholders[1].text = "From Debian's /etc/services (package netbase)"
    title.notes_slide.notes_text_frame.text = header_comment()
    pages = [
        f"<section><h1>{html.escape(title.shapes.title.text)}</h1><p>{html.escape(title.placeholders[1].text)}</p>"
        f"<p>Notes: {html.escape(header_comment())}</p></section>"
    ]
    for start in range(0, len(rows), ROWS_PER_SLIDE):
        part = rows[start : start + ROWS_PER_SLIDE]
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # title only
        heading = f"Services {part[0][0]} to {part[-1][0]}"
        slide.shapes.title.text = heading
        shape = slide.shapes.add_table(len(part) + 1, len(HEAD), Inches(0.4), Inches(1.4), Inches(12.5), Inches(5.8))
        for c, text in enumerate(HEAD):
            shape.table.cell(0, c).text = text
        for r, row in enumerate(part, start=1):
            for c, text in enumerate(row):
                cell = shape.table.cell(r, c)
                cell.text = text
                cell.text_frame.paragraphs[0].font.size = Pt(11)
        pages.append(f"<section><h1>{html.escape(heading)}</h1>{table_html(HEAD, part)}</section>")
    prs.save(out)
    html_out.write_text(f"<!doctype html><meta charset=utf-8><title>{out.stem}</title>{PAGE}" + "".join(pages))


def workbook(out: Path, html_out: Path) -> None:
    sheets = [
        ("Countries", ["Code", "Country"], tab(ISO3166, 2)),
        ("Zones", ["Country codes", "Coordinates", "TZ", "Comments"], tab(ZONES, 4)),
    ]
    wb = Workbook()
    wb.remove(wb.active)
    parts = []
    for name, head, rows in sheets:
        ws = wb.create_sheet(name)
        ws.append(head)
        for row in rows:
            ws.append(row)
        parts.append(f"<h1>Sheet {name}</h1>{table_html(head, rows)}")
    wb.save(out)
    html_out.write_text(f"<!doctype html><meta charset=utf-8><title>{out.stem}</title>{PAGE}" + "".join(parts))


def csv_copy(source: Path, out: Path, html_out: Path) -> None:
    shutil.copyfile(source, out)
    rows = list(csv.reader(source.open(newline="")))
    html_out.write_text(
        f"<!doctype html><meta charset=utf-8><title>{out.stem}</title>{PAGE}<h1>{out.name}</h1>"
        + table_html(rows[0], rows[1:])
    )


def main() -> None:
    containers, htmls = Path(sys.argv[1]), Path(sys.argv[2])
    deck(containers / "network-services.pptx", htmls / "network-services.html")
    workbook(containers / "time-zones.xlsx", htmls / "time-zones.html")
    for distro in ("debian", "ubuntu"):
        name = f"{distro}-releases"
        csv_copy(DISTRO_INFO / f"{distro}.csv", containers / f"{name}.csv", htmls / f"{name}.html")


if __name__ == "__main__":
    main()
