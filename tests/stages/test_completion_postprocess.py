"""Each post-processing filter on its own."""

from __future__ import annotations

import pytest

from slm_lsp.completion import filters, postprocess


def test_cut_markers():
    assert postprocess.cut_markers("return x<|endoftext|>junk", ["<|endoftext|>"]) == "return x"
    assert postprocess.cut_markers("a<fim_middle>b<file_sep>",
                                   ["<file_sep>", "<fim_middle>"]) == "a"


def test_realign_drops_the_extra_space_bpe_models_add_after_indentation():
    text = ' """Doc."""\n     if n:\n         return 1'
    assert postprocess.realign(text, "    ") == '"""Doc."""\n    if n:\n        return 1'
    assert postprocess.realign("x = 1", "    ") == "x = 1"
    # A line that leaves the block is left for the block filter.
    assert (postprocess.realign(' y = 1\n     z = 2\n\ndef g(', "    ")
            == 'y = 1\n    z = 2\n\ndef g(')
    # Later lines already on the indentation grid were written at their true indentation.
    assert postprocess.realign(' if x:\n        return y', "    ") == 'if x:\n        return y'
    # At column 0, a single stray space before code goes.
    assert postprocess.realign(' function f() {', "") == 'function f() {'
    assert postprocess.realign('    return 1', "") == '    return 1'


def test_cut_repetition_stops_loops_but_keeps_one_repeat():
    looping = "if (a) {\n  if (a) {\n    if (a) {\n      x();"
    assert postprocess.cut_repetition(looping) == "if (a) {\n  if (a) {"
    pairs = "a = false;\nb = false;\na = false;\nb = false;"
    assert postprocess.cut_repetition(pairs) == "a = false;\nb = false;"
    ok = "if n < 2:\n    return False\nfor i in r:\n    return False\nreturn True"
    assert postprocess.cut_repetition(ok) == ok


def test_cut_at_outer_closer():
    assert postprocess.cut_at_outer_closer("0) {", " && b) {") == "0"
    assert postprocess.cut_at_outer_closer("g(1), 2", ")") == "g(1), 2"
    assert postprocess.cut_at_outer_closer("x]", " + 1") == "x]"  # the rest does not close it

    assert postprocess.realign(" x", "foo(") == " x"  # not after whitespace: left alone


def test_first_line():
    assert postprocess.first_line("a + b\nc", ")") == "a + b"
    assert postprocess.first_line("\n    next()\nmore", "") == "\n    next()"
    assert postprocess.first_line("\n\n", "") == ""


def test_cut_block_stops_at_a_dedent():
    text = "if n < 2:\n        return n\n    return f(n - 1)\nprint(1)"
    assert (postprocess.cut_block(text, "    ", 10)
            == "if n < 2:\n        return n\n    return f(n - 1)")


def test_cut_block_on_an_indented_empty_line_uses_its_indent():
    assert postprocess.cut_block("\ndef other():\n    pass", "    ", 10) == ""
    assert postprocess.cut_block("x = 1\n    y = 2\nz = 3", "    ", 10) == "x = 1\n    y = 2"


def test_cut_block_stops_at_a_closer_of_the_enclosing_block():
    text = "total += v;\n  }\n  return total;\n}"
    assert postprocess.cut_block(text, "    ", 10) == "total += v;"


def _stops_at(stop, text: str) -> str:
    """The text generated when ``stop`` ends the generation, character by character."""
    for end in range(1, len(text) + 1):
        if stop(text[:end]):
            return text[:end]
    return text


def test_block_stop_judges_a_line_by_its_first_word():
    # Among statements: the next statement is seen at its first word, not at its line's end.
    stop = filters.block_stop("    ", 12, one_statement=True)
    assert _stops_at(stop, "y = x + 1\n    z = y * 2\n") == "y = x + 1\n    z "
    # A clause of the statement goes on; the statement after it stops.
    text = "if x:\n        a()\n    else:\n        b()\n    return c\n"
    assert _stops_at(stop, text) == "if x:\n        a()\n    else:\n        b()\n    return "
    # An empty block: a dedented word leaves it; a deeper one stays.
    stop = filters.block_stop("        ", 12)
    assert _stops_at(stop, "a = 1\n        if a:\n            b()\n    def g(") == (
        "a = 1\n        if a:\n            b()\n    def ")
    # A closer or a comment is judged on the whole line, as before.
    stop = filters.block_stop("  ", 12)
    assert _stops_at(stop, "x();\n}\nfoo") == "x();\n}\n"


def test_cut_block_caps_lines():
    assert postprocess.cut_block("a\nb\nc\nd", "", 2) == "a\nb"


def test_drop_suffix_overlap_on_the_line():
    assert postprocess.drop_suffix_overlap("a, b)", ")", []) == "a, b"
    assert postprocess.drop_suffix_overlap('name"]', '"]', []) == "name"
    assert postprocess.drop_suffix_overlap("a + b", ")", []) == "a + b"


def test_an_answer_that_starts_with_the_next_line_is_dropped():
    assert postprocess.drop_suffix_overlap("walker = walker.next\n    acc = f(acc)", "",
                                           ["    walker = walker.next", "  }"]) == ""
    assert postprocess.drop_suffix_overlap("x = 1\n    // insertion", "",
                                           ["    // insertion"]) == "x = 1"
    assert postprocess.drop_suffix_overlap("}\n", "", ["}"]) == "}\n"  # too short to say it repeats


def test_a_closer_of_the_completions_own_block_stays_though_the_suffix_has_one():
    text = "if (i === l) {\n      this.pushNode(i)\n    }"
    assert postprocess.drop_suffix_overlap(text, "", ["  }", "  return this.length"]) == text
    assert postprocess.drop_suffix_overlap("this.pushNode(i)\n  }", "",
                                           ["  }", "  return this.length"]) == "this.pushNode(i)"


def test_drop_suffix_overlap_of_next_lines():
    text = "x = 1\n    y = 2\n    return x + y"
    assert postprocess.drop_suffix_overlap(text, "", ["    return x + y", ""]) == "x = 1\n    y = 2"


def test_balance_closers_never_duplicates_the_suffix_closer():
    assert postprocess.balance_closers("len(x))", ")") == "len(x)"
    assert postprocess.balance_closers("len(x)", ")") == "len(x)"
    assert postprocess.balance_closers("a]", "") == "a]"  # the suffix has no closer: keep


@pytest.mark.parametrize(("src", "unit"), [
    ("def f():\n    return 1\n", "    "),
    ("function f() {\n  return 1;\n}\n", "  "),
    ("func f() {\n\treturn 1\n}\n", "\t"),
])
def test_detect_indent_unit(src, unit):
    assert postprocess.detect_indent_unit(src) == unit


def test_normalize_indent_to_tabs():
    assert postprocess.normalize_indent("if x {\n    y()\n}", "\t") == "if x {\n\ty()\n}"


def test_keep_parsing_rejects_a_completion_that_breaks_a_parse_that_held():
    prefix, suffix = "def f(x):\n    return ", "\n\nprint(f(1))\n"
    assert postprocess.keep_parsing("x + 1", prefix, suffix, "python") == "x + 1"
    assert postprocess.keep_parsing("x + (1", prefix, suffix, "python") == ""


def test_keep_parsing_keeps_the_longest_head_that_parses():
    prefix, suffix = "def f(x):\n    ", "\n"
    cand = "y = x * 2\n    return y\n    z = (("
    assert postprocess.keep_parsing(cand, prefix, suffix, "python") == "y = x * 2\n    return y"


def test_keep_parsing_ignores_languages_without_a_grammar():
    assert postprocess.keep_parsing("((", "a", "b", "plaintext") == "(("


def test_is_empty():
    assert postprocess.is_empty(" \n\t") and not postprocess.is_empty(" x")


@pytest.mark.parametrize(("lang", "path", "comment"), [
    ("python", "benchmarks/corpus_typing/python/pygls/text_document.py", "#"),
    ("javascript", "benchmarks/corpus_typing/javascript/semver/semver.js", "//"),
])
def test_the_incremental_parse_check_counts_what_a_fresh_parse_counts(lang: str, path: str,
                                                                      comment: str):
    import random
    from pathlib import Path

    from slm_lsp.languages import new_parser

    root = Path(__file__).resolve().parents[2]
    text = (root / path).read_text(encoding="utf-8") + f"\n{comment} é ✓ 𝔘 end\n"
    lines = text.split("\n")
    parser = new_parser(lang)
    rng = random.Random(7)
    differ = 0
    for _ in range(60):
        offset = rng.randrange(len(text))
        prefix, suffix = text[:offset], text[offset:]
        tree = parser.parse(postprocess._utf8(prefix + suffix))
        base = postprocess.tree_error_count(tree)
        end = tree.root_node.end_point
        first = rng.randrange(len(lines) - 3)
        candidate = "\n".join(lines[first:first + rng.randint(1, 3)]) + rng.choice(
            ["", "é)", "𝔘 {"])
        fresh = postprocess.error_count(parser, prefix + candidate + suffix)
        incremental = postprocess._insertion_errors(parser, postprocess._utf8(prefix), candidate,
                                           postprocess._utf8(suffix), tree)
        assert incremental == fresh, (offset, candidate)
        # The check edited a copy, not the document's tree.
        assert (postprocess.tree_error_count(tree), tree.root_node.end_point) == (base, end)
        assert postprocess.keep_parsing(
            candidate, prefix, suffix, lang, base, tree) == postprocess.keep_parsing(
            candidate, prefix, suffix, lang, base)
        differ += fresh > base
    assert 10 < differ < 60  # the cases both break and keep the parse


def test_cut_repetition_cuts_a_line_that_repeats_the_one_before():
    text = "await self._flush()\nawait self._close()\nawait self._close()\nreturn None"
    assert postprocess.cut_repetition(text) == "await self._flush()\nawait self._close()"
    near = "values.append(item.name)\nvalues.append(item.name);\nreturn values"
    assert postprocess.cut_repetition(near) == "values.append(item.name)"
    one_char = "result = compute_total(items, 1)\nresult = compute_total(items, 2)"
    assert postprocess.cut_repetition(one_char) == "result = compute_total(items, 1)"
    distinct = "self.a = a\nself.b = b\nself.c = c\n}\n}"
    assert postprocess.cut_repetition(distinct) == distinct


def test_cut_at_construct_end_python_dedent_leaves_the_function():
    prefix = "def f(x):\n    "
    suffix = "\n\n\ndef g():\n    return 2\n"
    text = "y = x + 1\n    return y\nprint(f(1))"
    assert postprocess.cut_at_construct_end(text, prefix, suffix, "python") == (
        "y = x + 1\n    return y")
    inside = "y = x + 1\n    if y:\n        y -= 1\n    return y"
    assert postprocess.cut_at_construct_end(inside, prefix, suffix, "python") == inside


def test_cut_at_construct_end_brace_the_suffix_already_closes():
    prefix = "function total(xs) {\n  "
    suffix = "\n}\n"
    text = "return xs.length;\n}\n\nfunction other() {\n  return 1;"
    cut = postprocess.cut_at_construct_end(text, prefix, suffix, "javascript")
    assert cut == "return xs.length;"
    # Wrongly indented, but the tree knows where the body closes.
    text = "let s = 0;\nfor (const x of xs) s += x;\nreturn s; }\nfoo();"
    assert postprocess.cut_at_construct_end(text, prefix, suffix, "javascript") == (
        "let s = 0;\nfor (const x of xs) s += x;\nreturn s;")
    whole = "let s = 0;\n  return s;"
    assert postprocess.cut_at_construct_end(whole, prefix, suffix, "javascript") == whole


def test_cut_at_construct_end_without_a_closer_in_the_suffix_keeps_the_closing_line():
    prefix = "function total(xs) {\n  "
    text = "return xs.length;\n}\n\nconsole.log(total([]));"
    cut = postprocess.cut_at_construct_end(text, prefix, "\n", "javascript")
    assert cut == "return xs.length;\n}"


def test_cut_at_construct_end_top_level_keeps_the_statement_it_begins():
    text = ("const invalidStep = (step, options) => {\n  return step;\n};\n\n"
            "const other = () => {\n  return 1;\n};")
    assert postprocess.cut_at_construct_end(text, "", "\nmodule.exports = x;\n", "javascript") == (
        "const invalidStep = (step, options) => {\n  return step;\n};")
    text = "# the helper\ndef helper():\n    return 1\n\n\ndef more():\n    pass"
    assert postprocess.cut_at_construct_end(text, "import os\n\n", "\n", "python") == (
        "# the helper\ndef helper():\n    return 1")


def test_only_comments():
    assert postprocess.only_comments("# This is a non-functional function.\n# more", "python")
    assert not postprocess.only_comments("# the sum\nreturn a + b", "python")
    assert postprocess.only_comments("  // todo", "javascript")
    assert not postprocess.only_comments("", "python")
    assert not postprocess.only_comments("x", "plaintext")


def test_cut_bad_dedent_stops_where_python_would_refuse_the_indentation():
    text = ("if isinstance(width, int):\n            raise ValueError('int')\n"
            "         self.width = width\n        self.height = height")
    assert postprocess.cut_bad_dedent(text, "        ") == (
        "if isinstance(width, int):\n            raise ValueError('int')")
    good = "if a:\n        b()\n    else:\n        c()\n    d()"
    assert postprocess.cut_bad_dedent(good, "    ") == good


def test_drop_dangling_header():
    assert postprocess.drop_dangling_header("sum = 0.0\nfor i in range(n):") == "sum = 0.0"
    assert postprocess.drop_dangling_header("if x:  # when\n\n") == "if x:  # when"
    assert postprocess.drop_dangling_header("a = 1\nif a:\n    b = 2") == "a = 1\nif a:\n    b = 2"


@pytest.mark.parametrize(("text", "prefix", "want"), [
    # The next statement at the block's level goes; the statement's own body stays.
    ("y = x + 1\n    z = y * 2\n    return z", "    ", "y = x + 1"),
    ("if x:\n        y = 1\n    else:\n        y = 2\n    return y", "    ",
     "if x:\n        y = 1\n    else:\n        y = 2"),
    ("total = compute(\n        a,\n        b,\n    )\n    print(total)", "    ",
     "total = compute(\n        a,\n        b,\n    )"),
    # JavaScript: its own closing brace and `} else {` stay with it.
    ("if (a) {\n    b();\n  } else {\n    c();\n  }\n  d();", "  ",
     "if (a) {\n    b();\n  } else {\n    c();\n  }"),
    ("try {\n    f();\n  }\n  catch (e) {\n    g(e);\n  }\n  h();", "  ",
     "try {\n    f();\n  }\n  catch (e) {\n    g(e);\n  }"),
    # A comment or a decorator belongs to the statement after it.
    ("# the sum\n    s = a + b\n    t = s", "    ", "# the sum\n    s = a + b"),
    ("@app.route('/')\ndef home():\n    return 'hi'\n\ndef other():\n    pass", "",
     "@app.route('/')\ndef home():\n    return 'hi'"),
    ("return x", "    ", "return x"),
    # After a header whose block has code: the first statement of that block.
    ("\n    y = x + 1\n    return y", "def f(x):", "\n    y = x + 1"),
    ("\n    if x:\n        y = 1\n    z = 2", "def f(x):",
     "\n    if x:\n        y = 1"),
    ("\n  log(a);\n  return a;", "function f(a) {", "\n  log(a);"),
    # Code at the header's own level is not in its block.
    ("\ndef g():\n    pass", "def f(x):", ""),
])
def test_cut_one_statement(text, prefix, want):
    assert postprocess.cut_one_statement(text, prefix) == want
