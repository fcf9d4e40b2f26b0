"""The one way creatorflow renders a template: a sandbox, strict variables and limits.

Every template is operator-edited (outreach emails, briefs, reminders, the report's HTML, text
and markdown summary), and a planted or careless one must neither run code nor hold the process.
So each folder of templates gets a ``TemplateEnvironment``: Jinja2's ``SandboxedEnvironment``
(no ``_`` attributes, no ``__globals__``, no unsafe callables), ``StrictUndefined`` (a typo fails
instead of printing blanks), autoescape for ``.html`` files, and limits on what a template may
compute in one render: loop steps (``for`` loops and ``range`` together), the size of a string or
list built with ``*``, exponents, and the length of the output.

Whatever goes wrong inside a template, a syntax error, an undefined variable, a blocked attribute,
a limit, or anything Python raises there (``OverflowError``, ``MemoryError``, ``RecursionError``,
``ZeroDivisionError``...), comes out as one ``TemplateError`` whose message names the file and
line.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from creatorflow.errors import InputError

#: Loop steps one render may take (every ``for`` iteration and every ``range`` item).
MAX_STEPS = 1_000_000
#: Longest string or list a template may build with ``*``.
MAX_SEQUENCE = 1_000_000
#: Largest integer (in bits) a template may compute with ``**``.
MAX_POWER_BITS = 4_096
#: Most characters one template file may render to.
MAX_OUTPUT = 2_000_000
#: A ``%`` format wider than this (``'%0999999999d' % 1``) is refused before it allocates.
MAX_FORMAT_WIDTH = 10_000
_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\d+)?(?:\.(\d+))?")

_steps: ContextVar[list[int] | None] = ContextVar("template_steps", default=None)


class TemplateError(InputError):
    """A template cannot be rendered; the message names the template file and line."""


class TemplateLimitError(SecurityError):
    """A template went over one of the render limits."""


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """``iterable``, each item spending one step of the render's budget."""
    left = _steps.get()
    if left is None:  # rendered outside ``render_file``: no budget to keep
        yield from iterable
        return
    for item in iterable:
        left[0] -= 1
        if left[0] < 0:
            raise TemplateLimitError(f"more than {MAX_STEPS:,} loop steps in one render")
        yield item


class _CountedRange(Sequence[int]):
    """``range`` for templates: at most ``MAX_STEPS`` items, each step of a loop over it
    counted; ``length``, indexing and ``in`` work as on a range."""

    def __init__(self, *args: int) -> None:
        self.values = range(*args)
        if len(self.values) > MAX_STEPS:
            raise TemplateLimitError(f"range of {len(self.values):,} items (at most {MAX_STEPS:,})")

    def __iter__(self) -> Iterator[int]:
        return _counted(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, index: Any) -> Any:
        return self.values[index]

    def __contains__(self, value: object) -> bool:
        return value in self.values


def _range(*args: int) -> _CountedRange:
    """The template's ``range`` (a function: the class itself stays out of reach)."""
    return _CountedRange(*args)


_STEP_FILTER = "_creatorflow_steps"


class TemplateEnvironment(SandboxedEnvironment):
    """The sandbox for one folder of templates, with creatorflow's limits."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(
        self,
        folder: Path,
        *,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        **options: Any,
    ) -> None:
        self.folder = Path(folder)
        super().__init__(
            loader=jinja2.FileSystemLoader(str(self.folder)),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
            ),
            auto_reload=False,
            **options,
        )
        self.globals.pop("lipsum", None)  # random text has no place in an email or a report
        self.globals["range"] = _range
        self.filters[_STEP_FILTER] = _counted
        self.filters.update(filters or {})

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The parsed template with every ``for`` loop counted against the step limit.

        ``_parse`` is the one hook every template source passes through (files, includes,
        strings) in Jinja2 3.x; the nested-loop cases of tests/unit/test_template_sandbox.py
        fail should it ever stop being called.
        """
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _STEP_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        return tree

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        """``*``, ``**`` and ``%`` checked against the limits before Python computes them."""
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeats = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeats and len(sequence) * times > MAX_SEQUENCE:
                    raise TemplateLimitError(
                        f"a repetition of {len(sequence) * times:,} items "
                        f"(at most {MAX_SEQUENCE:,})"
                    )
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and right * abs(left).bit_length() > MAX_POWER_BITS:
                raise TemplateLimitError(f"{left} ** {right} is too large a number")
        elif operator == "%" and isinstance(left, str):
            for match in _FORMAT_WIDTH.finditer(left):
                widths = [int(n) for n in match.groups() if n]
                if any(w > MAX_FORMAT_WIDTH for w in widths):
                    raise TemplateLimitError(f"a format wider than {MAX_FORMAT_WIDTH:,}")
        return super().call_binop(context, operator, left, right)

    def render_file(self, name: str, context: Mapping[str, Any]) -> str:
        """``name`` rendered with ``context`` inside the limits, or one ``TemplateError``."""
        token = _steps.set([MAX_STEPS])
        try:
            parts: list[str] = []
            size = 0
            for chunk in self.get_template(name).generate(context):
                size += len(chunk)
                if size > MAX_OUTPUT:
                    raise TemplateLimitError(f"renders more than {MAX_OUTPUT:,} characters")
                parts.append(chunk)
            return "".join(parts)
        except Exception as exc:  # anything raised inside a template is that template's fault
            raise self.problem(name, exc) from None
        finally:
            _steps.reset(token)

    def check(self, names: Iterable[str]) -> None:
        """Load and compile ``names`` (missing files and syntax errors fail here)."""
        for name in names:
            try:
                self.get_template(name)
            except Exception as exc:
                raise self.problem(name, exc) from None

    def problem(self, name: str, exc: BaseException) -> TemplateError:
        """One line about ``exc`` raised by template ``name``: the file, the line, the reason."""
        path = self.folder / name
        where = _template_location(exc, str(path))
        if isinstance(exc, jinja2.TemplateNotFound):
            missing = exc.name or name
            return TemplateError(f"template {path} not found (missing {missing})")
        if isinstance(exc, jinja2.TemplateSyntaxError):
            return TemplateError(f"template {where}: syntax error: {exc.message}")
        if isinstance(exc, jinja2.UndefinedError):
            return TemplateError(f"template {where}: undefined variable: {exc.message}")
        if isinstance(exc, TemplateLimitError):
            return TemplateError(f"template {where}: over a template limit: {exc}")
        if isinstance(exc, SecurityError):
            return TemplateError(f"template {where}: not allowed in a template: {exc}")
        if isinstance(exc, OverflowError | MemoryError | RecursionError):
            detail = f": {exc}" if str(exc) else ""
            return TemplateError(
                f"template {where}: too big to render ({type(exc).__name__}{detail})"
            )
        return TemplateError(f"template {where}: {type(exc).__name__}: {exc}")


def _template_location(exc: BaseException, fallback: str) -> str:
    """``file:line`` of the template frame that failed (Jinja2 rewrites tracebacks to show it)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{exc.filename or exc.name or fallback}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2"):
            return f"{frame.filename}:{frame.lineno}"
    return fallback
