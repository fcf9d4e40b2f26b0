"""Only ``storage/enrollments.py`` writes an enrollment's stage: a check over the source tree.

A stage written anywhere else would skip the lifecycle table, the compare-and-set and the
``stage_changed`` event that reports as of a past moment read. The check is syntactic (AST and
SQL text), cheap, and shown to catch each way of writing the column.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import creatorflow

PACKAGE = Path(creatorflow.__file__).resolve().parent
THE_WRITER = PACKAGE / "storage" / "enrollments.py"

#: Calls through which a dict of column values reaches the database.
_WRITING_CALLS = {"values", "execute", "insert_ignore", "update", "bulk_insert", "executemany"}
_SQL_WRITE = re.compile(r"\b(update\s+enrollments\s+set|insert\s+into\s+enrollments)\b.*\bstage\b")


def stage_writes(source: str) -> list[int]:
    """Line numbers in ``source`` that write a ``stage`` column or attribute."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_stage(t) for t in targets):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if name == "setattr" and len(node.args) > 1 and _is_stage_key(node.args[1]):
                lines.append(node.lineno)
            if name in {"values", "Enrollment"} and any(k.arg == "stage" for k in node.keywords):
                lines.append(node.lineno)
            if name in _WRITING_CALLS and any(_has_stage_dict(a) for a in node.args):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL_WRITE.search(" ".join(node.value.lower().split()))
        ):
            lines.append(node.lineno)
    return sorted(set(lines))


def _is_stage(target: ast.expr) -> bool:
    if isinstance(target, ast.Tuple | ast.List):
        return any(_is_stage(t) for t in target.elts)
    return isinstance(target, ast.Attribute) and target.attr == "stage"


def _is_stage_key(key: ast.expr | None) -> bool:
    return (isinstance(key, ast.Constant) and key.value == "stage") or (
        isinstance(key, ast.Attribute) and key.attr == "stage"
    )


def _has_stage_dict(node: ast.expr) -> bool:
    return any(
        isinstance(d, ast.Dict) and any(_is_stage_key(k) for k in d.keys) for d in ast.walk(node)
    )


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def test_no_module_but_storage_enrollments_writes_the_stage() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): found
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_WRITER and (found := stage_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_writer_itself_is_seen_writing() -> None:
    assert stage_writes(THE_WRITER.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "source",
    [
        "enrollment.stage = 'posted'",
        "row.stage: str = Stage.POSTED.value",
        "a.x, a.stage = 1, 'posted'",
        "setattr(enrollment, 'stage', 'posted')",
        "session.execute(update(Enrollment).where(x).values(stage='posted'))",
        "session.execute(update(Enrollment).values({Enrollment.stage: 'posted'}))",
        "session.execute(insert_ignore(session, table, {'id': 1, 'stage': 'posted'}))",
        "conn.execute(insert(table), [{'id': 1, 'stage': 'posted'}])",
        "session.add(Enrollment(campaign_id=1, stage='posted'))",
        "session.query(Enrollment).update({'stage': 'posted'})",
        "conn.execute(text('UPDATE enrollments SET stage = :s WHERE id = :i'))",
        "conn.execute(text('''insert into enrollments (id, stage)\n values (1, 2)'''))",
    ],
)
def test_each_way_of_writing_the_stage_is_caught(source: str) -> None:
    assert stage_writes(source) == [1]


@pytest.mark.parametrize(
    "source",
    [
        "select(Enrollment).where(Enrollment.stage == 'accepted')",
        "stage = Stage(enrollment.stage)",
        "CreatorStatus(enrollment_id=1, stage=row[5])",
        "rows = [{'creator': c, 'stage': e.stage} for e in found]",
        "select(en.c.stage).where(en.c.stage.in_(TRACKED))",
        "row.update(handle=c.handle, stage=c.stage)",  # a dict for a template
    ],
)
def test_reading_the_stage_is_not_a_write(source: str) -> None:
    assert stage_writes(source) == []
