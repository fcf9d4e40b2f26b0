"""``--help`` as an operator reads it: commands in the order of a campaign's life, plain names.

Typer lists commands in the order the modules happened to register them (``serve`` before
``db``), shows required arguments as ``{file}`` and every flag as ``<bool>``. ``LifecycleGroup``
(the class of every creatorflow command group) lists commands in ``ORDER``, puts them under the
panels of ``PANELS``, and tidies each command's parameters the first time it is looked up:
arguments in capitals as the README writes them (``FILE``, ``SLUG``), flags without a type.
"""

from __future__ import annotations

from typing import Any

import typer.core

#: Each group's commands in the order of a campaign's life; others follow by name.
ORDER: dict[str, tuple[str, ...]] = {
    "creatorflow": ("demo", "db", "creators", "campaign", "suppress", "web", "serve", "prefect"),
    "creators": ("import", "discover", "refresh", "list", "export", "forget", "retention"),
    "campaign": (
        *("launch", "respond", "portal-link", "shipping", "track", "deliverable"),
        *("match-story", "story-results", "waive", "conversions", "status", "report"),
        *("evidence", "outbox", "resolve", "resume"),
    ),
}
#: Help panels by group and command (typer's ``rich_help_panel``); unlisted: "Commands".
PANELS: dict[str, dict[str, str]] = {
    "creatorflow": {
        "demo": "Start here",
        "db": "Start here",
        "creators": "Campaigns",
        "campaign": "Campaigns",
        "suppress": "Campaigns",
        "web": "Running",
        "serve": "Running",
        "prefect": "Running",
    },
    "creators": {
        "export": "Personal data",
        "forget": "Personal data",
        "retention": "Personal data",
    },
    "campaign": {
        "outbox": "Mail that did not surely arrive",
        "resolve": "Mail that did not surely arrive",
        "resume": "Mail that did not surely arrive",
    },
}


class _Argument(typer.core.TyperArgument):
    """An argument shown in the usage line as ``FILE`` (required) or ``[REVISION]``."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


def _tidy_parameters(command: Any, ctx: Any) -> None:
    if getattr(command, "_creatorflow_tidy", False):
        return
    command._creatorflow_tidy = True
    help_option = command.get_help_option(ctx)
    for param in [*command.params, *([help_option] if help_option is not None else [])]:
        if isinstance(param, typer.core.TyperArgument):
            if param.metavar is None and param.name:
                param.metavar = param.name.upper()
            if type(param) is typer.core.TyperArgument:
                param.__class__ = _Argument
        elif getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # a flag takes no value: no "<bool>"
    for child in getattr(command, "commands", {}).values():  # a group of another class
        _tidy_parameters(child, ctx)


class LifecycleGroup(typer.core.TyperGroup):
    """A command group listing its commands in ``ORDER``, under ``PANELS``, tidied."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = ORDER.get(self.name or "", ())
        names = list(self.commands)
        return [n for n in order if n in names] + sorted(n for n in names if n not in order)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _tidy_parameters(command, ctx)
            panel = PANELS.get(self.name or "", {}).get(cmd_name)
            if panel is not None and not getattr(command, "rich_help_panel", None):
                setattr(command, "rich_help_panel", panel)  # noqa: B010 (typer's classes only)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _tidy_parameters(self, ctx)
        super().format_help(ctx, formatter)
