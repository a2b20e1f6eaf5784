"""Test scaffolds: where the tests go in the project's convention, how they import the code,
and the skeleton of each test. Pure: paths and definitions in, plain data out.

Python: pytest ``<root>/tests/test_<module>.py`` importing the module by its real import path
(``src/`` layouts handled). JS/TS: ``<name>.test.<ext>`` beside the file, vitest or jest as
``package.json`` says. Go: ``<file>_test.go`` in the same package. Rust: a ``#[cfg(test)]``
module appended to the file itself. Nothing may land outside the workspace's real path: the
target is checked by ``paths.write_target`` (symlinked directories and files that lead out, and
dangling symlinks, are refused).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import attrs

from .. import paths
from .targets import ActionTarget as Definition

SUPPORTED = {"python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go",
             "rust"}
_JS_EXT = {"javascript": ".js", "javascriptreact": ".jsx", "typescript": ".ts",
           "typescriptreact": ".tsx"}


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


def _package_json(start: Path, root: Path) -> dict:
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


def plan(root: str | None, source: str, language_id: str, text: str | None = None
         ) -> TestPlan:
    """Where the tests for ``source`` go. Raises ``ScaffoldRefused`` when it is not safe.

    ``text``, the source's contents, decides a JavaScript file's module system when its
    statements say (``export`` makes an ES module whatever ``package.json`` says)."""
    if language_id not in SUPPORTED:
        raise ScaffoldRefused(f"no test convention for {language_id}")
    if not root:
        raise ScaffoldRefused("no workspace root: open a folder to generate tests")
    source = os.path.normpath(os.path.abspath(source))
    if not inside(root, source):
        raise ScaffoldRefused(f"{source} is outside the workspace {root}")
    src = Path(source)
    if language_id == "python":
        module = python_module(root, source)
        target = os.path.join(root, "tests", f"test_{module.rsplit('.', 1)[-1]}.py")
        result = TestPlan(os.path.normpath(target), language_id, module, "pytest")
    elif language_id in _JS_EXT:
        package = _package_json(src.parent, Path(os.path.normpath(root)))
        stem = src.stem
        target = str(src.with_name(f"{stem}.test{src.suffix or _JS_EXT[language_id]}"))
        esm = es_module(text) if text is not None else None
        if src.suffix in (".mjs", ".cjs"):
            esm = src.suffix == ".mjs"
        elif esm is None:
            esm = package.get("type") == "module"
        commonjs = language_id.startswith("javascript") and not esm
        spec = f"./{stem}" if language_id.startswith("typescript") or commonjs else \
            f"./{src.name}"
        result = TestPlan(target, language_id, spec, js_framework(package), commonjs=commonjs)
    elif language_id == "go":
        target = str(src.with_name(f"{src.stem}_test.go"))
        result = TestPlan(target, language_id, "", "go")
    else:
        result = TestPlan(source, language_id, "", "rust", same_file=True)
    try:
        paths.write_target(root, result.path)
    except paths.PathRefused as exc:
        raise ScaffoldRefused(f"the test file is not written: {exc}") from None
    return result


def public(defs: list[Definition], language_id: str) -> list[Definition]:
    """The definitions a test file should cover: public, top-level functions and classes."""
    if language_id == "python":
        keep = [d for d in defs if not d.name.startswith("_")]
    elif language_id == "go":
        keep = [d for d in defs if d.name[:1].isupper() and d.kind == "function"]
    else:
        keep = list(defs)
    return keep


def test_name(d: Definition, language_id: str) -> str:
    if language_id == "go":
        return f"Test{d.name[:1].upper()}{d.name[1:]}"
    if language_id in _JS_EXT:
        return d.name
    return f"test_{re.sub(r'(?<!^)(?=[A-Z])', '_', d.name).lower()}"


def call_of(d: Definition) -> str:
    args = ", ".join(p.lstrip("*.&") for p in d.params)
    return f"{d.name}({args})"


# A check each framework counts as one: a test body without one can never fail.
_ASSERTION = {
    "pytest": re.compile(r"^\s*assert\b|\bpytest\.(raises|approx|fail)\b", re.M),
    "go": re.compile(r"\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\("),
    "rust": re.compile(r"\b(assert|assert_eq|assert_ne|debug_assert\w*)!\s*\(|#\[should_panic"),
}
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


def has_assertion(body: str, p: TestPlan) -> bool:
    """Does a test body check something its framework recognises? (``assert``,
    ``expect(...).toBe(...)``, ``t.Errorf``, ``assert_eq!``). A JS ``expect(...)`` without a
    matcher checks nothing, so one such call disqualifies the body."""
    if p.framework in _ASSERTION:
        return bool(_ASSERTION[p.framework].search(body))
    calls = _expect_calls(body)
    return bool(calls) and all(calls)


def skeleton_body(d: Definition, language_id: str, indent: str) -> str:
    """A test body that says what to write and cannot pass silently (JS: see
    ``skeleton_test``, a ``todo`` test without a body)."""
    if language_id == "python":
        what = f"{d.name}(...)" if d.kind == "class" else call_of(d)
        return f'{indent}# TODO: check {what}\n{indent}pytest.skip("write the assertion")\n'
    if language_id == "go":
        return f'{indent}// TODO: check {call_of(d)}\n{indent}t.Skip("write the assertion")\n'
    if language_id == "rust":
        return f'{indent}// TODO: check {call_of(d)}\n{indent}todo!("write the assertion");\n'
    return f'{indent}throw new Error("write the assertion for {call_of(d)}");\n'


def skeleton_test(d: Definition, p: TestPlan) -> str:
    """A placeholder test the runner reports as not written: ``pytest.skip``, ``t.Skip``,
    ``todo!`` and, for jest and vitest, ``it.todo``."""
    if p.language_id in _JS_EXT:
        what = call_of(d).replace('"', "'")
        return (f'describe("{test_name(d, p.language_id)}", () => {{\n'
                f'  it.todo("check {what}");\n}});\n')
    return wrap_test(d, p, skeleton_body(d, p.language_id, body_indent(p)))


_PY_FROM = re.compile(r"^from\s+([\w.]+)\s+import\s+(\([^)]*\)|[^\n#;]*)", re.M)
_JS_NAMED = re.compile(r"""(?:import\s*\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*require\()"""
                       r"""\s*["']([^"']+)["']""")
_TEST_DEF = {
    "python": re.compile(r"^(?:async\s+)?def\s+(\w+)", re.M),
    "go": re.compile(r"^func\s+(\w+)", re.M),
}


def imported_names(existing: str, p: TestPlan) -> set[str]:
    """The names ``existing`` already imports from the module under test (as bound there)."""
    found: set[str] = set()
    if p.language_id == "python":
        for module, names in _PY_FROM.findall(existing):
            if module == p.module:
                for item in names.strip("()").replace("\n", " ").split(","):
                    words = item.split()
                    if words:
                        found.add(words[-1] if "as" in words else words[0])
    elif p.language_id in _JS_EXT:
        for named, required, spec in _JS_NAMED.findall(existing):
            if spec == p.module:
                for item in (named or required).split(","):
                    words = item.replace(":", " as ").split()
                    if words:
                        found.add(words[-1])
    return found


def _has_line(existing: str, line: str) -> bool:
    return re.search(rf"^{re.escape(line)}\s*$", existing, re.M) is not None


def header(p: TestPlan, names: list[str], existing: str = "") -> str:
    """The imports a new (or appended-to) test file needs, merged with those it already has:
    a name the file already imports from the module is not imported again."""
    have = imported_names(existing, p) if existing else set()
    names = [n for n in names if n not in have]
    if p.language_id == "python":
        lines = ["import pytest"]
        if names:
            lines.append(f"from {p.module} import {', '.join(names)}")
        elif not have:
            lines.append(f"import {p.module}")
    elif p.framework == "go":
        lines = [] if existing else [f"package {p.module}", ""]
        if not re.search(r'^\s*(import\s+)?"testing"', existing, re.M):
            lines.append('import "testing"')
    elif p.framework == "rust":
        return ""
    else:
        lines = []
        if p.framework == "vitest":
            lines.append('import { describe, expect, it } from "vitest";')
        if names and p.commonjs:
            lines.append(f'const {{ {", ".join(names)} }} = require("{p.module}");')
        elif names:
            lines.append(f'import {{ {", ".join(names)} }} from "{p.module}";')
    kept = [line for line in lines if not line or not _has_line(existing, line)]
    if not any(kept):
        return ""
    return "\n".join(kept) + "\n"


def unshadow(tests: list[str], existing: str, language_id: str) -> list[str]:
    """``tests`` renamed where a name is already taken in ``existing`` or by an earlier test:
    a second ``def test_add`` would replace the first, and pytest would run only one."""
    pattern = _TEST_DEF.get(language_id)
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
                new, n = f"{name}_{n}" if language_id == "python" else f"{name}{n}", n + 1
            taken.add(new)
            test = test[:m.start(1)] + new + test[m.end(1):]
        out.append(test)
    return out


def wrap_test(d: Definition, p: TestPlan, body: str) -> str:
    """One test function around ``body`` (already indented)."""
    name = test_name(d, p.language_id)
    if p.language_id == "python":
        return f"def {name}():\n{body}"
    if p.framework == "go":
        return f"func {name}(t *testing.T) {{\n{body}}}\n"
    if p.framework == "rust":
        return f"    #[test]\n    fn {name}() {{\n{body}    }}\n"
    return f'describe("{name}", () => {{\n  it("works", () => {{\n{body}  }});\n}});\n'


def body_indent(p: TestPlan) -> str:
    return {"python": "    ", "go": "\t", "rust": "        "}.get(p.language_id, "    ")


def assemble(p: TestPlan, tests: list[str], names: list[str], existing: str = "",
             existing_mods: str = "") -> str:
    """The text to write: a new file, or what to append to an existing one."""
    if p.framework == "rust":
        mod = "tests" if not re.search(r"\bmod\s+tests\b", existing_mods) else "generated_tests"
        lead = "\n" if existing and not existing.endswith("\n\n") else ""
        return (f"{lead}#[cfg(test)]\nmod {mod} {{\n    use super::*;\n\n"
                + "\n".join(tests) + "}\n")
    head = header(p, names, existing)
    tests = unshadow(tests, existing, p.language_id)
    sep = "\n\n" if p.language_id == "python" else "\n"
    text = (head + sep if head else "") + sep.join(tests)
    if existing:
        lead = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
        return lead + ("\n" if p.language_id == "python" and lead else "") + text
    return text
