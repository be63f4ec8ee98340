"""OCR engines on generated scans: RapidOCR (Folio's choice) vs Debian's Tesseract, same page images,
two pages at a time on 2 cores. Reports pages/s, the ratio, and the character error rate (CER)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

SCAN_TEXTS = [
    "The harbour of Valdemar Bay was dredged in 1887 to a depth of eleven metres. Its lighthouse keeper, "
    "Agnes Thorvald, logged every ship that entered the bay, with its tonnage and its home port.",
    "Annual rainfall in the valley averages 640 millimetres, most of it in October. Farmers there grow "
    "barley, flax and a late variety of plum that ripens in the first week of November.",
    "Section 4.2: the pump must be inspected every 90 days; replace the seal (part no. 7731-B) when the "
    "pressure drops below 2.5 bar, and record the date, the reading and the inspector's initials.",
    "Footnote in small print: the survey of 1911 counted 4,318 inhabitants, 212 fishing boats, 9 schools "
    "and 3 churches, one of which burnt down in the winter of 1923 and was never rebuilt.",
]


def make_scanned_pdf(path: Path, pages: list[str | None], dpi: int = 150) -> Path:
    """A PDF whose pages are images of the given text (a scan: no text layer); None makes a text page."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        if text is None:
            pdf.multi_cell(0, 14, "This page has a real text layer about the harbour crane inspection.")
            continue
        image = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
        draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=int(11 / 72 * dpi))
        for row, line in enumerate(textwrap.wrap(text, 70)):
            draw.text((dpi, dpi + row * int(18 / 72 * dpi)), line, fill=0, font=font)
        pdf.image(image, 0, 0, w=pdf.w, h=pdf.h)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def make_poster_scans(path: Path, pages: int, points: int = 2000) -> Path:
    """A small file of many huge image-only pages sharing one 8x8 image (hundreds of MB of page images)."""
    pdf = FPDF(unit="pt", format=(points, points))
    for _ in range(pages):
        pdf.add_page()
        pdf.image(Image.new("L", (8, 8), 200), 0, 0, w=points, h=points)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance / reference length (whitespace normalised)."""
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / len(ref)


def _tesseract(image_path: Path) -> str:
    done = subprocess.run(["tesseract", str(image_path), "-", "--psm", "3"], capture_output=True, text=True)
    return done.stdout


def ocr_report(repeat: int = 2) -> str:
    import pypdfium2

    from ingest.ocr import RENDER_DPI, _engine, ocr_pages

    texts = SCAN_TEXTS * repeat
    with tempfile.TemporaryDirectory(prefix="folio-ocr-") as tmp:
        pdf = make_scanned_pdf(Path(tmp) / "scan.pdf", texts)
        data = pdf.read_bytes()
        numbers = list(range(1, len(texts) + 1))
        _engine()  # load the models outside the timing, as a long ingest would
        start = time.perf_counter()
        rapid = ocr_pages(data, numbers, page_seconds=120).texts
        rapid_s = time.perf_counter() - start
        rows = [("RapidOCR 3.10 (PP-OCRv6 small, onnxruntime), Folio", rapid_s, [rapid[n] for n in numbers])]
        if shutil.which("tesseract"):
            document = pypdfium2.PdfDocument(data)
            images = []
            for n in numbers:
                images.append(Path(tmp) / f"p{n}.png")
                document[n - 1].render(scale=RENDER_DPI / 72).to_pil().save(images[-1])
            start = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:
                tess = list(pool.map(_tesseract, images))
            rows.append(("Tesseract 5 (Debian, eng), 2 processes", time.perf_counter() - start, tess))
    lines = [
        f"## OCR: {len(texts)} generated scanned pages (A4, 150 dpi scans, rendered at {RENDER_DPI} dpi)",
        "",
        "| engine | pages/s | mean CER | worst CER |",
        "|---|---|---|---|",
    ]
    for name, seconds, outputs in rows:
        errors = [cer(ref, out) for ref, out in zip(texts, outputs, strict=True)]
        lines.append(f"| {name} | {len(texts) / seconds:.2f} | {sum(errors) / len(errors):.4f} | {max(errors):.4f} |")
    if len(rows) == 2:
        lines += ["", f"- RapidOCR / Tesseract speed: ×{rows[1][1] / rows[0][1]:.2f}"]
    else:
        lines += ["", "- Tesseract not installed (`apt-get install tesseract-ocr`): comparison skipped."]
    return "\n".join(lines)
