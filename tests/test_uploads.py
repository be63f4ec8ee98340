"""ingest/uploads.py: client file names can never pick where an upload is written."""

import pytest

from ingest.uploads import safe_upload_name


@pytest.mark.parametrize(
    "client_name, stored",
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        ("/abs/a\x00b.pdf", "ab.pdf"),
        ("..", "upload.pdf"),
        ("notes.txt", "notes.pdf"),
        ("x" * 500 + ".pdf", "x" * 100 + ".pdf"),
    ],
)
def test_client_names_are_reduced_to_a_safe_base_name(client_name, stored):
    assert safe_upload_name(client_name) == stored
