"""A model's first load happens in a child process, where llama.cpp may abort without taking
the server with it.

The header checks (``validate``) catch the corrupt files we know of; llama.cpp has more
asserts than any list of checks. So the first time a model file is loaded (by real path, size
and modification time), ``python -m slm_lsp.engine.probe <path>`` loads it with a small context
and evaluates one token. A probe that dies (SIGABRT from a ``GGML_ASSERT``, or any failure) is
a "cannot load" message naming llama.cpp's last words; a probe that passes is remembered in
``loadable.json`` in the models directory, so later loads go straight to the real one.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..models.stamped import StampedRecords
from ..models.validate import ModelCannotLoad

log = logging.getLogger(__name__)

CACHE = "loadable.json"
_RECORDS = StampedRecords(CACHE)
PROBE_CTX = 256
TIMEOUT_S = 300.0


def known_loadable(path: Path) -> bool:
    return _RECORDS.get(path) is not None


def _remember(path: Path) -> None:
    _RECORDS.put(path)  # best effort: with a read-only cache the probe runs again next time


def _last_words(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()
             if line.strip()]
    for line in reversed(lines):
        if "GGML_ASSERT" in line or "error" in line.lower() or "failed" in line.lower():
            return line[-300:]
    return lines[-1][-300:] if lines else ""


def ensure_loadable(path: str | os.PathLike[str]) -> None:
    """Load ``path`` once in a child process unless it is known to load; raises
    ``ModelCannotLoad`` when llama.cpp fails or aborts on it."""
    path = Path(path)
    if known_loadable(path):
        return
    env = dict(os.environ)
    try:
        done = subprocess.run([sys.executable, "-m", "slm_lsp.engine.probe", str(path)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        log.info("the trial load of %s took over %.0fs; loading it directly", path.name,
                 TIMEOUT_S)
        return
    except OSError as exc:
        log.info("no trial load of %s (%s); loading it directly", path.name, exc)
        return
    if done.returncode == 0:
        _remember(path)
        return
    code = done.returncode
    how = f"llama.cpp aborted on it ({signal.Signals(-code).name})" if code < 0 and \
        -code in signal.Signals._value2member_map_ else f"llama.cpp failed on it (exit {code})"
    words = _last_words(done.stderr)
    raise ModelCannotLoad(path, f"cannot load {path.name}: {how}" + (f": {words}" if words
                                                                      else ""))


def _probe(path: str) -> int:
    from .native import new_llama

    llm = new_llama(model_path=path, n_ctx=PROBE_CTX, n_batch=PROBE_CTX, n_ubatch=PROBE_CTX,
                    n_threads=1, n_threads_batch=1, use_mmap=True, verbose=False)
    token = llm.token_bos() if llm.token_bos() >= 0 else 0
    llm.eval([token])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_probe(sys.argv[1]))
    except Exception as exc:  # noqa: BLE001 - the parent reports it
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(3)
