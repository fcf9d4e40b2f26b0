"""User-facing errors: the command line prints their message as one line and exits non-zero.

    CreatorflowError
    ├── InputError          bad file, row, field or argument (names the place)
    ├── ConfigError         settings or config/ files missing or invalid
    ├── NotFoundError       a campaign, creator or record that does not exist
    └── TransitionError     a lifecycle change that is not allowed
Platform and mail errors have their own trees in ``creatorflow.platforms.errors`` and
``creatorflow.mail``; they derive from ``CreatorflowError`` too.
"""


class CreatorflowError(Exception):
    """Base of every error whose message is meant for the operator."""


class InputError(CreatorflowError):
    pass


class ConfigError(CreatorflowError):
    pass


class NotFoundError(CreatorflowError):
    pass


class TransitionError(CreatorflowError):
    pass


#: How much of a value an error message repeats (a 100 kB URL must not become the message).
SHOWN_MAX = 80


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters with an ellipsis."""
    text = repr(value)
    if len(text) <= limit:
        return text
    quote = text[0] if text[0] in "'\"" else ""
    return f"{text[: limit - 4]}...{quote}"
