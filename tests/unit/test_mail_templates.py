"""Template rendering guards: line breaks in subjects, sandbox escapes, missing files."""

from __future__ import annotations

from pathlib import Path

import pytest

from creatorflow.mail.errors import TemplateError
from creatorflow.mail.templates import TemplateRenderer


def renderer(tmp_path: Path, subject: str, body: str = "Hi {{ name }}") -> TemplateRenderer:
    folder = tmp_path / "outreach" / "t"
    folder.mkdir(parents=True)
    (folder / "m.subject.j2").write_text(subject)
    (folder / "m.txt.j2").write_text(body)
    (folder / "m.html.j2").write_text("<html><body><p>{{ name }}</p></body></html>")
    (tmp_path / "outreach" / "_footer.txt.j2").write_text("-- {{ postal }}")
    (tmp_path / "outreach" / "_footer.html.j2").write_text("<p>{{ postal }}</p>")
    return TemplateRenderer(tmp_path)


def test_footer_is_appended_to_both_bodies_and_html_is_escaped(tmp_path: Path) -> None:
    out = renderer(tmp_path, "Hello {{ name }}\n").render(
        "outreach/t/m", {"name": "<b>Bo</b>", "postal": "1 Main St"}
    )
    assert out.subject == "Hello <b>Bo</b>"
    assert out.text.endswith("-- 1 Main St\n")
    assert "<p>&lt;b&gt;Bo&lt;/b&gt;</p><p>1 Main St</p></body>" in out.html


def test_a_subject_that_renders_two_lines_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="subject renders to more than one line"):
        renderer(tmp_path, "Hi {{ name }}").render(
            "outreach/t/m", {"name": "x\nBcc: victim@example.com", "postal": "p"}
        )


def test_the_sandbox_blocks_reaching_python_internals(tmp_path: Path) -> None:
    sneaky = renderer(tmp_path, "x", body="{{ name.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match=r"m.txt.j2:1"):
        sneaky.render("outreach/t/m", {"name": "x", "postal": "p"})


def test_a_missing_template_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"outreach/t/nope.subject.j2 not found"):
        renderer(tmp_path, "x").render("outreach/t/nope", {"name": "x", "postal": "p"})
