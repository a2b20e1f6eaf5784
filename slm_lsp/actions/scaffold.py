"""Test scaffolds: where the tests go in the project's convention, how they import the code,
and the skeleton of each test. Pure: paths and definitions in, plain data out.

Each language names its convention in its rules (each family's module in ``languages/``
defines its own on the base of ``languages/test_conventions.py``): Python: pytest
``<root>/tests/test_<module>.py`` importing the module by its real import path (``src/``
layouts handled). JS/TS: ``<name>.test.<ext>`` beside the
file, vitest or jest as ``package.json`` says. Go: ``<file>_test.go`` in the same package.
Rust: a ``#[cfg(test)]`` module appended to the file itself. Nothing may land outside the
workspace's real path: the target is checked by ``paths.write_target`` (symlinked directories
and files that lead out, and dangling symlinks, are refused).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..languages import rules_for
from ..languages.test_conventions import ScaffoldRefused, inside

if TYPE_CHECKING:
    from ..languages.test_conventions import Convention, TestPlan
    from .targets import ActionTarget as Definition


def convention(language_id: str) -> Convention | None:
    """The language's test convention, or None when it has none."""
    rules = rules_for(language_id)
    return rules.tests.convention if rules is not None and rules.tests is not None else None


def supported(language_id: str) -> bool:
    return convention(language_id) is not None


def _of(language_id: str) -> Convention:
    found = convention(language_id)
    if found is None:
        raise ScaffoldRefused(f"no test convention for {language_id}")
    return found


def plan(root: str | None, source: str, language_id: str, text: str | None = None
         ) -> TestPlan:
    """Where the tests for ``source`` go. Raises ``ScaffoldRefused`` when it is not safe.

    ``text``, the source's contents, decides a JavaScript file's module system when its
    statements say (``export`` makes an ES module whatever ``package.json`` says)."""
    tests = _of(language_id)
    if not root:
        raise ScaffoldRefused("no workspace root: open a folder to generate tests")
    source = os.path.normpath(os.path.abspath(source))
    if not inside(root, source):
        raise ScaffoldRefused(f"{source} is outside the workspace {root}")
    result = tests.place(root, Path(source), language_id, text)
    try:
        paths.write_target(root, result.path)
    except paths.PathRefused as exc:
        raise ScaffoldRefused(f"the test file is not written: {exc}") from None
    return result


def adapt(p: TestPlan, text: str) -> TestPlan:
    """The plan once the source's text is known (a Go test takes the file's package)."""
    return _of(p.language_id).adapt(p, text)


def public(defs: list[Definition], language_id: str) -> list[Definition]:
    """The definitions a test file should cover: public, top-level functions and classes."""
    return _of(language_id).public(defs)


def test_name(d: Definition, language_id: str) -> str:
    return _of(language_id).test_name(d)


def has_assertion(body: str, p: TestPlan) -> bool:
    """Does a test body check something its framework recognises? (``assert``,
    ``expect(...).toBe(...)``, ``t.Errorf``, ``assert_eq!``). A JS ``expect(...)`` without a
    matcher checks nothing, so one such call disqualifies the body."""
    return _of(p.language_id).has_assertion(body, p)


def skeleton_body(d: Definition, language_id: str, indent: str) -> str:
    """A test body that says what to write and cannot pass silently (JS: see
    ``skeleton_test``, a ``todo`` test without a body)."""
    return _of(language_id).skeleton_body(d, indent)


def skeleton_test(d: Definition, p: TestPlan) -> str:
    """A placeholder test the runner reports as not written: ``pytest.skip``, ``t.Skip``,
    ``todo!`` and, for jest and vitest, ``it.todo``."""
    return _of(p.language_id).skeleton_test(d, p)


def imported_names(existing: str, p: TestPlan) -> set[str]:
    """The names ``existing`` already imports from the module under test (as bound there)."""
    return _of(p.language_id).imported_names(existing, p)


def header(p: TestPlan, names: list[str], existing: str = "") -> str:
    """The imports a new (or appended-to) test file needs, merged with those it already has:
    a name the file already imports from the module is not imported again."""
    return _of(p.language_id).headers(p, names, existing)


def model_prelude(p: TestPlan, names: list[str], opening: str) -> tuple[str, str]:
    """The imports and the test's opening that a plain model continues."""
    return _of(p.language_id).model_prelude(p, names, opening)


def unshadow(tests: list[str], existing: str, language_id: str) -> list[str]:
    """``tests`` renamed where a name is already taken in ``existing`` or by an earlier test:
    a second ``def test_add`` would replace the first, and pytest would run only one."""
    found = convention(language_id)
    return found.unshadow(tests, existing) if found is not None else tests


def wrap_test(d: Definition, p: TestPlan, body: str) -> str:
    """One test function around ``body`` (already indented)."""
    return _of(p.language_id).wrap_test(d, p, body)


def body_indent(p: TestPlan) -> str:
    found = convention(p.language_id)
    return found.body_indent if found is not None else "    "


def assemble(p: TestPlan, tests: list[str], names: list[str], existing: str = "",
             existing_mods: str = "") -> str:
    """The text to write: a new file, or what to append to an existing one."""
    return _of(p.language_id).assemble(p, tests, names, existing, existing_mods)
