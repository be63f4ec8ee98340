"""Names for uploaded files: nothing the browser sends may choose where a file is written."""

import re
from pathlib import Path


def safe_upload_name(client_name: str) -> str:
    """The file's base name, reduced to safe characters and 100 characters, always ending in .pdf."""
    name = Path(client_name.replace("\\", "/").replace("\x00", "")).name
    stem = re.sub(r"[^\w.\- ]", "_", Path(name).stem).strip(" .") or "upload"
    return f"{stem[:100]}.pdf"
