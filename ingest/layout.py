"""Raw page text → clean text that keeps the page's layout where the layout carries meaning.

- Wrapped prose is joined into one line; table rows, form fields ("Label: value"), headings and list
  items keep their own line (a statement row never runs into the next one).
- Lines that repeat on most pages of a file (running headers and footers, "Page N of M") are page
  furniture: removed from the chunk text, and kept as context for the document (`document_context`).

Why line shape, not punctuation: real filings and protocols are full of lines that end without
punctuation and are not wrapped prose (table rows, fields, headings). A line that stops well short of
the page's usual line width ended on purpose; a line that reaches it wrapped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence

from rag.sentences import FIELD_LABEL, SENTENCE_END, is_heading

WRAP_WIDTH_SHARE = 0.6  # a line at least this share of the page's usual (90th-percentile) width wrapped
RUNNING_LINE_SHARE = 0.5  # a line on at least this share of pages (and at least 3) is a running header/footer
EDGE_LINES = 4  # running headers/footers are looked for among the first and last lines of each page
CONTEXT_WORDS = 40  # default words of a document's context line (embedded and keyword-indexed, never quoted)

PROSE_OPENING_WORDS = 12  # a first page that starts with prose gives its opening words to the context line
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff]")  # \t \n \f \r are whitespace, kept
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u3000]+")
_NUMBER = re.compile(r"^[(\-–$€£]*\d[\d,.]*%?\)?$|^[-–—]$")
_LIST_ITEM = re.compile(r"^([•▪◦·\-–*]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s")
_DIGITS = re.compile(r"\d+")
_HAS_DIGIT = re.compile(r"\d")
_COLUMN_GAP = re.compile(r" {3,}")  # between two columns of a page extracted with its layout
_PAGE_NUMBER_TEXT = re.compile(r"\bpage\s*\d+(\s*(of|/)\s*\d+)?", re.IGNORECASE)
_PAGE_NUMBERING = re.compile(r"\bpage\s*#(\s*(of|/)\s*#)?|^[\s#|\-–—]+$|\s+")


def clean_text(text: str, layout: bool = True) -> str:
    """One page's raw text → lines of prose joined, layout lines kept, whitespace normalised.

    `layout=False` joins every line that does not end a sentence (Folio's cleaning before layout was kept).
    """
    lines = _lines(text)
    if not lines:
        return ""
    width = _usual_width(lines)
    out, last = [lines[0]], lines[0]  # `last`: the raw line before `line` (out[-1] may hold several joined)
    for line in lines[1:]:
        previous = out[-1]
        if previous.endswith("-") and line[:1].islower() and previous[-2:-1].isalpha():
            out[-1] = previous[:-1] + line  # "experi-\nment" → "experiment"
        elif previous.endswith("-") and previous[-2:-1].isalnum() and line[:1].isalnum():
            out[-1] = previous + line  # "Jean-\nPaul" → "Jean-Paul"
        elif _joins(last, line, width) if layout else not SENTENCE_END.search(previous):
            out[-1] = f"{previous} {line}"
        else:
            out.append(line)
        last = line
    return "\n".join(out)


def _lines(text: str) -> list[str]:
    text = sanitise(text).replace("\r\n", "\n").replace("\r", "\n")
    return [s for s in (_SPACES.sub(" ", line).strip() for line in text.split("\n")) if s]


def sanitise(text: str) -> str:
    """Text safe for the tokenizer and for search: lone surrogates (broken ToUnicode maps) become U+FFFD, control
    characters go, and Unicode is NFKC-normalised (ligatures, full-width forms, Arabic presentation forms)."""
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROL.sub("", unicodedata.normalize("NFKC", text))


def _usual_width(lines: Sequence[str]) -> int:
    widths = sorted(len(line) for line in lines)
    return widths[min(len(widths) - 1, int(0.9 * len(widths)))]


def _wrapped(line: str, width: int) -> bool:
    return len(line) >= WRAP_WIDTH_SHARE * width


def is_table_row(line: str) -> bool:
    """Two or more numeric cells and a numeric last cell: "Total net sales 82,959 81,434"."""
    tokens = line.split()
    numbers = sum(bool(_NUMBER.match(t)) for t in tokens)
    return numbers >= 2 and bool(tokens) and bool(_NUMBER.match(tokens[-1]))


def _joins(line: str, following: str, width: int) -> bool:
    """Whether `following` continues `line` (wrapped prose) rather than starting a new layout line."""
    if SENTENCE_END.search(line) or is_table_row(line) or is_table_row(following):
        return False
    if FIELD_LABEL.match(following) or _LIST_ITEM.match(following) or is_heading(following):
        return False
    return _wrapped(line, width) or following[:1].islower()


# form fields ----------------------------------------------------------------------------------


def two_field_lines(text: str) -> int:
    """Lines of a raw page that start with a "Label:" field and hold another colon: a form printed in two columns,
    whose fields the text extraction ran together ("Certificate: Student Age: 17, Male")."""
    return sum(1 for line in _lines(text) if (field := FIELD_LABEL.match(line)) and ":" in line[field.end() :])


def split_fields(text: str, layout_text: str) -> str:
    """`text` (raw, one page) with each field of a two-column form on its own line, "Age: 17, Male" apart from
    "Certificate: Student". `layout_text` is the same page extracted with its layout (pypdf's layout mode): a label
    that starts a column there, after a wide gap, starts a line here."""
    labels = {
        match.group(1)
        for line in layout_text.splitlines()
        for cell in _COLUMN_GAP.split(line.strip())[1:]
        if (match := FIELD_LABEL.fullmatch(cell.rstrip() + " "))  # a cell that is a label alone: its value follows
    }
    if not labels:
        return text
    starts = re.compile(
        r" (?=(?:" + "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True)) + r"):)"
    )
    return "\n".join(starts.sub("\n", line) if FIELD_LABEL.match(line) else line for line in text.split("\n"))


# running headers and footers ------------------------------------------------------------------


def _shape(line: str) -> str:
    """A line with its numbers blanked and page numbering dropped: "Page 3 of 28 ABC-1" → "abc-#"."""
    return _PAGE_NUMBERING.sub(" ", _DIGITS.sub("#", line.lower())).strip(" |-–—")


def running_lines(pages: Sequence[str]) -> dict[str, str]:
    """Lines at the top or bottom of most pages of a file (raw page texts), by shape, with their stable text.

    The stable text keeps the words every copy shares ("Apple Inc. | Q3 2023 Form 10-Q |" without the page
    number): it names the document better than anything else on a page.
    """
    if len(pages) < 3:
        return {}
    seen: dict[str, list[str]] = {}
    for text in pages:
        lines = _lines(text)
        edges = {_shape(line): line for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:] if not _is_prose(line)}
        edges.pop("", None)  # page numbers alone: always furniture (see strip_running_lines)
        for shape, line in edges.items():
            seen.setdefault(shape, []).append(line)
    needed = max(3, RUNNING_LINE_SHARE * len(pages))
    return {shape: _stable(copies) for shape, copies in seen.items() if len(copies) >= needed}


def _is_prose(line: str) -> bool:
    """A sentence (six words or more, ending in a full stop) is content even when every page repeats it."""
    return len(line.split()) >= 6 and line.rstrip().endswith((".", "!", "?"))


def _stable(copies: list[str]) -> str:
    """The words two copies of a running line share, without the page numbering."""
    first, second = (_PAGE_NUMBER_TEXT.sub(" ", copy).split() for copy in copies[:2])
    if len(first) != len(second):
        return ""
    kept = [a for a, b in zip(first, second, strict=True) if a == b]
    return " ".join(kept) if any(sum(c.isalpha() for c in word) >= 2 for word in kept) else ""


def strip_running_lines(text: str, shapes: Collection[str]) -> str:
    """`text` (raw, one page) without its running header/footer lines."""
    lines = _lines(text)
    edges = set(range(min(EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - EDGE_LINES), len(lines)))
    kept = [line for i, line in enumerate(lines) if i not in edges or _shape(line) not in {"", *shapes}]
    return "\n".join(kept) if kept else text  # a page of nothing but that line is its content


# document context -----------------------------------------------------------------------------


def context_line(file_name: str, title: str, running: Sequence[str], first_page: str, words: int) -> str:
    """A short line naming the document, prepended to what is embedded and keyword-indexed (never quoted).

    Built from what the file says about itself: its title metadata (when it is a real title), its running
    header/footer (often the company, study or report number) and the cover lines of its first page (title,
    parties, dates, form fields) up to its first sentence of prose; each word once, at most `words` words. The
    file name when none of these has words. Prose is left out: it describes one passage, not the document, and
    in the embedding it would crowd out the chunk's own text.
    """
    kept: dict[str, str] = {}
    for word in " ".join([_useful_title(title), *running, *_cover_lines(first_page)]).split():
        kept.setdefault(word.lower().strip(".,;:()"), word)
    return " ".join(list(kept.values())[:words]) or re.sub(r"[_\W]+", " ", file_name.rsplit(".", 1)[0]).strip()


def _cover_lines(first_page: str) -> list[str]:
    """The first page's lines before its first sentence of prose (or that sentence's opening words, when the page
    starts with prose)."""
    lines: list[str] = []
    for line in first_page.splitlines():
        if len(line.split()) >= 8 and SENTENCE_END.search(line):
            return lines or [" ".join(line.split()[:PROSE_OPENING_WORDS])]
        lines.append(line)
    return lines


def _useful_title(title: str) -> str:
    """Title metadata unless it is a tool's placeholder ("Microsoft Word - x.docx", "untitled")."""
    title = re.sub(r"^Microsoft (Word|PowerPoint|Excel) - ", "", (title or "").strip())
    if len(title.split()) < 2 or re.search(r"\.(docx?|pdf|indd|tex|rtf)$|^untitled", title, re.IGNORECASE):
        return ""
    return title
