"""Every template family renders in the sandbox: no escape to Python, no runaway render.

A planted template in any family (the first email, follow-ups, the brief, reminders, the shared
footer, the report's HTML, text and markdown summary) tries the classic escapes and resource
bombs; each must fail with one ``TemplateError`` naming the file, and run nothing (a marker file
that the escape would create stays absent).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from creatorflow.mail.templates import TemplateRenderer
from creatorflow.services.outreach.preflight import FirstEmail, render_first_emails
from creatorflow.services.reporting import render
from creatorflow.settings import PROJECT_ROOT, Settings
from creatorflow.templating import MAX_OUTPUT, TemplateError
from tests.support.campaigns import make_spec

MARK = "MARK_FILE"  # replaced by a path in the test's folder

ESCAPES = {
    "lipsum globals": "{{ lipsum.__globals__['os'].popen('touch MARK_FILE').read() }}",
    "cycler globals": "{{ cycler.__init__.__globals__.os.popen('touch MARK_FILE').read() }}",
    "joiner globals": "{{ joiner.__init__.__globals__['os'].system('touch MARK_FILE') }}",
    "namespace globals": "{{ namespace.__init__.__globals__['os'].system('touch MARK_FILE') }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "attr filter": "{{ (''|attr('__class__')).__mro__ }}",
    "template context": "{{ self._TemplateReference__context }}",
    "format string": "{{ '{0.__class__.__mro__}'.format('') }}",
    "range self": "{{ range.__self__ }}",
    "undefined config": "{{ config.items() }}",
    "include outside": "{% include '../../../../etc/passwd' %}",
}
BOMBS = {
    "huge range": "{{ range(10**7)|list }}",
    "string repetition": "{{ 'x' * 10**9 }}",
    "list repetition": "{{ [0] * 10**8 }}",
    "power tower": "{{ 2 ** (10 ** 9) }}",
    "float overflow": "{{ 10.0 ** 400 }}",
    "nested loops": "{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}",
    "loop over a string": "{% for c in 'x' * 900000 %}{% for d in 'yy' %}{% endfor %}{% endfor %}",
    "recursion": "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
    "wide format": "{{ '%0999999999d' % 1 }}",
    "huge output": "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
    "division by zero": "{{ 1 / 0 }}",
}

#: (family, the file planted, how that family renders it)
FAMILIES = [
    ("first email subject", "outreach/default/initial.subject.j2"),
    ("first email text", "outreach/default/initial.txt.j2"),
    ("first email html", "outreach/default/initial.html.j2"),
    ("footer", "outreach/_footer.txt.j2"),
    ("follow-up", "outreach/default/follow_up_1.subject.j2"),
    ("brief", "outreach/default/brief.subject.j2"),
    ("reminder before", "outreach/default/reminder_before.subject.j2"),
    ("reminder overdue", "outreach/default/reminder_overdue.subject.j2"),
    ("report html", "report/report.html.j2"),
    ("report text", "report/report.txt.j2"),
    ("summary artifact", "report/summary.md.j2"),
]


def _plant(tmp_path: Path, relative: str, source: str) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", folder)
    (folder / relative).write_text(source.replace(MARK, str(tmp_path / "escaped")), "utf-8")
    return folder


def _render(family: str, relative: str, folder: Path) -> None:
    """Render the planted file the way its family is rendered in production."""
    if relative.startswith("report/"):
        env = render.environment(folder)
        view: dict[str, Any] = {}
        if relative.endswith(".html.j2"):
            render.render_html(env, view, {})
        elif relative.endswith(".txt.j2"):
            render.render_text(env, view)
        else:
            render.render_markdown(env, view)
    elif family.startswith(("first email", "footer")):
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            sender="Glow Team <team@brand.example>",
            postal_address="1 Market St, San Francisco",
            templates_dir=folder,
        )
        email = FirstEmail(
            1, "ana@example.com", "Ana", "ana", "instagram", "micro", 9000, None, None
        )
        render_first_emails(settings=settings, spec=make_spec(), emails=[email])
    else:
        step = relative.removesuffix(".subject.j2")
        TemplateRenderer(folder).render(step, {})


def _failure(tmp_path: Path, family: str, relative: str, payload: str) -> str:
    """The one-line error of rendering ``payload`` planted as ``relative``; it names the file."""
    folder = _plant(tmp_path, relative, payload)
    with pytest.raises(TemplateError) as caught:
        _render(family, relative, folder)
    message = str(caught.value)
    assert "\n" not in message
    assert relative.rsplit("/", 1)[-1] in message
    return message


@pytest.mark.parametrize(("family", "relative"), FAMILIES, ids=[f for f, _ in FAMILIES])
@pytest.mark.parametrize("payload", list(ESCAPES.values()), ids=list(ESCAPES))
def test_an_escape_fails_naming_the_template_and_runs_nothing(
    tmp_path: Path, family: str, relative: str, payload: str
) -> None:
    _failure(tmp_path, family, relative, payload)
    assert not (tmp_path / "escaped").exists()


#: One family per way of rendering (the limits live in the one environment they all share).
RENDER_PATHS = [FAMILIES[i] for i in (0, 4, 8, 9, 10)]


@pytest.mark.parametrize(("family", "relative"), RENDER_PATHS, ids=[f for f, _ in RENDER_PATHS])
@pytest.mark.parametrize("payload", list(BOMBS.values()), ids=list(BOMBS))
def test_a_resource_bomb_is_one_error_line_naming_the_template(
    tmp_path: Path, family: str, relative: str, payload: str
) -> None:
    assert len(_failure(tmp_path, family, relative, payload)) < 1000


def test_the_limits_leave_ordinary_templates_alone(tmp_path: Path) -> None:
    folder = _plant(
        tmp_path,
        "report/report.txt.j2",
        "{% for i in range(1000) %}{{ '%5d' % i }}{% endfor %}{{ 'ab' * 3 }} {{ 2 ** 64 }}",
    )
    text = render.render_text(render.environment(folder), {})
    assert text.startswith("    0    1") and text.endswith("ababab 18446744073709551616")
    assert len(text) < MAX_OUTPUT
