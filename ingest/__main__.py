"""`python -m ingest PATH...` is `folio ingest PATH...`."""

import sys

from folio_cli import app

if __name__ == "__main__":
    app(["ingest", *sys.argv[1:]], prog_name="python -m ingest")
