"""Plain text (.txt) and Markdown (.md): encodings by byte order mark, else UTF-8, else Windows-1252/Latin-1.

Markdown: a unit per section, each heading (`#` lines and underlined ones, not those inside code fences) starting
one, cited by its text ("§ 3.2 Eligibility"); links keep their text only. Plain text has no structure to go by:
a unit per block of about a printed page, closed at a blank line where it can be, cited by its lines
("lines 120-164").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ingest.readers.base import Extracted, ReadLimits
from ingest.readers.common import UNIT_CHARS, Units, check_not_empty, decode_text

ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")  # [text](url) and ![alt](src) → text, alt
LABEL_CHARS = 80


def _text(data: bytes, units: Units) -> str:
    if len(data) > units.limits.max_chars * 4:  # no encoding takes more than 4 bytes a character: refused undecoded
        units.spend(len(data) // 4, "the start")
    return decode_text(data).replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class MarkdownReader:
    """A Markdown file, a unit per section."""

    def recognises(self, head: bytes) -> bool:
        return False  # no signature: known by its suffix

    def check(self, data: bytes) -> None:
        check_not_empty(data)

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        units = Units(limits, "markdown", "sections")
        title = ""
        for heading, body in markdown_sections(_text(data, units)):
            title = title or heading
            units.add(body, f"§ {heading[:LABEL_CHARS]}" if heading else "beginning")
        return units.extracted(name, title=title)


@dataclass(frozen=True)
class TextReader:
    """A plain text file, a unit per page-sized block of lines."""

    def recognises(self, head: bytes) -> bool:
        return False  # no signature: known by its suffix

    def check(self, data: bytes) -> None:
        check_not_empty(data)

    def read(self, data: bytes, name: str, limits: ReadLimits) -> Extracted:
        units = Units(limits, "text", "blocks")
        for first, last, body in text_blocks(_text(data, units)):
            units.add(body, f"line {first}" if first == last else f"lines {first}-{last}")
        return units.extracted(name)


def markdown_sections(text: str) -> Iterator[tuple[str, str]]:
    """(heading, text) of each section, the first with heading "" when text comes before any heading."""
    heading, lines, fenced = "", list[str](), False
    source = text.split("\n")
    for i, line in enumerate(source):
        if FENCE.match(line):
            fenced = not fenced
        underline = not fenced and i + 1 < len(source) and SETEXT.match(source[i + 1]) and line.strip()
        atx = None if fenced else ATX.match(line)
        if atx or underline:
            if any(part.strip() for part in lines):
                yield heading, "\n".join(lines)
            heading = (atx.group(2) if atx else line).strip()
            lines = [heading]
            continue
        if not fenced and lines and lines[-1] == heading and SETEXT.match(line):
            continue  # the underline of the heading just started
        lines.append(LINK.sub(r"\1", line))
    if any(part.strip() for part in lines):
        yield heading, "\n".join(lines)


def text_blocks(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) of blocks of about UNIT_CHARS characters, closed at a blank line or a form
    feed when one is near, else at the line that passes the size; blank lines at a block's ends are left out."""
    block: list[str] = []
    first, size = 1, 0
    for number, line in enumerate(text.split("\n"), start=1):
        page_break = "\f" in line
        line = line.replace("\f", "")
        block.append(line)
        size += len(line) + 1
        if page_break or size >= UNIT_CHARS or (not line.strip() and size >= UNIT_CHARS * 3 // 4):
            yield from _trimmed(first, block)
            block, first, size = [], number + 1, 0
    yield from _trimmed(first, block)


def _trimmed(first: int, block: list[str]) -> Iterator[tuple[int, int, str]]:
    """The block without its blank first and last lines, numbered as they are in the file (nothing if all blank)."""
    filled = [i for i, line in enumerate(block) if line.strip()]
    if filled:
        yield first + filled[0], first + filled[-1], "\n".join(block[filled[0] : filled[-1] + 1])
