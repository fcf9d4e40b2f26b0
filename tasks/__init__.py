"""Prefect tasks: retries, tags, concurrency and logging around one service call each."""
