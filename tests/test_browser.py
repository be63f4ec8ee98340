"""One real browser session: Debian's chromium (headless, via Playwright) against `streamlit run` on loopback."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT, SAMPLE_DOCS, free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)"),
]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


BRAZIL = "What percentage of the Amazon rainforest is in Brazil?"
# Every wait is on an event (text on the page, a job's state, the health route); this only ends a test that hangs.
# It is no speed expectation: a busy machine may take minutes where a quiet one takes seconds.
HANG_MS = int(os.environ.get("FOLIO_TEST_HANG_S", 15 * 60)) * 1000


def _download_chat(page) -> str:
    """The chat's Markdown download, clicked again if a click brings none within a minute: the download is made on
    the click (issue 28.8) and a click while the page reruns was once lost (one CI run of three; 15 minutes waited)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        try:
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("button", name="Download this chat (Markdown)").click()
            return download.value.path()
        except PlaywrightTimeout:
            continue
    raise AssertionError("three clicks on 'Download this chat' brought no download")


def _page(browser, **options):
    """A new page whose every wait (actions and `expect`) is bounded only by the hang guard."""
    from playwright.sync_api import expect

    expect.set_options(timeout=HANG_MS)
    page = browser.new_page(**options)
    page.set_default_timeout(HANG_MS)
    return page


@pytest.fixture
def server(settings):
    yield from _serve(settings, {})


@pytest.fixture
def llm_server(settings, fake_llm):
    """The app with generated answers from the loopback LLM."""
    yield from _serve(settings, {"OPENAI_BASE_URL": fake_llm.base_url})


def _serve(settings, extra_env: dict, port: int | None = None):
    process, url = _start_app(settings, extra_env, port or free_port())
    yield url
    process.terminate()
    process.wait(timeout=20)


def _start_app(settings, extra_env: dict, port: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "FOLIO_DATA_DIR": str(settings.folio_data_dir), **extra_env}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HANG_MS / 1000
    while process.poll() is None and time.monotonic() < deadline:  # until the health route answers
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=5)
            break
        except OSError:
            time.sleep(0.25)
    assert process.poll() is None, "streamlit exited before it served the page"
    return process, url


def _upload_and_ask(page, server: str, pdf, ingested: str, question: str) -> None:
    """Open the app, upload `pdf`, wait for the `ingested` line, then ask `question`."""
    from playwright.sync_api import expect

    page.goto(server)
    page.get_by_text("Ask a question about your documents").wait_for()
    page.locator("input[type=file]").set_input_files(str(pdf))
    page.get_by_role("button", name="Ingest uploaded files").click()
    expect(page.get_by_text(ingested)).to_be_visible()
    _ask(page, question)


def _ask(page, question: str) -> None:
    box = page.get_by_placeholder("Ask about your documents")
    box.fill(question)
    box.press("Enter")


def test_upload_then_ask_in_a_real_browser(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = _page(browser, viewport={"width": 1400, "height": 1000})
        _upload_and_ask(
            page,
            server,
            SAMPLE_DOCS / "amazon-rainforest-wikipedia.pdf",
            "amazon-rainforest-wikipedia.pdf: upload done, 5 pages",
            "What percentage of the Amazon rainforest is in Brazil?",
        )
        expect(page.get_by_text("60% of the rainforest").first).to_be_visible()
        expect(page.get_by_text("amazon-rainforest-wikipedia.pdf, p. 1").first).to_be_visible()
        page.screenshot(path=str(tmp_path / "folio.png"), full_page=True)
        browser.close()
    assert (tmp_path / "folio.png").stat().st_size > 10_000
    if os.environ.get("FOLIO_SAVE_SCREENSHOT"):
        shutil.copy(tmp_path / "folio.png", os.environ["FOLIO_SAVE_SCREENSHOT"])


def test_a_scanned_pdf_uploaded_in_the_browser_is_answered_and_cited_to_its_page(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import make_scanned_pdf
    from tests.test_ocr import SCAN_2, SCAN_3

    scan = make_scanned_pdf(tmp_path / "harbour-scan.pdf", [None, SCAN_2, SCAN_3])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = _page(browser, viewport={"width": 1400, "height": 1000})
        _upload_and_ask(
            page,
            server,
            scan,
            "harbour-scan.pdf: upload done, 3 pages",
            "Who was the lighthouse keeper of Valdemar Bay?",
        )
        expect(page.get_by_text("Agnes Thorvald").first).to_be_visible()
        expect(page.get_by_text("harbour-scan.pdf, p. 2").first).to_be_visible()
        expect(page.get_by_text("(OCR)").first).to_be_visible()
        browser.close()


@pytest.fixture
def beacon():
    """A loopback HTTP server that counts the requests it receives (it must receive none)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


def test_an_image_in_a_generated_answer_is_never_fetched(llm_server, fake_llm, beacon, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import make_pdf

    url, hits = beacon
    fake_llm.then("stream", tokens=["The gate code is 4417 [1]. ", f"![logo]({url}/exfil?secret=4417)"])
    pdf = make_pdf(tmp_path / "harbour.pdf", [f"The gate code is 4417 for guests. ![l]({url}/doc.png) Welcome."])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = _page(browser)
        _upload_and_ask(page, llm_server, pdf, "harbour.pdf: upload done, 1 page,", "What is the gate code?")
        expect(page.get_by_text("The gate code is 4417").first).to_be_visible()
        page.get_by_text("harbour.pdf, p. 1").first.click()  # open the source panel: the document's text too
        expect(page.get_by_text("(image: logo)").first).to_be_visible()
        expect(page.get_by_test_id("stChatMessage").locator("img").first).to_be_visible()  # the page image too
        shown_as_text = page.get_by_text("(image: logo)").count()
        browser.close()
    assert hits == []
    assert shown_as_text >= 1


def test_a_chat_survives_reload_and_restart_keeps_every_source_and_an_upload_during_a_question(settings, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import make_pdf

    report = make_pdf(
        tmp_path / "quarterly-report.pdf",
        [f"Section {n}. The harbour authority moved {1000 + n} containers in week {n}." for n in range(1, 25)],
    )
    amazon = "amazon-rainforest-wikipedia.pdf"
    port = free_port()
    process, url = _start_app(settings, {}, port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = _page(browser, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            _upload_and_ask(page, url, SAMPLE_DOCS / amazon, f"{amazon}: upload done, 5 pages", BRAZIL)
            expect(page.get_by_text("60% of the rainforest").first).to_be_visible()

            # a 24-page upload, and a question while it is being ingested: both must go through
            page.locator("input[type=file]").set_input_files(str(report))
            page.get_by_role("button", name="Ingest uploaded files").click()
            expect(page.get_by_text("quarterly-report.pdf: ").first).to_be_visible()  # the job is in the queue
            _ask(page, "Which river flows through the Amazon rainforest?")
            expect(page.get_by_test_id("stChatMessage")).to_have_count(4)
            expect(page.get_by_text("quarterly-report.pdf: upload done, 24 pages")).to_be_visible()
            expect(page.get_by_text("quarterly-report.pdf", exact=True).first).to_be_visible()

            sources = page.get_by_text(f"{amazon}, p.")
            second_answer = page.get_by_test_id("stChatMessage").nth(3)
            expect(second_answer.get_by_text(f"{amazon}, p.").first).to_be_visible()  # both answers have sources

            exported = open(_download_chat(page), encoding="utf-8").read()
            assert BRAZIL in exported and "Which river flows through the Amazon rainforest?" in exported
            answered = sources.count()  # counted once the second turn is saved (its panels drawn before): not mid-way

            panel = page.get_by_test_id("stChatMessage").get_by_test_id("stExpander").first
            panel.locator("summary").click()
            expect(panel.locator("img")).to_be_visible()
            shown_at = panel.locator("img").get_attribute("src")
            assert "/media/" in shown_at

            page.reload()
            expect(page.get_by_test_id("stChatMessage")).to_have_count(4)
            expect(sources).to_have_count(answered)  # every source panel is back (the collapsed ones too)
            panel.locator("summary").click()
            expect(panel.locator("img")).to_be_visible()
            assert panel.locator("img").get_attribute("src") not in (shown_at, None)  # a session's own URL

            process.terminate()
            process.wait(timeout=20)
            process, url = _start_app(settings, {}, port)
            page.goto(url)  # a fresh visit after the restart: the chat is in the list
            page.get_by_text("What percentage of the Amazon rainforest is in Brazil?").first.click()
            expect(page.get_by_test_id("stChatMessage")).to_have_count(4)
            panel.locator("summary").click()  # open a source panel: its text and the rendered page
            expect(panel.locator("img")).to_be_visible()
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_an_llm_that_fails_leaves_an_answer_bubble_with_the_error_and_the_sources(llm_server, fake_llm, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import make_pdf

    pdf = make_pdf(tmp_path / "harbour.pdf", ["The gate code of the harbour is 4417 for all guests."])
    for _ in range(5):  # the first try and the client's retries
        fake_llm.then("status", code=500)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = _page(browser)
        _upload_and_ask(page, llm_server, pdf, "harbour.pdf: upload done, 1 page,", "What is the gate code?")
        bubble = page.get_by_test_id("stChatMessage").nth(1)
        expect(bubble.get_by_text("failed with HTTP 500")).to_be_visible()
        expect(bubble.get_by_text("harbour.pdf, p. 1").first).to_be_visible()
        browser.close()


def test_page_labels_document_names_and_chat_titles_never_fetch_an_image(settings, minilm, beacon):
    """A document named by its folders with Markdown images, printed page labels that are images and links, and a
    chat titled with an image: the source label, the page preview's caption and the chat list fetch nothing."""
    from playwright.sync_api import expect, sync_playwright

    from ingest import ingest_paths
    from rag.store import open_store
    from tests.test_app import hostile_library

    url, hits = beacon
    library = hostile_library(settings.folio_data_dir.parent, url).parents[2]
    ingest_paths([library], open_store(settings, minilm), minilm)
    process, app = _start_app(settings, {}, free_port())
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = _page(browser)
            page.goto(app)
            page.get_by_text("Ask a question about your documents").wait_for()
            _ask(page, f"What is the gate code of the harbour for guests? ![t]({url}/title.png)")
            expect(page.get_by_text("4417").first).to_be_visible()
            panel = page.get_by_test_id("stChatMessage").get_by_test_id("stExpander").first
            expect(panel.get_by_text("(printed").first).to_be_visible()  # the page label, as text
            panel.locator("summary").click()
            expect(panel.locator("img")).to_be_visible()  # the page image and its caption
            expect(panel.get_by_test_id("stImageCaption")).to_contain_text("SYSTEM: ![p](")
            page.reload()  # the chat list, titled by the question
            expect(page.get_by_test_id("stSidebar").get_by_text("What is the gate code").first).to_be_visible()
            expect(page.get_by_test_id("stChatMessage")).to_have_count(2)
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert hits == []
