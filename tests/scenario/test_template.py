import pytest

from alignment_faking.errors import UserError
from alignment_faking.scenario.template import BODY, parse_template, render

TEXT = """intro line
%% section: first
One {{name}}.
%% section: second
Two, with {"json": {braces}} kept.
"""


def test_sections_are_parsed_in_order_with_preamble_as_body():
    template = parse_template(TEXT, "t")
    assert template.names == (BODY, "first", "second")
    assert "%% section" not in template.text


def test_file_without_markers_is_one_body_section():
    template = parse_template("just text {x}", "t")
    assert template.sections == ((BODY, "just text {x}"),)


def test_edit_removes_and_replaces_sections():
    edited = parse_template(TEXT, "t").edited(remove=("first",), replace={"second": "New."})
    assert edited.names == (BODY, "second")
    assert edited.text == "intro line\n\nNew."


def test_edit_of_unknown_section_is_a_user_error():
    with pytest.raises(UserError, match="no section"):
        parse_template(TEXT, "t").edited(remove=("missing",), replace={})


def test_duplicate_section_is_a_user_error():
    with pytest.raises(UserError, match="more than once"):
        parse_template("%% section: a\nx\n%% section: a\ny", "t")


def test_render_keeps_single_braces_and_does_not_reexpand_values():
    text = parse_template(TEXT, "t").text
    rendered = render(text, {"name": "{{name}}"}, "t")
    assert 'Two, with {"json": {braces}} kept.' in rendered
    assert "One {{name}}." in rendered


def test_render_refuses_unknown_placeholders():
    with pytest.raises(UserError, match=r"\{\{who\}\}"):
        render("hello {{who}}", {"name": "x"}, "prompt.txt")
