"""The quality benchmark's locked split: frozen by hash, its tasks stable, kept apart."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

from benchmarks import quality, tasks

# The manifest itself, pinned: changing the locked split takes a new manifest and this digest,
# in one reviewed commit (and its figures are then a new split's).
MANIFEST_SHA256 = "151b1a19fa043224ca73a8a340b4cfebfbe8d1a988e49b30ea13905d2e1956cc"
# The default run's tasks (120, seed 0): what tasks.py cuts from the locked split. A change to
# how holes are cut changes this, and figures before and after are not comparable.
DEFAULT_TASKS_SHA256 = "5c0259c8db8c9ffc629299f55c5eade3f0120178ce7c9f130b11be169bcb9ac9"


def _digest(task_list: list[tasks.Task]) -> str:
    rows = [[t.id, t.path, t.offset, t.expected] for t in task_list]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _default_tasks(seed: int = 0) -> list[tasks.Task]:
    return tasks.tasks_for(120, ",".join(tasks.KINDS), ",".join(tasks.LANGUAGES),
                           split="locked", seed=seed)


def test_the_locked_files_match_the_manifest():
    assert tasks.locked_changes() == []


def test_the_manifest_is_the_reviewed_one():
    assert hashlib.sha256(tasks.LOCKED_MANIFEST.read_bytes()).hexdigest() == MANIFEST_SHA256


def test_a_changed_added_or_removed_file_is_reported(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    for lang in tasks.LANGUAGES:
        shutil.copytree(tasks.CORPUS / lang / "locked", corpus / lang / "locked")
    shutil.copy(tasks.LOCKED_MANIFEST, corpus / "locked.sha256")
    monkeypatch.setattr(tasks, "CORPUS", corpus)
    monkeypatch.setattr(tasks, "LOCKED_MANIFEST", corpus / "locked.sha256")
    assert tasks.locked_changes() == []
    changed = corpus / "python/locked/altsvc/_scan.py"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (corpus / "javascript/locked/chatcomment/extra.js").write_text("let x = 1;\n")
    (corpus / "python/locked/bioseqkit/LICENSE").unlink()
    assert tasks.locked_changes() == [
        "changed: python/locked/altsvc/_scan.py",
        "not in the manifest: javascript/locked/chatcomment/extra.js",
        "missing: python/locked/bioseqkit/LICENSE",
    ]


def test_every_locked_package_keeps_its_licence_and_source_note():
    for lang in tasks.LANGUAGES:
        packages = [p for p in (tasks.CORPUS / lang / "locked").iterdir() if p.is_dir()]
        assert len(packages) >= 4
        for package in packages:
            assert (package / "LICENSE").is_file(), package
            note = (package / "SOURCE").read_text(encoding="utf-8")
            for key in ("package:", "version:", "released:", "first release:", "licence:"):
                assert key in note, (package, key)
            assert any(package.glob(f"*{tasks.EXTENSIONS[lang]}"))


@pytest.mark.parametrize("lang", tasks.LANGUAGES)
def test_every_locked_source_parses(lang: str):
    files = tasks.corpus_files(lang, "locked")
    assert files
    for path in files:
        assert tasks.parses(path.read_text(encoding="utf-8"), lang), path


def test_the_locked_tasks_are_the_same_for_a_seed():
    first = _default_tasks()
    assert len(first) == 120
    assert _digest(first) == _digest(_default_tasks())
    assert _digest(first) != _digest(_default_tasks(seed=1))
    assert _digest(first) == DEFAULT_TASKS_SHA256


def test_the_locked_split_is_in_no_other_split():
    for split in ("dev", "test", "all"):
        assert all("/locked/" not in t.path for t in tasks.build_tasks(4, split=split))
    assert all(t.path.split("/")[1] == "locked" for t in _default_tasks())
    with pytest.raises(ValueError, match="unknown split"):
        tasks.build_tasks(1, split="held-out")


def test_the_quality_benchmark_runs_on_the_locked_split_only_as_frozen(monkeypatch, capsys):
    # The default split is the locked one, and a locked file that differs from the manifest
    # stops the run before any server starts.
    monkeypatch.setattr(tasks, "locked_changes", lambda: ["changed: python/locked/x.py"])
    assert quality.main(["--tasks", "6", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "locked.sha256" in err and "changed: python/locked/x.py" in err
