"""Prefect flows: control flow and fan-out only; the work is in creatorflow.services."""
