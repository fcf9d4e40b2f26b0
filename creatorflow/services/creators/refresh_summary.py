"""What a refresh run did, as the CLI prints it and the flow's artifact shows it.

Every account the platform would not show is named with the next step, and every platform whose
work stopped for the run (a throttle or a quota that outlasts a sensible wait) says how many
accounts are left and when access returns; the next run resumes with those accounts.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from creatorflow.domain.model import AccountStatus

#: Exit code of `creators refresh` (and `campaign track`) when a platform's work was deferred.
EXIT_DEFERRED = 3

_NOT_FOUND = frozenset({AccountStatus.NOT_FOUND.value, AccountStatus.NOT_BUSINESS.value})


class AccountIssue(BaseModel):
    """One account the platform would not show: ``tiktok:mia``, its status and the reason."""

    account: str
    status: str
    reason: str

    def line(self) -> str:
        return f"{self.account}: {self.status}: {self.reason}"


class PlatformDeferral(BaseModel):
    """A platform's refresh stopped for this run: ``left`` accounts not reached."""

    platform: str
    reason: str
    returns_at: datetime | None = None
    left: int = 0

    def line(self) -> str:
        when = (
            f"access returns at {self.returns_at.isoformat()}"
            if self.returns_at is not None
            else "access returns with the next run"
        )
        return (
            f"deferred {self.platform}: {self.left} account(s) left, {when} ({self.reason}); "
            "the next run resumes with them"
        )


class RefreshSummary(BaseModel):
    """What a refresh did: counts, every account with a problem, every deferred platform, and
    ``skipped`` platforms that are not configured."""

    refreshed: int = 0
    not_found: int = 0  # no such account (or not a professional one)
    unreadable: int = 0  # not connected, token revoked, scope missing
    tier_changes: int = 0
    api_calls: int = 0
    quota_units: int = 0
    batches: int = 0
    problems: list[AccountIssue] = []
    deferred: list[PlatformDeferral] = []
    skipped: list[str] = []

    @property
    def stopped(self) -> str | None:
        """Why the run stopped early on some platform (the first deferral), if it did."""
        return self.deferred[0].line() if self.deferred else None

    def note_problem(self, account: str, status: str, reason: str) -> None:
        if status in _NOT_FOUND:
            self.not_found += 1
        else:
            self.unreadable += 1
        self.problems.append(AccountIssue(account=account, status=status, reason=reason))

    def defer(self, deferral: PlatformDeferral) -> None:
        """Count ``deferral`` (a platform deferred twice in one run adds up its accounts)."""
        if any(known.platform == deferral.platform for known in self.deferred):
            self.add_left(deferral.platform, deferral.left)
        else:
            self.deferred.append(deferral)

    def add_left(self, platform: str, accounts: int) -> None:
        """``accounts`` more of the deferred ``platform`` wait for the next run."""
        for known in self.deferred:
            if known.platform == platform:
                known.left += accounts

    def add(self, other: RefreshSummary) -> RefreshSummary:
        total = RefreshSummary(
            refreshed=self.refreshed + other.refreshed,
            not_found=self.not_found + other.not_found,
            unreadable=self.unreadable + other.unreadable,
            tier_changes=self.tier_changes + other.tier_changes,
            api_calls=self.api_calls + other.api_calls,
            quota_units=self.quota_units + other.quota_units,
            batches=self.batches + other.batches,
            problems=self.problems + other.problems,
            deferred=[d.model_copy() for d in self.deferred],
            skipped=self.skipped + other.skipped,
        )
        for deferral in other.deferred:
            total.defer(deferral.model_copy())
        return total

    def line(self) -> str:
        text = (
            f"refreshed {self.refreshed} account(s), {self.not_found} not found, "
            f"{self.unreadable} unreadable, {self.tier_changes} tier change(s), "
            f"{self.api_calls} API call(s)"
        )
        for reason in self.skipped:
            text += f"; skipped {reason}"
        return text

    def lines(self) -> list[str]:
        """The summary line, then one line per account with a problem, per deferred platform."""
        return [
            self.line(),
            *(f"  {issue.line()}" for issue in self.problems),
            *(f"  {deferral.line()}" for deferral in self.deferred),
        ]

    def markdown(self) -> str:
        """The ``refresh-creators`` artifact: the same facts, for the Prefect UI."""
        parts = ["## Creator refresh", "", self.line(), ""]
        if self.problems:
            parts += ["### Accounts that need attention", ""]
            parts += [f"- `{i.account}` ({i.status}): {i.reason}" for i in self.problems]
            parts.append("")
        if self.deferred:
            parts += ["### Deferred", ""]
            parts += [f"- {d.line()}" for d in self.deferred]
            parts.append("")
        return "\n".join(parts)
