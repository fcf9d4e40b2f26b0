"""Relational storage: SQLAlchemy 2 tables, engine set-up, migrations, repositories."""
