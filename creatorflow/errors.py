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
