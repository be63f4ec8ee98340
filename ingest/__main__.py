"""`python -m ingest PATH...` runs `folio ingest PATH...`.

The command line lives in `folio_cli`, which uses this package; the package does not import it back.
"""

import os
import sys

if __name__ == "__main__":
    os.execv(sys.executable, [sys.executable, "-m", "folio_cli", "ingest", *sys.argv[1:]])
