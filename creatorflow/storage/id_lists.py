"""``column IN (ids)`` as each database takes a long list best.

SQLAlchemy renders an ``IN`` list as one bound parameter per id at every execution (its
"post-compile" step), each id first made a parameter object: a polling batch's claim names
1,250 ids, each stored answer 50, and that was most of SQLAlchemy's share of a round. Here the
list is one parameter, so the statement compiles once and stays in SQLAlchemy's cache:
PostgreSQL gets an array (``= ANY(%s)``), SQLite a JSON array it reads with ``json_each`` (a
subquery it turns into a temporary index, then probes the key's own index per id).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, any_, bindparam, func, select


def among(column: Any, ids: Collection[int], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of ``ids`` (integer keys), for a statement run on ``dialect``."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))  # type: ignore[no-any-return]
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps([int(i) for i in ids])))
        return column.in_(select(listed.table_valued("value").c.value))  # type: ignore[no-any-return]
    return column.in_(list(ids))  # type: ignore[no-any-return]
