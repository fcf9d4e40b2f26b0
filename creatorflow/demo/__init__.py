"""`creatorflow demo`: the whole lifecycle against the sandbox, in one command.

``environment`` makes the fresh directory and the environment (SQLite, Prefect ephemeral mode,
Maildir outbox and inbox); ``cast`` is the simulated creators and their platform accounts;
``mailbox`` writes their replies, out-of-office answers and bounces; ``run`` moves simulated time
forward through ``as_of`` and calls the same flows and services production runs.
"""
