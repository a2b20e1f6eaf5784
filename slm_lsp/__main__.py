"""``python -m slm_lsp``: the same as the ``slm-lsp`` command."""

import sys

from .cli import main

sys.exit(main())
