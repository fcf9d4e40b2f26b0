"""Rendering outreach templates: subject, text and HTML from operator-edited Jinja2 files.

A template name such as ``outreach/default/initial`` means three files under the templates folder:
``outreach/default/initial.subject.j2``, ``initial.txt.j2`` and ``initial.html.j2``. The shared
compliance footer (``outreach/_footer.txt.j2`` / ``_footer.html.j2``: postal address and opt-out)
is appended to every body by the renderer, so no template set can forget it.

Operators edit these files, so they render through ``creatorflow.templating``: the sandbox with
``StrictUndefined``, autoescape for the HTML part only, and the render limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import css_inline

from creatorflow.templating import TemplateEnvironment, TemplateError

FOOTER = "outreach/_footer"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


#: The three files of one email template, by suffix.
PARTS = (".subject.j2", ".txt.j2", ".html.j2")


class TemplateRenderer:
    """One sandboxed environment per templates folder; compiled templates are cached."""

    def __init__(self, templates_dir: Path) -> None:
        self.templates_dir = Path(templates_dir)
        self._env = TemplateEnvironment(self.templates_dir, keep_trailing_newline=False)
        self._inliner = css_inline.CSSInliner(load_remote_stylesheets=False)

    def _render_file(self, name: str, context: Mapping[str, Any]) -> str:
        return self._env.render_file(name, context)

    def check(self, templates: Iterable[str]) -> None:
        """Every file of ``templates`` (and the footer) exists and compiles, or TemplateError."""
        names = [f"{template}{part}" for template in templates for part in PARTS]
        self._env.check([*names, f"{FOOTER}.txt.j2", f"{FOOTER}.html.j2"])

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
