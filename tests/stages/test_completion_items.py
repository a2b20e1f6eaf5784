"""Classic completion items: the edit starts at the word being typed, and clients keep them."""

from __future__ import annotations

import pytest
from lsprotocol import types

from slm_lsp.completion.items import (
    LABEL_CHARS,
    classic_item,
    completion_list,
    supports_edit_range_default,
    word_start,
)


@pytest.mark.parametrize(("language", "line", "word"), [
    ("python", "    names = sor", "sor"),
    ("python", "    return fo", "fo"),
    ("python", "    x.app", "app"),
    ("python", "    print(len", "len"),
    ("python", "    print(", ""),
    ("python", "    x.", ""),
    ("python", "    ", ""),
    ("python", "", ""),
    ("python", '    path = "data/fi', "fi"),
    ("python", "    # see the docu", "docu"),
    ("python", "    total = count_2", "count_2"),
    ("python", "    größe = läng", "läng"),
    ("python", "    value = $abc", "abc"),  # `$` is not part of a Python identifier
    ("javascript", "  const names = sor", "sor"),
    ("javascript", "  x.app", "app"),
    ("javascript", "  return $fo", "$fo"),
    ("javascript", "  const el = $", "$"),
    ("javascript", "  const s = `hello ${na", "na"),
    ("typescript", "  let v: Reco", "Reco"),
    ("typescriptreact", "  return <Foo bar={ba", "ba"),
    ("java", "    String s = my$va", "my$va"),
    ("go", "\tfmt.Prin", "Prin"),
    ("rust", "    let v = vec![it", "it"),
    ("rust", "    Self::ne", "ne"),
    ("c", "    p->nex", "nex"),
    ("cpp", "    std::vec", "vec"),
    ("plaintext", "some wor", "wor"),
])
def test_word_start_is_where_the_typed_identifier_starts(language: str, line: str, word: str):
    start = word_start(line, len(line), language)
    assert line[start:] == word


def test_word_start_stops_at_the_cursor_inside_a_word():
    line = "    names = sorted_files"
    cursor = line.index("_files")
    assert line[word_start(line, cursor, "python"):cursor] == "sorted"


def test_word_start_is_linear_on_a_long_minified_line():
    line = "a" * 200_000 + "(" + "b" * 5
    assert word_start(line, len(line), "javascript") == 200_001
    assert word_start(line, 200_000, "javascript") == 0


def test_word_start_clamps_a_cursor_past_the_line():
    assert word_start("ab", 10, "python") == 0
    assert word_start("ab", -3, "python") == 0


@pytest.mark.parametrize(("line", "text", "word"), [
    ("    names = sor", "ted(files)", "sor"),
    ("    x.app", "end(value)", "app"),
    ("    return fo", "o(bar)", "fo"),
    ("    print(", "value)", ""),
    ("    ", "return 1", ""),
])
def test_the_item_replaces_the_word_with_the_word_and_the_completion(line, text, word):
    item = classic_item(line, len(line), text, "python")
    assert (item.start, item.end) == (len(line) - len(word), len(line))
    assert item.new_text == word + text
    assert item.label.startswith(word) and item.filter_text.startswith(word)
    # Applying the edit gives the line the inline completion gives.
    assert line[: item.start] + item.new_text + line[item.end:] == line + text


def test_label_is_the_first_line_and_new_text_keeps_every_line():
    line = "    for ite"
    item = classic_item(line, len(line), "m in items:\n        total += item\n", "python")
    assert item.label == "item in items:"
    assert item.new_text == "item in items:\n        total += item\n"


def test_a_completion_that_starts_a_new_line_is_labelled_by_its_first_code_line():
    item = classic_item("    return x", 12, "\n\n    def other(self):\n", "python")
    assert item.label == "x def other(self):"
    assert item.filter_text.startswith("x")
    assert item.new_text == "x\n\n    def other(self):\n"


def test_a_long_first_line_is_shortened_in_the_label_only():
    text = "ted(" + "a" * 200 + ")"
    item = classic_item("    names = sor", 15, text, "python")
    assert len(item.label) == LABEL_CHARS and item.label.endswith("…")
    assert item.label.startswith("sorted(")
    assert item.filter_text == "sor" + text
    assert item.new_text == "sor" + text


def test_a_word_longer_than_the_label_limit_still_begins_the_label():
    word = "w" * (LABEL_CHARS + 10)
    item = classic_item(word, len(word), "_tail", "python")
    assert item.label.startswith(word)


def test_a_blank_completion_after_no_word_still_has_a_label():
    item = classic_item("    ", 4, "\n", "python")
    assert item.label.strip()
    assert item.new_text == "\n"


def test_cursor_in_the_middle_of_a_line_inserts_without_eating_the_rest():
    line = "    call(sor, key)"
    cursor = line.index(", key")
    item = classic_item(line, cursor, "ted(x)", "python")
    assert line[item.start:item.end] == "sor"
    assert line[: item.start] + item.new_text + line[item.end:] == \
        "    call(sorted(x), key)"


def test_the_edit_also_covers_what_the_completion_replaces_after_the_cursor():
    line = "    print(sor)"
    cursor = line.index(")")
    item = classic_item(line, cursor, "ted(x))", "python", end=cursor + 1)
    assert line[item.start:item.end] == "sor)"
    assert line[: item.start] + item.new_text + line[item.end:] == "    print(sorted(x))"
    # An end before the cursor or past the line is clamped.
    assert classic_item(line, cursor, "x", "python", end=0).end == cursor
    assert classic_item(line, cursor, "x", "python", end=99).end == len(line)


def _caps(defaults: list[str] | None) -> types.ClientCapabilities:
    return types.ClientCapabilities(text_document=types.TextDocumentClientCapabilities(
        completion=types.CompletionClientCapabilities(
            completion_list=types.CompletionListCapabilities(item_defaults=defaults))))


def test_edit_range_default_is_used_only_when_the_client_declares_it():
    assert supports_edit_range_default(_caps(["commitCharacters", "editRange"]))
    assert not supports_edit_range_default(_caps(["commitCharacters"]))
    assert not supports_edit_range_default(_caps(None))
    assert not supports_edit_range_default(types.ClientCapabilities())
    assert not supports_edit_range_default(None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_completion_list_gives_each_item_its_text_edit_in_client_units(encoding):
    line = '    s = "é😋" + sor'
    item = classic_item(line, len(line), "ted(x)", "python")
    result = completion_list([item], line=3, line_text=line, encoding=encoding,
                             edit_range_default=False)
    assert result.is_incomplete and result.item_defaults is None
    (out,) = result.items
    units = {"utf-8": len(line.encode()), "utf-16": len(line.encode("utf-16-le")) // 2,
             "utf-32": len(line)}[encoding]
    assert out.text_edit.range == types.Range(types.Position(3, units - 3),
                                              types.Position(3, units))
    assert out.text_edit.new_text == "sorted(x)"
    assert out.label == out.filter_text == "sorted(x)"
    assert out.preselect and out.sort_text < "0"


def test_completion_list_states_a_shared_range_once_in_item_defaults():
    line = "    names = sor"
    items = [classic_item(line, len(line), text, "python") for text in ("ted(a)", "t(a)")]
    result = completion_list(items, line=0, line_text=line, encoding="utf-16",
                             edit_range_default=True)
    assert result.item_defaults.edit_range == types.Range(types.Position(0, 12),
                                                          types.Position(0, 15))
    assert [i.text_edit for i in result.items] == [None, None]
    assert [i.text_edit_text for i in result.items] == ["sorted(a)", "sort(a)"]
    assert [i.sort_text for i in result.items] == sorted(i.sort_text for i in result.items)
    assert [i.preselect for i in result.items] == [True, False]
