"""The prompt format a model's vocabulary supports: one check for every path that trusts a GGUF.

A model is prompted in the format it was trained with, and the format's markers must be single
special tokens of its vocabulary (a marker that splits into pieces is plain text to the model).
So the format comes from the vocabulary, not from the file's name:

1. where the GGUF names its FIM tokens (``tokenizer.ggml.fim_pre_token_id``, ``fim_suf``,
   ``fim_mid``), the formats of ``models.toml`` whose markers are exactly those tokens;
2. else the formats whose FIM markers are all single tokens of the vocabulary;
3. among those, the one with the most repository-level markers that are single tokens too,
   then prefix-suffix-middle order, then (only as a tie-breaker) the family the file name says,
   then the order of ``models.toml``;
4. the plain format only when the vocabulary has no FIM markers of any known format.

A format named for a model (a ``models.toml`` id, ``models add --format``) is checked the same
way: a FIM marker that is not a single token refuses the model, naming the marker; missing
repository markers only turn that layout off (snippets then go in comments).

``tokenize`` is the model's own tokenizer with special-token parsing on and no BOS (llama.cpp's,
in the engine), so the check is the tokenization the prompts will get.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath
from typing import Any

import attrs

from ..errors import ModelLoadError
from ..formats import PromptFormat
from .registry import Registry, format_from_name, load_registry

Tokenize = Callable[[str], list[int]]

FIM_KEYS = ("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
            "tokenizer.ggml.fim_mid_token_id")


class FormatMismatch(ModelLoadError):
    """A prompt format's FIM markers are not single tokens of the model's vocabulary."""


@attrs.frozen
class FormatChoice:
    """The format to prompt a model with, narrowed to its vocabulary, and why."""

    fmt: PromptFormat
    reason: str


def fim_markers(fmt: PromptFormat) -> tuple[str, ...]:
    """The FIM markers of a format, in prefix, suffix, middle order (none for plain)."""
    return tuple(m for m in (fmt.fim_prefix, fmt.fim_suffix, fmt.fim_middle) if m)


def repo_markers(fmt: PromptFormat) -> tuple[str, ...]:
    """The repository-level markers of a format (repository name, file separator)."""
    return tuple(m for m in (fmt.repo_header.split("{", 1)[0].strip(), fmt.file_sep) if m)


class _Ids:
    """Marker -> token id when it is one token, else None; each marker tokenized once."""

    def __init__(self, tokenize: Tokenize):
        self._tokenize = tokenize
        self._ids: dict[str, int | None] = {}

    @classmethod
    def of(cls, tokenize: Tokenize) -> _Ids:
        return tokenize if isinstance(tokenize, _Ids) else cls(tokenize)

    def __call__(self, marker: str) -> int | None:
        if marker not in self._ids:
            ids = self._tokenize(marker)
            self._ids[marker] = ids[0] if len(ids) == 1 else None
        return self._ids[marker]


def _quoted(markers: tuple[str, ...] | list[str]) -> str:
    return ", ".join(repr(m) for m in markers)


def narrow(fmt: PromptFormat, tokenize: Tokenize, name: str) -> PromptFormat:
    """``fmt`` as this vocabulary can take it; raises ``FormatMismatch`` when a FIM marker is
    not one token."""
    ids = _Ids.of(tokenize)
    bad = [m for m in fim_markers(fmt) if ids(m) is None]
    if bad:
        raise FormatMismatch(
            f"prompt format {fmt.name!r} does not fit {name}: {_quoted(bad)} "
            f"{'is not a single token' if len(bad) == 1 else 'are not single tokens'} of its "
            "vocabulary, so the model was not trained with that format"
        )
    if any(ids(m) is None for m in repo_markers(fmt)):
        return attrs.evolve(fmt, file_sep="", repo_header="", snippet_comment=True)
    return fmt


def detect(tokenize: Tokenize, metadata: dict[str, Any], file_name: str = "",
           registry: Registry | None = None) -> FormatChoice:
    """The format this vocabulary was made for (see the module's docstring), and why."""
    registry = registry or load_registry()
    ids = _Ids.of(tokenize)
    order = list(registry.formats)
    fitting = [f for f in registry.formats.values()
               if f.is_fim and all(ids(m) is not None for m in fim_markers(f))]
    named = tuple(metadata.get(k) for k in FIM_KEYS)
    source = "its vocabulary has {markers} as single special tokens"
    if all(isinstance(i, int) and i >= 0 for i in named):
        exact = [f for f in fitting if tuple(ids(m) for m in fim_markers(f)) == named]
        if exact:
            fitting = exact
            source = "its GGUF metadata names the FIM tokens {markers}"
    if not fitting:
        why = "its vocabulary has none of the FIM markers of models.toml's formats"
        if all(isinstance(i, int) and i >= 0 for i in named):
            why = (f"its GGUF metadata names FIM tokens {list(named)}, but they are the "
                   "markers of no format in models.toml")
        return FormatChoice(registry.formats["plain"], why + ", so it gets the plain format")
    hinted = format_from_name(PurePath(file_name).name, registry) if file_name else None

    def rank(f: PromptFormat) -> tuple:
        repo = sum(ids(m) is not None for m in repo_markers(f))
        return (-repo, f.order != "psm", not (hinted and f.name == hinted.name),
                order.index(f.name))

    ranked = sorted(fitting, key=rank)
    best = ranked[0]
    reason = source.format(markers=_quoted(fim_markers(best)))
    repo = [m for m in repo_markers(best) if ids(m) is not None]
    if repo:
        reason += f", and the repository markers {_quoted(repo)}"
    if len(ranked) > 1 and rank(ranked[1])[:2] == rank(best)[:2]:
        tie = "the file name" if rank(ranked[1])[2] != rank(best)[2] else "models.toml's order"
        others = [f.name for f in ranked[1:] if rank(f)[:2] == rank(best)[:2]]
        reason += f" ({tie} chose it over {', '.join(others)})"
    return FormatChoice(narrow(best, ids, file_name or "the model"), reason)


def resolve(path: str, fmt: PromptFormat | None, tokenize: Tokenize,
            metadata: dict[str, Any] | None = None, model: str = "") -> FormatChoice:
    """The format to prompt the model at ``path`` with: ``fmt`` checked against the vocabulary,
    or, when ``fmt`` is None, the one the vocabulary shows.

    ``model`` names what the file should be (a ``models.toml`` id) for the error message: a
    mismatch there means the file is another model, and the message says which format its
    vocabulary does show.
    """
    def meta() -> dict[str, Any]:
        if metadata is not None:
            return metadata
        from .gguf_check import read_metadata

        return read_metadata(path)

    name = PurePath(path).name
    ids = _Ids(tokenize)
    if fmt is None:
        return detect(ids, meta(), name)
    try:
        narrowed = narrow(fmt, ids, name)
    except FormatMismatch as exc:
        found = detect(ids, meta(), name)
        what = f"{path} is not {model}: " if model else ""
        raise FormatMismatch(
            f"{what}{exc}; its vocabulary fits the {found.fmt.name!r} format ({found.reason})"
        ) from None
    reason = "named for this model"
    if narrowed is not fmt:
        reason += ("; its vocabulary lacks the repository markers "
                   f"{_quoted(repo_markers(fmt))}, so snippets go in comments")
    return FormatChoice(narrowed, reason)
