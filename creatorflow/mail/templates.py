"""Rendering outreach templates: subject, text and HTML from operator-edited Jinja2 files.

A template name such as ``outreach/default/initial`` means three files under the templates folder:
``outreach/default/initial.subject.j2``, ``initial.txt.j2`` and ``initial.html.j2``. The shared
compliance footer (``outreach/_footer.txt.j2`` / ``_footer.html.j2``: postal address and opt-out)
is appended to every body by the renderer, so no template set can forget it.

Operators edit these files, so they render in a sandbox with ``StrictUndefined`` (a missing
variable fails instead of rendering ``Hi !``) and autoescape for the HTML part only.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from creatorflow.mail.errors import TemplateError

FOOTER = "outreach/_footer"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def _template_location(exc: BaseException, fallback: str) -> str:
    """``file:line`` of the template frame that failed (Jinja2 rewrites tracebacks to show it)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name or fallback}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return f"{frame.filename}:{frame.lineno}"
    return fallback


class TemplateRenderer:
    """One sandboxed environment per templates folder; compiled templates are cached."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = Path(templates_dir)
        self._env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
            ),
            keep_trailing_newline=False,
            auto_reload=False,
        )
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

    def _render_file(self, name: str, context: Mapping[str, Any]) -> str:
        path = self.templates_dir / name
        try:
            return self._env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template {path} not found (missing {exc.name})") from None
        except jinja2.UndefinedError as exc:
            where = _template_location(exc, str(path))
            raise TemplateError(f"template {where}: undefined variable: {exc.message}") from None
        except jinja2.TemplateSyntaxError as exc:
            where = _template_location(exc, str(path))
            raise TemplateError(f"template {where}: syntax error: {exc.message}") from None
        except jinja2.TemplateError as exc:  # SecurityError and the rest
            where = _template_location(exc, str(path))
            raise TemplateError(f"template {where}: {type(exc).__name__}: {exc}") from None

    def render(self, template: str, context: Mapping[str, Any]) -> RenderedEmail:
        """Subject, text and HTML (footer appended, CSS inlined) or ``TemplateError``."""
        subject = self._render_file(f"{template}.subject.j2", context).strip()
        if "\n" in subject or "\r" in subject:
            raise TemplateError(
                f"template {self.templates_dir / (template + '.subject.j2')}: "
                "the subject renders to more than one line"
            )
        text = self._render_file(f"{template}.txt.j2", context).rstrip() + "\n\n"
        text += self._render_file(f"{FOOTER}.txt.j2", context).strip() + "\n"
        html = self._render_file(f"{template}.html.j2", context)
        footer_html = self._render_file(f"{FOOTER}.html.j2", context)
        marker = html.lower().rfind("</body>")
        html = html + footer_html if marker < 0 else html[:marker] + footer_html + html[marker:]
        return RenderedEmail(subject=subject, text=text, html=self._inliner.inline(html))
