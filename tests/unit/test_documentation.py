"""The README is the operator's manual: every command and every setting must be in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main

from creatorflow.cli import app
from creatorflow.settings import Settings, env_name

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _command_paths(command: Any, prefix: str = "creatorflow") -> list[str]:
    if hasattr(command, "commands"):
        paths: list[str] = []
        for name, sub in command.commands.items():
            paths.extend(_command_paths(sub, f"{prefix} {name}"))
        return paths
    return [prefix]


def test_every_command_is_documented_in_the_readme() -> None:
    commands = _command_paths(typer.main.get_command(app))
    assert len(commands) >= 15
    missing = [c for c in commands if f"`{c}" not in README]
    assert missing == [], f"commands without a README entry: {missing}"


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [env_name(f) for f in Settings.model_fields if env_name(f) not in README]
    assert missing == [], f"settings without a README entry: {missing}"


def test_development_section_maps_every_stage_module() -> None:
    """The Development table is the map of the code: a new service module must appear in it."""
    root = Path(__file__).resolve().parents[2]
    section = README[README.index("<!-- section: development -->") :]
    missing = []
    for folder in sorted((root / "creatorflow" / "services").iterdir()):
        if not folder.is_dir() or folder.name.startswith("__"):
            continue
        if f"`{folder.name}/`" not in section:
            missing.append(f"services/{folder.name}/")
        for module in sorted(folder.glob("*.py")):
            if module.stem != "__init__" and f"`{module.stem}`" not in section:
                missing.append(f"services/{folder.name}/{module.name}")
    for layer in ("flows", "tasks"):
        for module in sorted((root / layer).glob("*.py")):
            if module.stem != "__init__" and f"`{module.name}`" not in section:
                missing.append(f"{layer}/{module.name}")
    assert missing == [], f"modules missing from the README's Development section: {missing}"
