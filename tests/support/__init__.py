"""Test support shared by the test layers: real vocabularies and tiny real-vocabulary models.

- :mod:`tests.support.vocab`: llama.cpp's vocab-only GGUFs (``vocab_path``, ``require_vocab``).
- :mod:`tests.support.tiny_gguf`: random-weight GGUFs around them (``tiny_model``,
  ``require_tiny_model``).
"""

from __future__ import annotations
