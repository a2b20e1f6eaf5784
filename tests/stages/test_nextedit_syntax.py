"""Next edits from the syntax tree (real tree-sitter): what a rename or a signature change
reaches, in what order, and where the server stays quiet."""

from __future__ import annotations

import pytest

from slm_lsp.documents import Document
from slm_lsp.nextedit import syntax
from slm_lsp.nextedit.edits import Edit, Proposal
from slm_lsp.nextedit.service import NextEditService, accepted, reverts
from slm_lsp.nextedit.syntax import Param


class Store(dict):
    """The open documents, in the order they were opened (as ``DocumentStore``)."""

    def __iter__(self):
        return iter(list(self.values()))


class Editor:
    """Open documents, changed as an editor changes them, and the service that hears it."""

    def __init__(self):
        self.docs = Store()
        self.service = NextEditService(self.docs)

    def open(self, uri: str, text: str, language: str = "python") -> Document:
        doc = Document(uri, text, 1, language)
        self.docs[uri] = doc
        self.service.opened(doc)
        return doc

    def replace(self, doc: Document, a: int, b: int, new: str) -> None:
        doc.apply_change(new, doc.line_col(a), doc.line_col(b))
        doc.version += 1
        self.service.changed(doc)

    def type_over(self, doc: Document, a: int, b: int, new: str) -> None:
        self.replace(doc, a, b, new[0])
        for i, ch in enumerate(new[1:], 1):
            self.replace(doc, a + i, a + i, ch)

    def type_at(self, doc: Document, at: int, text: str) -> None:
        for i, ch in enumerate(text):
            self.replace(doc, at + i, at + i, ch)

    def follow(self, limit: int = 20) -> list[tuple[str, int, str]]:
        """Accept every proposal until there is none: (document, line, new text) of each."""
        seen = []
        for _ in range(limit):
            p = self.service.syntax_proposal()
            if p is None:
                return seen
            doc = self.docs[p.uri]
            seen.append((p.uri.rsplit("/", 1)[-1], doc.line_col(p.start)[0], p.text))
            self.replace(doc, p.start, p.end, p.text)
        raise AssertionError(f"no end after {limit} proposals: {seen}")


def rename(text: str, old: str, new: str, language: str = "python", nth: int = 0,
           uri: str = "file:///w/a.py") -> tuple[Editor, Document]:
    ed = Editor()
    doc = ed.open(uri, text, language)
    a = -1
    for _ in range(nth + 1):
        a = text.index(old, a + 1)
    ed.type_over(doc, a, a + len(old), new)
    return ed, doc


PY = '''def area(count, width):
    """How many `count`."""
    label = "count"  # count
    total = count * width

    def inner(count):
        return count

    def outer():
        return count + 1
    return total + count + inner(2) + outer()


def other(count):
    return count
'''


def test_a_parameter_renamed_reaches_its_uses_in_order_and_no_other_binding():
    ed, doc = rename(PY, "count", "n")
    # The uses after the edit in reading order; not the docstring, the string, the comment,
    # the inner function's own parameter, other()'s parameter.
    assert ed.follow() == [("a.py", 3, "n"), ("a.py", 9, "n"), ("a.py", 10, "n")]
    assert "def inner(count):\n        return count" in doc.text
    assert "def other(count):\n    return count" in doc.text


def test_a_rename_from_a_later_use_wraps_to_the_earlier_ones():
    ed, _ = rename(PY, "count", "n", nth=PY[:PY.index("total + count")].count("count"))
    assert ed.follow() == [("a.py", 0, "n"), ("a.py", 3, "n"), ("a.py", 9, "n")]


def test_a_local_renamed_at_its_assignment():
    text = "def f(xs):\n    acc = 0\n    for x in xs:\n        acc += x\n    return acc\n"
    ed, _ = rename(text, "acc", "total")
    assert ed.follow() == [("a.py", 3, "total"), ("a.py", 4, "total")]


def test_a_field_follows_in_its_class_only():
    text = ('class A:\n    def __init__(self):\n        self.count = 0\n\n'
            '    def inc(self, other):\n        self.count += 1\n        return other.count\n'
            '\n\nclass B:\n    def f(self):\n        return self.count\n')
    ed, doc = rename(text, "count", "total")
    assert ed.follow() == [("a.py", 5, "total"), ("a.py", 6, "total")]
    assert doc.text.endswith("return self.count\n")


def test_a_top_level_function_follows_into_the_open_documents_that_import_it():
    ed = Editor()
    lib = ed.open("file:///w/lib.py", "def count(xs):\n    return len(xs)\n\n\nprint(count([]))\n")
    ed.open("file:///w/user.py", "from lib import count\n\ncount([1])\n")
    ed.open("file:///w/own.py", "def count():\n    return 0\n\ncount()\n")
    ed.open("file:///w/unrelated.py", "count = 3\nprint(count)\n")
    ed.type_over(lib, 4, 9, "size")
    assert ed.follow() == [("lib.py", 4, "size"), ("user.py", 0, "size"),
                           ("user.py", 2, "size")]


@pytest.mark.parametrize("text, old, new, nth", [
    ("x = 1\ny = 2\nprint(x)\nprint(x)\n", "x", "y", 2),  # a use changed to a known name
    ("def f(a, b):\n    return a + a\n", "a", "b", 2),  # ... a parameter's
    ("print(len([]))\nprint(len([]))\n", "len", "max", 0),  # a builtin: not ours
    # A module's member changed to one the file already uses.
    ("import os\nos.getpid()\nos.getcwd()\nos.getcwd()\n", "getcwd", "getpid", 0),
])
def test_quiet_when_the_edit_refers_to_another_thing(text, old, new, nth):
    ed, _ = rename(text, old, new, nth=nth)
    assert ed.follow() == []


def test_a_module_member_renamed_reaches_the_same_member_in_the_file():
    text = ("import pytest\n\n\n@pytest.mark.asyncio\nasync def test_a():\n    pass\n\n\n"
            "@pytest.mark.asyncio\nasync def test_b():\n    asyncio = 1\n")
    ed, doc = rename(text, "asyncio", "anyio")
    assert ed.follow() == [("a.py", 8, "anyio")]  # not the local variable of that name


def test_a_use_renamed_first_reaches_its_binding():
    ed, _ = rename("def f(a):\n    return a\n", "a", "b", nth=1)
    assert ed.follow() == [("a.py", 0, "b")]


def test_quiet_for_new_code_strings_and_comments():
    text = 'def f(count):\n    s = "count"  # count\n    return count\n'
    for a, b, new in [(text.index('"count"') + 1, text.index('"count"') + 6, "total"),
                      (text.index("# count") + 2, text.index("# count") + 7, "total")]:
        ed = Editor()
        doc = ed.open("file:///w/a.py", text)
        ed.type_over(doc, a, b, new)
        assert ed.service.syntax_proposal() is None
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    end = text.index("    return")
    ed.type_at(doc, end, "    count2 = count + 1\n")
    assert ed.service.syntax_proposal() is None


@pytest.mark.parametrize("language, text", [
    ("javascript", "function area(count, w) {\n  const s = 'count'; // count\n"
                   "  let t = count * w;\n  { let count = 2; use(count); }\n"
                   "  return t + count;\n}\n"),
    ("typescript", "function area(count: number, w: number): number {\n  // count\n"
                   "  const t = count * w;\n  { const count = 1; }\n  return t + count;\n}\n"),
    ("go", "package m\nfunc area(count int, w int) int {\n  t := count * w\n"
           "  { count := 2; _ = count }\n  return t + count\n}\n"),
    ("rust", "fn area(count: i32, w: i32) -> i32 {\n    let t = count * w;\n"
             "    { let count = 2; }\n    t + count\n}\n"),
    ("java", "class A {\n  int area(int count, int w) {\n    int t = count * w;\n"
             "    String s = \"count\";\n    return t + count;\n  }\n}\n"),
    ("c", "int area(int count, int w) {\n  int t = count * w;\n  /* count */\n"
          "  return t + count;\n}\n"),
])
def test_a_parameter_renamed_in_each_language(language, text):
    ed, doc = rename(text, "count", "n", language=language, uri="file:///w/a.x")
    lines = [line for _, line, _ in ed.follow()]
    expected = [i for i, line in enumerate(text.splitlines())
                if ("count * w" in line or "+ count" in line)]
    assert lines == expected, doc.text


def test_a_javascript_field_follows_through_this_but_not_object_keys():
    text = ("class A {\n  count = 0;\n  inc() {\n    this.count += 1;\n"
            "    return {count: this.count};\n  }\n}\n")
    ed, doc = rename(text, "count", "total", language="javascript", uri="file:///w/a.js")
    assert ed.follow() == [("a.js", 3, "total"), ("a.js", 4, "total")]
    assert "{count: this.total}" in doc.text


# -- signatures ------------------------------------------------------------------------------
def test_the_parameter_lists_compared():
    change = syntax._change
    a, b, c = Param("a"), Param("b"), Param("c")
    assert change((a, b), (a, c, b)) == ("added", 1, 1)
    assert change((a, b), (a, b, Param("c", default=True))) == ("added", 2, 1)
    assert change((a, b, c), (a, c)) == ("removed", 1, 1)
    assert change((a, b, c), (a,)) == ("removed", 1, 2)
    assert change((a, b, c), (b,)) is None  # not next to each other
    assert change((a, b), (b, a)) is None
    assert change((a,), (a, Param("(x, y)"))) is None  # a pattern: no name to pass


SIG = '''def scale(x, y):
    return x * y


print(scale(1, 2), scale(3, y=4))
scale(5, 6, 7)
scale(8, 9)
'''


def test_a_parameter_added_is_passed_at_each_call_site_not_yet_updated():
    ed = Editor()
    doc = ed.open("file:///w/a.py", SIG)
    ed.open("file:///w/b.py", "from a import scale\n\nscale(1, 2)\n")
    ed.type_at(doc, SIG.index("y)") + 1, ", factor")
    assert ed.follow() == [("a.py", 4, ", factor"), ("a.py", 6, ", factor"),
                           ("b.py", 2, ", factor")]
    assert "scale(3, y=4)" in doc.text  # a keyword argument before it: unsure, left alone
    assert "scale(5, 6, 7)" in doc.text  # already three arguments


def test_a_parameter_removed_removes_its_argument():
    ed = Editor()
    doc = ed.open("file:///w/a.py", SIG)
    ed.replace(doc, SIG.index("x, y"), SIG.index("x, y") + 3, "")
    assert [line for _, line, _ in ed.follow()] == [4, 5, 6]
    assert "print(scale(2), scale(3, y=4))\nscale(6, 7)\nscale(9)\n" in doc.text


def test_a_keyword_only_parameter_is_passed_by_keyword_and_a_method_without_self():
    text = ("class K:\n    def add(self, a, *, b):\n        return a\n\n"
            "    def m(self):\n        return self.add(1, b=2)\n")
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    ed.type_at(doc, text.index("*, b") + 4, ", c")
    assert ed.follow() == [("a.py", 5, ", c=c")]
    ed.type_at(doc, doc.text.index("a, *"), "z, ")
    assert ed.follow() == [("a.py", 5, "z, ")]
    assert doc.text.endswith("return self.add(z, 1, b=2, c=c)\n")


@pytest.mark.parametrize("language, text, old, new, result", [
    ("javascript", "function add(a, b) { return a + b; }\nadd(1, 2);\n", "a, b", "a",
     "add(1);"),
    ("go", "package m\nfunc add(a, b int) int { return a + b }\nfunc main() { add(1, 2) }\n",
     "a, b int", "a int", "add(1)"),
    ("rust", "fn add(a: i32) -> i32 { a }\nfn main() { add(1); }\n", "a: i32", "a: i32, b: i32",
     "add(1, b)"),
    ("java", "class J {\n  int add(int a) { return a; }\n  void m() { this.add(1); }\n}\n",
     "int a)", "int a, int b)", "this.add(1, b)"),
    ("c", "int add(int a, int b) { return a; }\nint main() { return add(1, 2); }\n",
     "int a, int b", "int a", "add(1)"),
])
def test_signature_changes_in_other_languages(language, text, old, new, result):
    ed = Editor()
    doc = ed.open("file:///w/a.x", text, language)
    a = text.index(old)
    ed.replace(doc, a, a + len(old), new)
    ed.follow()
    assert result in doc.text


# -- the guards --------------------------------------------------------------------------------
def test_a_proposal_made_is_recognised_and_a_reversal_or_a_no_op_is_refused():
    before = "a = count\nb = count\n"
    p = Proposal("u", 2, 14, 19, "total", "", "syntax", "rename")
    after = before[:14] + "total" + before[19:]
    assert accepted(p, Edit("u", 3, 14, "count", "total"), after)
    assert not accepted(p, Edit("u", 3, 4, "count", "total"), "a = total\nb = count\n")
    text = "a = total\nb = count\n"
    last = Edit("u", 2, 4, "count", "total")
    assert reverts(Proposal("u", 2, 4, 9, "count", "", "model", "model"), last, text)
    assert reverts(Proposal("u", 2, 5, 6, "x", "", "model", "model"), last, text)
    assert not reverts(Proposal("u", 2, 14, 19, "total", "", "syntax", "rename"), last, text)
    ed = Editor()
    doc = ed.open("u", text)
    ed.replace(doc, 4, 9, "total")  # (no change: no edit)
    assert not ed.service.sane(Proposal("u", doc.version, 14, 19, "count", "", "m", "m"))
    assert ed.service.sane(Proposal("u", doc.version, 14, 19, "total", "", "m", "m"))
    assert not ed.service.sane(Proposal("u", doc.version + 1, 14, 19, "x", "", "m", "m"))


def test_a_step_made_by_hand_elsewhere_than_proposed_continues_the_chain():
    text = "def count():\n    return 1\n\n\na = count()\nb = count()\nc = count()\n"
    ed, doc = rename(text, "count", "size")
    assert ed.service.syntax_proposal().start == doc.text.index("count()")
    last = doc.text.rindex("count")
    ed.type_over(doc, last, last + 5, "size")  # the user goes to the last use first
    assert ed.follow() == [("a.py", 4, "size"), ("a.py", 5, "size")]


def test_a_call_updated_by_hand_continues_the_signature_chain():
    ed = Editor()
    doc = ed.open("file:///w/a.py", SIG)
    ed.type_at(doc, SIG.index("y)") + 1, ", z")
    first = ed.service.syntax_proposal()
    assert doc.line_col(first.start)[0] == 4
    at = doc.text.index("scale(8, 9)") + 10
    ed.type_at(doc, at, ", 0")  # the user updates the last call by hand
    assert ed.follow() == [("a.py", 4, ", z")]


def test_a_class_attribute_follows_as_a_member_not_as_a_name_in_the_methods():
    text = ("count = 0\n\n\nclass A:\n    count = 1\n\n    def f(self):\n"
            "        return self.count + count\n")
    ed, doc = rename(text, "count", "total", nth=1)
    assert ed.follow() == [("a.py", 7, "total")]
    assert doc.text.endswith("return self.total + count\n")


def test_a_parameter_renamed_reaches_the_keyword_arguments_of_its_calls():
    text = ("def area(count, width=1):\n    return count * width\n\n\n"
            "print(area(count=2), area(3, width=count))\nother(count=4)\n")
    ed, doc = rename(text, "count", "n")
    assert ed.follow() == [("a.py", 1, "n"), ("a.py", 4, "n")]
    assert doc.text.endswith("print(area(n=2), area(3, width=count))\nother(count=4)\n")


def test_one_change_renaming_a_name_several_times_on_a_line_is_a_rename():
    text = ("def f(count):\n    total = count + count\n    return total * count\n")
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    line = text.index("count + count")
    ed.replace(doc, line, line + len("count + count"), "n + n")
    assert ed.follow() == [("a.py", 2, "n"), ("a.py", 0, "n")]
    assert syntax.renamed_tokens(Edit("u", 2, 4, "count + 1", "n + 2"), "x = n + 2",
                                 "x = count + 1", syntax.rules_for("python")) == []
    assert syntax.renamed_tokens(Edit("u", 2, 4, "a + b", "c + d"), "x = c + d",
                                 "x = a + b", syntax.rules_for("python")) == [
        (4, 4, "a", "c"), (8, 8, "b", "d")]


def test_a_hunk_changing_the_signature_and_the_body_is_a_signature_change():
    ed = Editor()
    doc = ed.open("file:///w/a.py", SIG)
    a, b = SIG.index("y):"), SIG.index("x * y") + 5
    ed.replace(doc, a, b, "y, z):\n    return x * y * z")
    assert [line for _, line, _ in ed.follow()] == [4, 6]


def test_a_module_member_already_used_under_the_new_name_is_two_things():
    text = "import os\nos.getpid()\nos.getcwd()\nos.getcwd()\n"
    ed, _ = rename(text, "getcwd", "getpid")
    assert ed.follow() == []


def test_an_import_alias_just_written_takes_over_the_module_name():
    text = "import typing as t\n\nx: typing.Any = 1\ny: typing.List = []\n"
    ed, _ = rename(text, "typing", "t", nth=1)
    assert ed.follow() == [("a.py", 3, "t")]


def test_a_chain_waits_behind_an_unrelated_edit_and_comes_back():
    text = ("def f(count):\n    a = count + 1\n    b = 2\n    c = count * 2\n"
            "    return count + a + b + c\n")
    ed, doc = rename(text, "count", "n")
    assert ed.service.syntax_proposal().start == doc.text.index("count + 1")
    at = doc.text.index("b = 2") + 4
    ed.replace(doc, at, at + 1, "3")  # something else, meaning nothing
    assert ed.follow() == [("a.py", 1, "n"), ("a.py", 3, "n"), ("a.py", 4, "n")]


def test_a_chain_is_dropped_after_edits_that_mean_other_things():
    text = "def f(count):\n    b = 2\n    return count + b\n"
    ed, doc = rename(text, "count", "n")
    for digit in "3456":  # four edits apart from each other in time and place
        at = doc.text.index("b = ") + 4
        ed.replace(doc, at, at + 1, digit)
        ed.replace(doc, 0, 0, "#\n")
    assert ed.service.syntax_proposal() is None


def test_a_new_variable_taking_over_gets_the_uses_after_it_only():
    text = ("def f(ty):\n    print(ty)\n    if ty is None:\n        return ty\n"
            "    return str(ty)\n")
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    at = text.index("    if ty")
    ed.replace(doc, at, at, "    guessed = guess(ty)\n")  # the user writes a new variable
    at = doc.text.index("if ty") + 3
    ed.type_over(doc, at, at + 2, "guessed")
    assert ed.follow() == [("a.py", 4, "guessed"), ("a.py", 5, "guessed")]
    assert "print(ty)\n    guessed = guess(ty)" in doc.text


def test_a_parameter_removed_before_kwargs_leaves_the_calls():
    text = "def f(a, b, **kw):\n    return a\n\n\nf(1, b=2)\nf(1, 2)\n"
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    ed.replace(doc, text.index(", b"), text.index(", b") + 3, "")
    assert ed.follow() == []


def test_calls_of_a_nested_function_are_looked_for_in_its_function_only():
    text = ("def t1():\n    def make(a):\n        return a\n    make(1)\n\n\n"
            "def t2():\n    def make(a):\n        return a\n    make(2)\n")
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    at = text.index("make(a)") + 6
    ed.type_at(doc, at, ", b")
    assert ed.follow() == [("a.py", 3, ", b")]
    assert doc.text.endswith("make(2)\n")


def test_parameters_removed_together_remove_their_arguments_together():
    text = ("def get(url, verify=None, cert=None, timeout=5):\n    return url\n\n\n"
            "get('a', verify=True, cert='c', timeout=1)\nget('b', True, 'c')\nget('c')\n")
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    a = text.index(", verify")
    ed.replace(doc, a, text.index(", timeout"), "")
    assert [line for _, line, _ in ed.follow()] == [4, 5]
    assert doc.text.endswith("get('a', timeout=1)\nget('b')\nget('c')\n")


def test_a_parameter_renamed_in_a_larger_edit_is_followed_by_its_uses():
    text = "def f(name: str) -> str:\n    print(name)\n    return name.upper()\n"
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    a, b = text.index("name: str"), text.index(") ->")
    ed.replace(doc, a, b, "header: Header, width: int = 80")  # more than a rename
    assert ed.service.syntax_proposal() is None  # (a signature change: no calls here)
    at = doc.text.index("print(name)") + 6
    ed.type_over(doc, at, at + 4, "header")
    assert ed.follow() == [("a.py", 2, "header")]


def test_lines_written_in_between_end_a_waiting_rename_but_not_a_signature():
    text = "def f(count):\n    return count + 1\n\n\nf(1)\nf(2)\n"
    ed, doc = rename(text, "count", "n")
    at = doc.text.index("f(1)")
    ed.replace(doc, at, at, "x = 1\ny = 2\n")  # new lines of code
    assert ed.service.syntax_proposal() is None
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    ed.type_at(doc, text.index("count)"), "base, ")
    at = doc.text.index("f(1)")
    ed.replace(doc, at, at, "x = 1\ny = 2\n")
    assert ed.follow() == [("a.py", 6, "base, "), ("a.py", 7, "base, ")]


def test_an_edit_no_request_followed_is_read_at_the_next_request():
    text = "def f(count):\n    b = 1\n    return count + b\n"
    ed = Editor()
    doc = ed.open("file:///w/a.py", text)
    ed.type_over(doc, 6, 11, "n")  # renamed, no request yet
    at = doc.text.index("b = 1") + 4
    ed.replace(doc, at, at + 1, "2")  # then something else
    assert ed.follow() == [("a.py", 2, "n")]


def test_a_signature_changed_with_its_doc_comment_is_a_signature_change():
    text = ("package m\n\n// Gen writes a, b and c.\n"
            "func Gen(a int, b int, c int) int { return a }\n"
            "\nfunc main() { Gen(1, 2, 3); Gen(4, 5, 6) }\n")
    ed = Editor()
    doc = ed.open("file:///w/a.go", text, "go")
    a, b = text.index(", b and c"), text.index(", b int") + 7
    ed.replace(doc, a, b, " and c.\nfunc Gen(a int")  # one change from the comment into the list
    assert ed.follow() == [("a.go", 5, ""), ("a.go", 5, "")]
    assert doc.text.endswith("Gen(1, 3); Gen(4, 6) }\n")


@pytest.mark.parametrize("how", ["typed over", "one change", "letters deleted"])
def test_a_new_name_that_is_a_prefix_of_the_old_is_a_rename(how):
    # `predicate` -> `pred`: the change the diff sees is `icate` deleted.
    ed = Editor()
    src = ("def keep(items, predicate):\n    out = [x for x in items if predicate(x)]\n"
           "    return out, predicate\n")
    doc = ed.open("file:///w/keep.py", src)
    a = src.index("predicate")
    if how == "typed over":
        ed.type_over(doc, a, a + len("predicate"), "pred")
    elif how == "one change":
        ed.replace(doc, a, a + len("predicate"), "pred")
    else:
        for end in range(a + len("predicate"), a + len("pred"), -1):
            ed.replace(doc, end - 1, end, "")
    assert ed.follow() == [("keep.py", 1, "pred"), ("keep.py", 2, "pred")]
    assert "predicate" not in doc.text
