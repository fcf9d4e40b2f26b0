"""Tasks retry transient faults only; a permanent one fails at once with its message."""

from __future__ import annotations

from prefect.states import Completed, Failed

from creatorflow.mail.errors import PermanentMailError, TemporaryMailError
from creatorflow.platforms.errors import AuthError, TransientPlatformError
from tasks.runtime import mail_trouble as _mail_trouble
from tasks.runtime import retry_transient_only as _transient


def _failed_with(error: BaseException) -> object:
    return Failed(data=error, message=str(error))


def test_platform_tasks_retry_transient_errors_but_not_a_bad_key() -> None:
    assert _transient(None, None, _failed_with(TransientPlatformError("youtube", "HTTP 503")))
    assert not _transient(None, None, _failed_with(AuthError("youtube", "API key rejected")))
    assert not _transient(None, None, _failed_with(ValueError("bug")))


def test_mail_tasks_retry_a_deferral_but_not_a_permanent_refusal() -> None:
    assert _mail_trouble(None, None, _failed_with(TemporaryMailError("451 try later", code=451)))
    assert not _mail_trouble(
        None,
        None,
        _failed_with(PermanentMailError("550 no such user", code=550, address_unknown=True)),
    )


def test_a_completed_state_is_never_retried() -> None:
    assert not _transient(None, None, Completed(data=1))
