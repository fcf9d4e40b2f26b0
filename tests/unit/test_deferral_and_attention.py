"""Which errors defer a platform, and how problems and deferrals read in summaries (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from creatorflow.domain.model import AccountStatus, account_problem
from creatorflow.platforms.errors import (
    BudgetSpent,
    HashtagLimitReached,
    QuotaExhausted,
    Throttled,
    TokenRevoked,
    TransientPlatformError,
    deferral,
    next_pacific_midnight,
)
from creatorflow.services.creators.refresh_summary import PlatformDeferral, RefreshSummary
from creatorflow.services.tracking.run_summary import next_steps, tracking_summary_markdown

NOW = datetime(2027, 3, 12, 9, 0, tzinfo=UTC)


def test_a_throttle_defers_until_the_platforms_estimate_and_is_honoured() -> None:
    found = deferral(Throttled("instagram", "throttled", retry_after=600), now=NOW)
    assert found is not None and (found.until, found.honoured) == (
        NOW + timedelta(minutes=10),
        True,
    )
    tiktok = deferral(Throttled("tiktok", "429"), now=NOW)  # no estimate: its one-minute window
    assert tiktok is not None and tiktok.until == NOW + timedelta(minutes=1)


def test_a_daily_quota_defers_to_its_reset_by_the_runs_clock_and_is_only_probed() -> None:
    spent = QuotaExhausted("youtube", "spent", resets=next_pacific_midnight)
    found = deferral(spent, now=NOW)
    assert found is not None and (found.until, found.honoured) == (
        next_pacific_midnight(NOW),
        False,
    )
    budget = deferral(BudgetSpent("youtube", "this run's budget"), now=NOW)
    assert budget is not None and budget.until is None  # the next run has a budget again


def test_other_errors_are_not_deferrals() -> None:
    assert deferral(TransientPlatformError("youtube", "5xx"), now=NOW) is None
    assert deferral(HashtagLimitReached("instagram", "30 per week"), now=NOW) is None
    revoked = TokenRevoked("tiktok", "401", account="mia", what="TikTok token revoked")
    assert deferral(revoked, now=NOW) is None and revoked.status is AccountStatus.TOKEN_REVOKED


def test_the_reason_says_what_when_and_the_next_step() -> None:
    reason = account_problem(AccountStatus.TOKEN_REVOKED, "token revoked", seen=NOW)
    assert reason == "token revoked on 2027-03-12: ask the creator to reconnect"


def test_a_refresh_summary_names_every_problem_and_adds_up_a_platforms_deferrals() -> None:
    first = RefreshSummary(refreshed=3)
    first.note_problem("tiktok:mia", "token_revoked", "token revoked on 2027-03-12: ...")
    first.defer(PlatformDeferral(platform="instagram", reason="throttled", returns_at=NOW, left=5))
    total = first.add(RefreshSummary(refreshed=1))
    total.add_left("instagram", 50)
    assert (total.refreshed, total.unreadable, total.deferred[0].left) == (4, 1, 55)
    lines = total.lines()
    assert lines[0] == (
        "refreshed 4 account(s), 0 not found, 1 unreadable, 0 tier change(s), 0 API call(s)"
    )
    assert lines[1] == "  tiktok:mia: token_revoked: token revoked on 2027-03-12: ..."
    assert lines[2].startswith("  deferred instagram: 55 account(s) left, access returns at 2027")
    assert total.stopped == lines[2].strip()
    assert "### Accounts that need attention" in total.markdown()


def test_the_tracking_summary_lists_accounts_and_deferred_platforms_as_next_steps() -> None:
    attention = {
        "accounts": [
            {
                "campaign": "spring-glow",
                "account": "tiktok:mia",
                "status": "token_revoked",
                "reason": "token revoked on 2027-03-12: ask the creator to reconnect",
            }
        ],
        "deferred": ["instagram: access returns at 2027-03-12T09:10:00+00:00 (throttled)"],
    }
    steps = next_steps({"attention": attention})
    assert steps == [
        "- `tiktok:mia` (spring-glow, token_revoked): token revoked on 2027-03-12: ask the "
        "creator to reconnect.",
        "- Deferred instagram: access returns at 2027-03-12T09:10:00+00:00 (throttled): what "
        "was done is stored; the next run resumes.",
    ]
    assert steps[0] in tracking_summary_markdown({"attention": attention, "campaigns": []})
