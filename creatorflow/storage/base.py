"""The declarative base every table module shares, with the constraint naming convention."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from creatorflow.storage.columns import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
