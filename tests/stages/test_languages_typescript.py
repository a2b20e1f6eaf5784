"""TypeScript and TSX as a family of their own (``languages/typescript.py``): their grammars,
definitions, symbols, extract function with the types the code writes, JSDoc and the test
file's import. Real tree-sitter grammars, no model."""

from __future__ import annotations

import threading

from slm_lsp.actions import docstring, extract_edits, scaffold
from slm_lsp.actions.drafter import Drafter
from slm_lsp.actions.targets import definition_at, definitions
from slm_lsp.languages import language_for_path, new_parser, rules_for
from slm_lsp.syntax.symbols import extract as symbols_of

TS = ("export abstract class Shape {\n"
      "  abstract area(): number;\n"
      "}\n\n"
      "export function scale(width: number, height: number, factor: number): number {\n"
      "  const w: number = width * factor;\n"
      "  const area = w * height;\n"
      "  return area;\n"
      "}\n")
TSX = ("export function Badge(props: { label: string }) {\n"
       "  return <span className=\"badge\">{props.label}</span>;\n"
       "}\n")


def parse(src: str, lang: str):
    data = src.encode()
    return new_parser(lang).parse(data), data


def test_typescript_and_tsx_are_one_family_with_their_own_grammars():
    ts, tsx = rules_for("typescript"), rules_for("typescriptreact")
    assert ts.family == tsx.family == "typescript"
    assert rules_for("javascript").family == "javascript"
    assert (ts.grammar.function, tsx.grammar.function) == ("language_typescript", "language_tsx")
    assert [language_for_path(p) for p in ("a.ts", "a.mts", "b.tsx")] == [
        "typescript", "typescript", "typescriptreact"]
    assert (ts.markdown_fence, tsx.markdown_fence, tsx.name) == ("typescript", "tsx",
                                                                  "TypeScript (TSX)")
    tree, _ = parse(TSX, "typescriptreact")
    assert not tree.root_node.has_error
    tree, _ = parse(TSX, "typescript")  # JSX is not TypeScript
    assert tree.root_node.has_error


def test_typescript_definitions_include_abstract_classes_and_symbols_types():
    tree, data = parse(TS, "typescript")
    found = {d.name: d for d in definitions(tree, "typescript")}
    assert found["Shape"].kind == "class"
    assert found["scale"].params == ("width", "height", "factor") and found["scale"].returns
    names = {d.name: d.kind for d in symbols_of(tree, data, "typescript").definitions}
    assert names == {"Shape": "class", "scale": "function"}


def test_a_typescript_docstring_is_a_jsdoc_block():
    tree, data = parse(TS, "typescript")
    at = TS.index("scale")
    d = definition_at(tree, at, "typescript")
    ins = docstring.render(d, "typescript", "", text=TS, body_offset=TS.index("{", at),
                           start_offset=TS.index("export function"))
    assert ins.text == ("/**\n * Scale.\n *\n * @param width The width.\n"
                        " * @param height The height.\n * @param factor The factor.\n"
                        " * @returns The result.\n */\n")


def test_extracting_from_typescript_keeps_the_written_types_and_javascript_does_not():
    src_a = TS.index("const w")
    src_b = TS.index("w * height;") + len("w * height;")
    out = extract_edits.compute_extract(TS, "typescript", src_a, src_b, "extract_function",
                                        Drafter(None, None, threading.Event()))
    assert not out.refusal, out.refusal
    new_function = out.changes[0].text
    assert new_function.startswith(
        "function extracted(width: number, factor: number, height: number) {\n")
    js = TS.replace(": number", "").replace("export abstract class Shape {\n  abstract area();"
                                            "\n}\n\n", "")
    a, b = js.index("const w"), js.index("w * height;") + len("w * height;")
    out = extract_edits.compute_extract(js, "javascript", a, b, "extract_function",
                                        Drafter(None, None, threading.Event()))
    assert out.changes[0].text.startswith("function extracted(width, factor, height) {\n")


def test_typescript_tests_import_the_module_without_its_extension(tmp_path):
    (tmp_path / "package.json").write_text('{"devDependencies": {"vitest": "1"}}')
    for name, lang in (("shapes.ts", "typescript"), ("badge.tsx", "typescriptreact")):
        src = tmp_path / name
        src.write_text(TS)
        p = scaffold.plan(str(tmp_path), str(src), lang, text=TS)
        stem = name.split(".")[0]
        assert (p.path, p.module, p.framework, p.commonjs) == (
            str(tmp_path / f"{stem}.test.{name.split('.')[1]}"), f"./{stem}", "vitest", False)
