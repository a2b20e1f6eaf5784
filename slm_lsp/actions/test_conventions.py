"""The test conventions a language names in its rules: where its tests go, how they import
the code, and how each test reads. Pytest (Python), jest or vitest (JavaScript, TypeScript),
``go test`` and Rust's ``#[cfg(test)]`` module.

Pure: paths, definitions and text in, plain data out. ``scaffold`` asks the language's
convention; nothing here knows which language it serves.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from .. import paths

if TYPE_CHECKING:
    from .targets import ActionTarget as Definition


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


MAX_PACKAGE_JSON = 1 << 20


def python_module(root: str, source: str) -> str:
    """The import path of ``source`` from the workspace root (``src/`` stripped)."""
    rel = Path(os.path.relpath(os.path.normpath(source), os.path.normpath(root)))
    parts = list(rel.with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if not parts or not all(p.isidentifier() for p in parts):
        raise ScaffoldRefused(f"{rel} is not importable as a Python module")
    return ".".join(parts)


def package_json(start: Path, root: Path) -> dict:
    here = start
    while True:
        candidate = here / "package.json"
        if os.path.lexists(candidate):
            try:
                data = json.loads(paths.read_bytes(candidate, MAX_PACKAGE_JSON, root=str(root)))
            except (OSError, ValueError, RecursionError):
                return {}
            return data if isinstance(data, dict) else {}
        if here == root or here.parent == here or not inside(str(root), str(here.parent)):
            return {}
        here = here.parent


def js_framework(package: dict) -> str:
    """``vitest`` or ``jest`` as the package's dependencies or test script say (jest if
    neither is named: its globals are what most projects assume)."""
    deps = {}
    for key in ("dependencies", "devDependencies"):
        if isinstance(package.get(key), dict):
            deps.update(package[key])
    scripts = package.get("scripts")
    script = str(scripts.get("test", "")) if isinstance(scripts, dict) else ""
    if "vitest" in deps or "vitest" in script:
        return "vitest"
    return "jest"


_ESM_STATEMENT = re.compile(r"^\s*(import\s*[\w{*\"']|import\s*$|export\s)", re.M)
_CJS_STATEMENT = re.compile(r"\brequire\s*\(|\bmodule\.exports\b|\bexports\.\w+\s*=")


def es_module(text: str) -> bool | None:
    """What a JavaScript file's own statements say: True for an ES module (``import``/
    ``export`` statements), False for CommonJS (``require``, ``module.exports``), None when
    they say nothing."""
    if _ESM_STATEMENT.search(text):
        return True
    if _CJS_STATEMENT.search(text):
        return False
    return None


def call_of(d: Definition) -> str:
    args = ", ".join(p.lstrip("*.&") for p in d.params)
    return f"{d.name}({args})"


def has_line(existing: str, line: str) -> bool:
    return re.search(rf"^{re.escape(line)}\s*$", existing, re.M) is not None


def _kept(lines: list[str], existing: str) -> str:
    kept = [line for line in lines if not line or not has_line(existing, line)]
    if not any(kept):
        return ""
    return "\n".join(kept) + "\n"


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


class Pytest(Convention):
    """``<root>/tests/test_<module>.py`` importing the module by its real import path."""

    separator = "\n\n"
    test_def = re.compile(r"^(?:async\s+)?def\s+(\w+)", re.M)
    assertion = re.compile(r"^\s*assert\b|\bpytest\.(raises|approx|fail)\b", re.M)
    _from = re.compile(r"^from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n#;]*)", re.M)

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        module = python_module(root, str(src))
        target = os.path.join(root, "tests", f"test_{module.rsplit('.', 1)[-1]}.py")
        return TestPlan(os.path.normpath(target), language_id, module, "pytest")

    def public(self, defs: list[Definition]) -> list[Definition]:
        return [d for d in defs if not d.name.startswith("_")]

    def test_name(self, d: Definition) -> str:
        return f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', d.name).lower()}"

    def numbered(self, name: str, n: int) -> str:
        return f"{name}_{n}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        what = f"{d.name}(...)" if d.kind == "class" else call_of(d)
        return f'{indent}# TODO: check {what}\n{indent}pytest.skip("write the assertion")\n'

    def imported_names(self, existing: str, p: TestPlan) -> set[str]:
        found: set[str] = set()
        for module, names in self._from.findall(existing):
            if module == p.module:
                for item in names.strip("()").replace("\n", " ").split(","):
                    words = item.split()
                    if words:
                        found.add(words[-1] if "as" in words else words[0])
        return found

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = ["import pytest"]
        if names:
            lines.append(f"from {p.module} import {', '.join(names)}")
        elif not have:
            lines.append(f"import {p.module}")
        return _kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"def {self.test_name(d)}():\n{body}"

    def after_lead(self, lead: str) -> str:
        return "\n" if lead else ""


_JS_NAMED = re.compile(r"""(?:import\s*\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*require\()"""
                       r"""\s*["']([^"']+)["']""")
# expect(...) followed by a matcher call: `.toBe(`, `.not.toEqual(`, `.resolves.toThrow(`.
_JS_MATCHER = re.compile(r"\s*\)\s*(\.\s*(not|resolves|rejects)\s*)*\.\s*to[A-Z]\w*\s*\(")


def _expect_calls(body: str) -> list[bool]:
    """For each ``expect(...)`` in a JS body: is it followed by a matcher call?"""
    found = []
    for m in re.finditer(r"\bexpect\s*\(", body):
        depth, i = 1, m.end()
        while i < len(body) and depth:
            depth += (body[i] in "([{") - (body[i] in ")]}")
            i += 1
        found.append(bool(_JS_MATCHER.match(body, i - 1)) if not depth else False)
    return found


@attrs.frozen
class JsTests(Convention):
    """``<name>.test.<ext>`` beside the file, vitest or jest as ``package.json`` says."""

    extension: str = ".js"  # of a source file without one
    typed: bool = False  # TypeScript: always an ES module, imported without its extension

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        package = package_json(src.parent, Path(os.path.normpath(root)))
        stem = src.stem
        target = str(src.with_name(f"{stem}.test{src.suffix or self.extension}"))
        esm = es_module(text) if text is not None else None
        if src.suffix in (".mjs", ".cjs"):
            esm = src.suffix == ".mjs"
        elif esm is None:
            esm = package.get("type") == "module"
        commonjs = not self.typed and not esm
        spec = f"./{stem}" if self.typed or commonjs else f"./{src.name}"
        return TestPlan(target, language_id, spec, js_framework(package), commonjs=commonjs)

    def test_name(self, d: Definition) -> str:
        return d.name

    def has_assertion(self, body: str, p: TestPlan) -> bool:
        calls = _expect_calls(body)
        return bool(calls) and all(calls)

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}throw new Error("write the assertion for {call_of(d)}");\n'

    def skeleton_test(self, d: Definition, p: TestPlan) -> str:
        """A ``todo`` test without a body."""
        what = call_of(d).replace('"', "'")
        return (f'describe("{self.test_name(d)}", () => {{\n'
                f'  it.todo("check {what}");\n}});\n')

    def imported_names(self, existing: str, p: TestPlan) -> set[str]:
        found: set[str] = set()
        for named, required, spec in _JS_NAMED.findall(existing):
            if spec == p.module:
                for item in (named or required).split(","):
                    words = item.replace(":", " as ").split()
                    if words:
                        found.add(words[-1])
        return found

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = []
        if p.framework == "vitest":
            lines.append('import { describe, expect, it } from "vitest";')
        if names and p.commonjs:
            lines.append(f'const {{ {", ".join(names)} }} = require("{p.module}");')
        elif names:
            lines.append(f'import {{ {", ".join(names)} }} from "{p.module}";')
        return _kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return (f'describe("{self.test_name(d)}", () => {{\n'
                f'  it("works", () => {{\n{body}  }});\n}});\n')


class GoTests(Convention):
    """``<file>_test.go`` in the same package."""

    body_indent = "\t"
    test_def = re.compile(r"^func\s+(\w+)", re.M)
    assertion = re.compile(r"\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\(")

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        return TestPlan(str(src.with_name(f"{src.stem}_test.go")), language_id, "", "go")

    def adapt(self, p: TestPlan, text: str) -> TestPlan:
        m = re.search(r"^package\s+(\w+)", text, re.M)
        return attrs.evolve(p, module=m.group(1) if m else "main")

    def public(self, defs: list[Definition]) -> list[Definition]:
        return [d for d in defs if d.name[:1].isupper() and d.kind == "function"]

    def test_name(self, d: Definition) -> str:
        return f"Test{d.name[:1].upper()}{d.name[1:]}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}// TODO: check {call_of(d)}\n{indent}t.Skip("write the assertion")\n'

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        lines = [] if existing else [f"package {p.module}", ""]
        if not re.search(r'^\s*(import\s+)?"testing"', existing, re.M):
            lines.append('import "testing"')
        return _kept(lines, existing)

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"func {self.test_name(d)}(t *testing.T) {{\n{body}}}\n"


class RustTests(Convention):
    """A ``#[cfg(test)]`` module appended to the file itself."""

    body_indent = "        "
    assertion = re.compile(r"\b(assert|assert_eq|assert_ne|debug_assert\w*)!\s*\(|"
                           r"#\[should_panic")

    def place(self, root: str, src: Path, language_id: str, text: str | None) -> TestPlan:
        return TestPlan(str(src), language_id, "", "rust", same_file=True)

    def test_name(self, d: Definition) -> str:
        return f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', d.name).lower()}"

    def skeleton_body(self, d: Definition, indent: str) -> str:
        return f'{indent}// TODO: check {call_of(d)}\n{indent}todo!("write the assertion");\n'

    def header(self, p: TestPlan, names: list[str], existing: str, have: set[str] = frozenset()
               ) -> str:
        return ""

    def model_prelude(self, p: TestPlan, names: list[str], opening: str) -> tuple[str, str]:
        return "", f"#[cfg(test)]\nmod tests {{\n    use super::*;\n\n{opening}"

    def wrap_test(self, d: Definition, p: TestPlan, body: str) -> str:
        return f"    #[test]\n    fn {self.test_name(d)}() {{\n{body}    }}\n"

    def assemble(self, p: TestPlan, tests: list[str], names: list[str], existing: str = "",
                 existing_mods: str = "") -> str:
        mod = "tests" if not re.search(r"\bmod\s+tests\b", existing_mods) else "generated_tests"
        lead = "\n" if existing and not existing.endswith("\n\n") else ""
        return (f"{lead}#[cfg(test)]\nmod {mod} {{\n    use super::*;\n\n"
                + "\n".join(tests) + "}\n")
