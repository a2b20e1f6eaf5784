"""The real server over stdio with the scripted engine of ``SLM_LSP_FAKE_ENGINE``.

Until ``slm_lsp.engine.host.make_engine`` honours ``SLM_LSP_FAKE_ENGINE`` itself, this entry
point swaps it in before serving; everything else is the production server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from slm_lsp.engine import host  # noqa: E402
from tests.support.fake_engine import make_fake_engine  # noqa: E402

if __name__ == "__main__":
    script = os.environ["SLM_LSP_FAKE_ENGINE"]
    host.make_engine = lambda settings: make_fake_engine(script)
    from slm_lsp.cli import main

    sys.exit(main([]))
