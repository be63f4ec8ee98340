"""ingest/chunk.py: token limits, overlap, and page spans that match where the text is."""

from ingest.chunk import chunk_pages, count_tokens
from ingest.pdf import Page

SENTENCES = [f"Sentence number {i} talks about topic {i * 7 % 13} in some detail." for i in range(60)]


def _pages(per_page: int = 10) -> list[Page]:
    return [
        Page(n + 1, " ".join(SENTENCES[n * per_page : (n + 1) * per_page])) for n in range(len(SENTENCES) // per_page)
    ]


def test_chunks_respect_the_token_limit_and_cover_every_sentence():
    chunks = chunk_pages(_pages(), chunk_tokens=64, overlap_tokens=16)
    assert all(c.n_tokens <= 64 for c in chunks)
    joined = " ".join(c.text for c in chunks)
    assert all(s in joined for s in SENTENCES)


def test_consecutive_chunks_overlap():
    chunks = chunk_pages(_pages(), chunk_tokens=64, overlap_tokens=24)
    shared = [set(a.text.split()) & set(b.text.split()) for a, b in zip(chunks, chunks[1:], strict=False)]
    assert all(len(words) >= 3 for words in shared)


def test_every_sentence_maps_to_the_page_it_came_from():
    pages = _pages()
    chunks = chunk_pages(pages, chunk_tokens=48, overlap_tokens=8)
    page_of = {s: p.number for p in pages for s in SENTENCES if s in p.text}
    checked = 0
    for chunk in chunks:
        for sentence, page in page_of.items():
            at = chunk.text.find(sentence)
            if at < 0:
                continue
            page_here = [n for offset, n in chunk.page_breaks if offset <= at][-1]
            assert page_here == page, (sentence, chunk.page_breaks)
            assert chunk.page_start <= page <= chunk.page_end
            checked += 1
    assert checked >= len(SENTENCES)


def test_a_chunk_running_across_a_page_break_records_both_pages():
    pages = [Page(4, "The first half of a sentence that"), Page(5, "continues on the next page.")]
    (chunk,) = chunk_pages(pages, chunk_tokens=64, overlap_tokens=0)
    assert (chunk.page_start, chunk.page_end) == (4, 5)
    assert chunk.page_breaks == ((0, 4), (len("The first half of a sentence that") + 2, 5))


def test_cjk_text_without_spaces_is_split_without_losing_characters():
    text = "東京は日本の首都です。" * 80
    chunks = chunk_pages([Page(1, text)], chunk_tokens=64, overlap_tokens=0)
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == text
    assert all(count_tokens(c.text) <= 64 for c in chunks)
