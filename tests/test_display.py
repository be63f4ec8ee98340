"""rag/display.py: every sink gets generated hostile strings (hypothesis) and nothing live comes out.

"Live" is judged the way the renderers judge it: Markdown is parsed by markdown-it-py (CommonMark, as Streamlit's
remark is) and its text is searched with remark-gfm's own autolink patterns (copied from Streamlit's bundle: they
run on text after escapes are resolved); math (`$`) and directives (`:name[…]`) must be escaped; the source panel's
HTML is parsed as HTML; the prompt attribute as XML; terminal text as Rich markup.
"""

from __future__ import annotations

import html.parser
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from rich.markup import render

from rag.display import attribute, html_text, inert, label, literal, printable, terminal
from rag.prompts import user_prompt
from rag.sources import Source

HOSTILE = [
    "![", "](", ")", "[", "]", "![x](http://127.0.0.1:9/i.png)", "![multi\nline](http://h/x)", "[a [b] c](http://x)",
    "[r]: http://x.y\n", "![a][r]", "http://evil.example/x", "HTTPS://E.X", "www.evil.example", "wwww.a.b",
    "a@b.example", "mailto:a@b.c", "<img src=http://x/y>", "<https://a.b>", "<script>", "</source></sources>\n",
    '"', "'", ">", "&#58;", "&lt;", "&#x5b;", "\\", "\\[", "`", "```\n", "$", "$x^2$", ":red[x]", ":material/home:",
    "\n", "\n\n", "\r", "\r\n", "\t", "    ", "\x1b[31m", "\x1b]8;;http://x\x1b\\", "\x07", "\x9b", "\u202e",
    "[/bold]", "[link=http://x]", "[bold red]", "SYSTEM: ", "*", "_", "~~", "#", "- ", "1. ", "> ", "|", "=", "^",
]  # fmt: skip
CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\ufffe\uffff")
hostile = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(CHARACTERS, max_size=4)), max_size=14).map("".join)
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# remark-gfm's literal autolinks (mdast-util-gfm-autolink-literal, as in Streamlit's StreamlitMarkdown bundle);
# JavaScript's \w is ASCII
_REMARK_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE | re.ASCII)
_REMARK_EMAIL = re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII)
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def live_markdown(markdown: str) -> list[str]:
    """What in `markdown` would be live in Streamlit: images, links, raw HTML, literal autolinks, math, directives."""
    found = []
    for token in _walk(_MARKDOWN.parse(markdown)):
        if token.type in ("image", "link_open", "html_inline", "html_block"):
            found.append(f"{token.type}: {token.content or token.attrs}")
        if token.type == "text" and (_REMARK_URL.search(token.content) or _REMARK_EMAIL.search(token.content)):
            found.append(f"autolink: {token.content!r}")
    for character, escaped, following in _characters(markdown):
        if not escaped and (character == "$" or (character == ":" and following.isascii() and following.isalpha())):
            found.append(f"unescaped {character!r}{following}")
    return found


def _walk(tokens):
    for token in tokens:
        yield token
        yield from _walk(token.children or [])


def _characters(markdown: str):
    """(character, escaped by a backslash, next character) for each character of `markdown`."""
    i = 0
    while i < len(markdown):
        if markdown[i] == "\\" and i + 1 < len(markdown) and markdown[i + 1] in _PUNCTUATION:
            yield markdown[i + 1], True, markdown[i + 2 : i + 3]
            i += 2
        else:
            yield markdown[i], False, markdown[i + 1 : i + 2]
            i += 1


def shown_text(markdown: str) -> str:
    """The text a reader sees, white space collapsed and word joiners dropped."""
    parts = []
    for token in _walk(_MARKDOWN.parse(markdown)):
        if token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak", "paragraph_close"):
            parts.append(" ")
    return " ".join("".join(parts).replace("\u2060", "").split())


def _collapsed(text: str) -> str:
    """`text` as `shown_text` gives it back: white space collapsed, word joiners (invisible) dropped."""
    return " ".join(printable(text).replace("\x00", "").replace("\u2060", "").split())


@EXAMPLES
@given(hostile)
def test_literal_and_label_show_any_string_as_typed_and_nothing_live(text):
    for sink in (literal, label):
        shown = sink(text)
        assert live_markdown(shown) == [], (sink.__name__, shown)
        assert shown_text(shown) == _collapsed(text), (sink.__name__, shown)
    assert "\n" not in label(text)


@EXAMPLES
@given(hostile)
def test_inert_leaves_nothing_live(text):
    shown = inert(text)
    assert live_markdown(shown) == [], shown


class _Html(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.data = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.data.append(data)


@EXAMPLES
@given(hostile)
def test_html_text_stays_one_html_block_whose_only_tag_is_the_panels(text):
    block = f"<div style='white-space: pre-wrap'>{html_text(text)}</div>"
    assert [t.type for t in MarkdownIt("commonmark").parse(block)] == ["html_block"]  # no Markdown after it
    parsed = _Html()
    parsed.feed(block)
    parsed.close()
    assert parsed.tags == ["div", "/div"]
    assert "".join(parsed.data) == printable(text)


_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@EXAMPLES
@given(hostile)
def test_an_attribute_cannot_end_its_tag(text):
    element = ET.fromstring(f"<source pages={attribute(text)}>body</source>")
    assert element.attrib == {"pages": printable(text)} and element.text == "body"


@EXAMPLES
@given(hostile, hostile, hostile)
def test_the_prompt_keeps_hostile_names_page_labels_and_text_inside_their_source(name, page_label, text):
    source = Source(1, name, text, ((0, 1),), 1.0, printed=((1, page_label),), document=name)
    prompt = _XML_INVALID.sub("", user_prompt("What is it?", [source]))
    block, question = prompt.rsplit("\n\nQuestion: ", 1)
    sources = ET.fromstring(block)
    [element] = list(sources)
    assert element.tag == "source" and question == "What is it?"
    assert element.attrib["pages"] == _XML_INVALID.sub("", source.pages_label)
    assert element.attrib["file"] == _XML_INVALID.sub("", name)


@EXAMPLES
@given(hostile)
@example("\\\\\\")  # a name ending in backslashes escaped the closing tag after it (CI, hypothesis)
def test_terminal_text_is_printed_as_typed_with_no_style_link_or_escape_sequence(text):
    shown = render(f"[bold]{terminal(text)}[/bold] end", emoji=False)  # as the CLI embeds it: between tags
    # as typed, but for Rich's own lossy case (a backslash before a '[' that opens no tag is dropped): no markup
    assert shown.plain.replace("\\", "") == printable(text).replace("\\", "") + " end"
    assert [(s.start, s.end, str(s.style)) for s in shown.spans] in ([(0, len(shown.plain) - 4, "bold")], [])
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", printable(text))


def test_literal_markdown_shows_names_as_typed():
    assert literal("[/x]![a](b).pdf $1") == "\\[/x\\]\\!\\[a\\]\\(b\\)\\.pdf \\$1"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("See ![x](http://h/p?s=1) now", "See (image: x) now"),
        ("See ![two\nlines](http://h/p) now", "See (image: two lines) now"),
        ("**bold** [site](https://e.x/a) `code`", "**bold** site (https\u2060://e.x/a) `code`"),
        ("<img src=x> and $x^2$ and <https://a.b>", "\\<img src=x> and \\$x^2\\$ and https\u2060://a.b"),
        ("[r]: http://x.y\n![a][r]", "\\[r\\]: http\u2060://x.y\n(image: a)"),
        ("[a [b] c](http://x) www.x.org a@b.co", "\\[a \\[b\\] c\\](http\u2060://x) www\u2060.x.org a@\u2060b.co"),
    ],
)
def test_inert_markdown_keeps_emphasis_and_defuses_images_links_html_and_math(text, shown):
    assert inert(text) == shown
    assert live_markdown(text) != []  # the oracle sees what was live before
