"""What the test conventions share: the plan of where a file's tests go and how they are
written, the refusal, and the base every convention overrides where its framework differs.
Each family module defines its convention (``Pytest``, ``JsTests``, ``GoTests``,
``RustTests``) and names it in its rules (``Language.tests``); ``actions/scaffold.py`` runs it.

Pure: paths, definitions and text in, plain data out. Nothing here knows which language it
serves.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import attrs

from .. import paths

if TYPE_CHECKING:
    from .definition import Definition


class ScaffoldRefused(ValueError):
    """The tests cannot be placed safely; the message says why, for the user."""


@attrs.frozen
class TestPlan:
    """Where the tests go and how they are written."""

    path: str  # absolute, normalised, inside the workspace root
    language_id: str
    module: str  # Python import path / JS import specifier / Go package / "" for Rust
    framework: str = ""  # "pytest", "vitest", "jest", "go", "rust"
    same_file: bool = False  # Rust: append to the source file itself
    commonjs: bool = False


def inside(root: str, path: str) -> bool:
    """Is the real path of ``path`` (symlinks resolved) inside the real path of ``root``?"""
    return paths.real_inside(root, path) is not None


def call_of(d: Definition) -> str:
    args = ", ".join(p.lstrip("*.&") for p in d.params)
    return f"{d.name}({args})"


def has_line(existing: str, line: str) -> bool:
    return re.search(rf"^{re.escape(line)}\s*$", existing, re.M) is not None


def kept(lines: list[str], existing: str) -> str:
    """``lines`` without those ``existing`` already has (blank lines stay), as text; "" when
    nothing is left."""
    new = [line for line in lines if not line or not has_line(existing, line)]
    if not any(new):
        return ""
    return "\n".join(new) + "\n"


class Convention:
    """What the conventions share; each overrides what its framework does differently."""

    body_indent = "    "
    separator = "\n"  # between the tests of a file
    test_def: re.Pattern | None = None  # a test's name, to rename one that is taken
    assertion: re.Pattern | None = None  # a check the framework counts

    def adapt(self, p: TestPlan, text: str) -> TestPlan:
        """The plan once the source's text is known."""
        return p

    def public(self, defs: list[Definition]) -> list[Definition]:
        return list(defs)

    def imported_names(self, existing: str, p: TestPlan) -> set[str]:
        return set()

    def has_assertion(self, body: str, p: TestPlan) -> bool:
        return self.assertion is not None and bool(self.assertion.search(body))

    def skeleton_test(self, d: Definition, p: TestPlan) -> str:
        return self.wrap_test(d, p, self.skeleton_body(d, self.body_indent))

    def numbered(self, name: str, n: int) -> str:
        return f"{name}{n}"

    def model_prelude(self, p: TestPlan, names: list[str], opening: str) -> tuple[str, str]:
        """The imports and the test's opening that a plain model continues."""
        return self.headers(p, names), opening

    def headers(self, p: TestPlan, names: list[str], existing: str = "") -> str:
        """The imports a new (or appended-to) test file needs, merged with those it already
        has: a name the file already imports from the module is not imported again."""
        have = self.imported_names(existing, p) if existing else set()
        return self.header(p, [n for n in names if n not in have], existing, have)

    def unshadow(self, tests: list[str], existing: str) -> list[str]:
        """``tests`` renamed where a name is already taken in ``existing`` or by an earlier
        test: a second ``def test_add`` would replace the first, and pytest would run one."""
        pattern = self.test_def
        if pattern is None:
            return tests
        taken = set(pattern.findall(existing))
        out = []
        for test in tests:
            m = pattern.search(test)
            if m is not None:
                name = new = m.group(1)
                n = 2
                while new in taken:
                    new, n = self.numbered(name, n), n + 1
                taken.add(new)
                test = test[:m.start(1)] + new + test[m.end(1):]
            out.append(test)
        return out

    def assemble(self, p: TestPlan, tests: list[str], names: list[str], existing: str = "",
                 existing_mods: str = "") -> str:
        """The text to write: a new file, or what to append to an existing one."""
        head = self.headers(p, names, existing)
        tests = self.unshadow(tests, existing)
        sep = self.separator
        text = (head + sep if head else "") + sep.join(tests)
        if existing:
            lead = "" if existing.endswith("\n\n") else (
                "\n" if existing.endswith("\n") else "\n\n")
            return lead + self.after_lead(lead) + text
        return text

    def after_lead(self, lead: str) -> str:
        return ""
