"""The HTML reader (.html, .htm) and the HTML path of EPUB chapters: the page's main content, a unit per section.

lxml's HTML parser (no network, no entities, comments dropped) and a small readability rule instead of
trafilatura: trafilatura pulls in eight more packages (dateparser, htmldate, courlan, justext, …) for scoring
blocks of arbitrary web pages, while the pages people keep are mostly documentation and saved articles whose
markup says what is navigation. The rule: the `<main>` element (or `role="main"`, or a page's only `<article>`),
else the body; without navigation, banners, footers, asides, forms, scripts, styles and hidden elements.
Headings start sections, cited by their text ("§ 3.2 Eligibility"); lists keep their items, tables their rows
with the header line, definition lists each term on the line of its definition ("%M: Maximum resident set size …":
a definition alone does not say what it defines). Document text is data: links and markup are dropped, only their
text is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html

from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import Units, check_not_empty, decode_text
from rag.errors import IngestError

MAX_DEPTH = 250  # libxml2 drops (silently) what is nested deeper than 255 elements: such a page is refused
LABEL_CHARS = 80  # a heading longer than this is cut in its citation
DROPPED = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "iframe", "svg",
           "button", "select", "textarea", "object", "embed", "canvas", "math", "head"}  # fmt: skip
DROPPED_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "toolbar"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCKS = {"p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "dl", "dt", "dd", "li", "table",
          "tr", "figure", "figcaption", "br", "hr", "address", "details", "summary", "caption", "body"}  # fmt: skip
CELLS = {"td", "th"}


@dataclass(frozen=True)
class HtmlReader:
    """A web page's main content, a unit per section (the text before the first heading is "beginning")."""

    def recognises(self, head: bytes) -> bool:
        return False  # known by its suffix: an HTML error page saved as `report.pdf` is "not a PDF", not a document

    def check(self, data: bytes) -> None:
        check_not_empty(data)

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        units = Units(limits, "html", "sections")
        title, sections = page_sections(html_text(data))
        for heading, body in sections:
            units.add(body, f"§ {heading}" if heading else "beginning")
        return units.extracted(name, title=title)


def html_text(data: bytes) -> str:
    """The page's text: bytes decoded by their byte order mark or `<meta charset>`, else as text files are."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_text(data)
    declared = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", data[:4096], re.IGNORECASE)
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return decode_text(data)


def page_sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The title of the page `text` and the (heading, text) of each section of its main content ("" for the text
    before the first heading)."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)  # lxml refuses a str that declares its encoding
    if not text.strip():
        return "", []
    try:
        document = lxml.html.document_fromstring(text, parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as error:
        raise IngestError(f"unreadable HTML ({' '.join(str(error).split())[:200]})") from error
    _check_depth(document)
    title = " ".join(document.findtext(".//title", default="").split())
    return title, list(_sections(_main(document)))


def _parser() -> lxml.html.HTMLParser:
    return lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=False)


def _check_depth(document: etree._Element) -> None:
    depth = deepest = 0
    for event, _ in etree.iterwalk(document, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    if deepest >= MAX_DEPTH:
        raise IngestError(f"elements nested more than {MAX_DEPTH} deep (refused: the parser would drop their text)")


def _main(document: etree._Element) -> etree._Element:
    """The element that holds the page's main content, with navigation and the like removed."""
    for element in list(document.iter()):
        if not isinstance(element.tag, str):
            continue
        role = (element.get("role") or "").lower()
        hidden = element.get("hidden") is not None or (element.get("aria-hidden") or "").lower() == "true"
        if (element.tag in DROPPED or role in DROPPED_ROLES or hidden) and element.getparent() is not None:
            element.drop_tree()  # keeps its tail, the text that follows it
    main = document.find(".//main")
    if main is None:
        main = next(iter(document.xpath(".//*[@role='main']")), None)
    if main is None:
        articles = document.findall(".//article")
        main = articles[0] if len(articles) == 1 else document.find("body")
    return main if main is not None else document


def _sections(root: etree._Element) -> Iterator[tuple[str, str]]:
    """(heading, text) of each section under `root`, the first with heading "" when text comes before any."""
    heading, lines, line = "", list[str](), list[str]()
    in_heading = 0
    title: list[str] = []
    terms: list[str] = []  # the terms (<dt>) whose definition (<dd>) has not started yet

    def end_line() -> None:
        joined = " ".join("".join(line).split())
        if joined:
            lines.append(f"{'; '.join(terms)}: {joined}" if terms else joined)
            terms.clear()
        line.clear()

    def flush_terms() -> None:
        """Terms that no definition followed, each on its own line."""
        lines.extend(terms)
        terms.clear()

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in HEADINGS:
                end_line()
                flush_terms()
                if lines:
                    yield heading, "\n".join(lines)
                lines, in_heading, title = [], in_heading + 1, []
            elif tag in BLOCKS or tag == "tr":
                end_line()
                if tag == "li":
                    line.append("- ")
            elif tag in CELLS and element.getprevious() is not None:
                line.append(" | ")
            (title if in_heading else line).append(element.text or "")
        else:
            if tag in HEADINGS:
                in_heading -= 1
                heading = " ".join("".join(title).split())[:LABEL_CHARS]
                lines.append(heading)
            elif tag == "dt":
                term = " ".join("".join(line).split()).rstrip(":")
                line.clear()
                if term:
                    terms.append(term)
            elif tag in BLOCKS:
                end_line()
                if tag == "dl":
                    flush_terms()
            if element is not root:
                (title if in_heading else line).append(element.tail or "")
    end_line()
    flush_terms()
    if lines:
        yield heading, "\n".join(lines)
