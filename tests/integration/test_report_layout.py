"""The report email as a mail client shows it: headless Chromium at 600 px (a phone or a narrow
reading pane) and 1,200 px, images off, and no element may stick out of its card.

One browser for the module (launching costs about a second); the report is built once from the
report world plus creators with long names and large counts, which is what widens tables.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from creatorflow.services.reporting.reports import BuiltReport, build_report, write_report
from creatorflow.settings import Settings
from creatorflow.storage.db import make_engine, session_scope
from tests.integration.test_report_drafts_and_compliance import add_drafts_and_compliance
from tests.support.builders import add_account, add_enrollment, add_post, record_stages
from tests.support.worlds import AS_OF, STAGE_PATHS, T0, add_bulk_creators, at, build_report_world

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = (600, 1200)

#: Creators that make tables wide: long names and handles, millions of views and followers.
BIG = [
    ("alexandra.konstantinopoulou", "Alexandra Konstantinopoulou-Vasquez", "youtube", "mega"),
    ("thebeautyeditorialdaily", "The Beauty Editorial Daily", "instagram", "macro"),
    ("mo.skincare.lab", "Mohammed Al-Rashid", "tiktok", "mid"),
]

OVERFLOW_JS = """
() => {
  const found = [];
  const cards = Array.from(document.querySelectorAll('.card'));
  for (const card of cards) {
    const c = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > c.right + 0.5 || r.left < c.left - 0.5) {
        const text = (el.textContent || '').trim().slice(0, 40);
        found.push(`${el.tagName.toLowerCase()} "${text}" spans ${Math.round(r.left)}-` +
                   `${Math.round(r.right)}, card ${Math.round(c.left)}-${Math.round(c.right)}`);
      }
    }
  }
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) found.push(`page scrolls: ${doc.scrollWidth}px wide`);
  return {cards: cards.length, overflowing: found};
}
"""


def _add_big_creators(engine: Engine, campaign_id: int) -> None:
    with session_scope(engine) as s:
        for n, (handle, name, platform, tier) in enumerate(BIG):
            followers = 12_345_678 // (n + 1)
            person = {"name": name, "email": f"{handle}@creators.example", "lawful_basis": "t"}
            account = add_account(
                s, platform=platform, handle=handle, now=T0, creator=person, tier=tier
            )
            account.followers = followers
            terms: dict[str, Any] = {"stage": "posted", "currency": "USD", "fee": 38_500 + n}
            terms["followers_at_shortlist"] = followers
            enrollment = add_enrollment(s, account, campaign_id=campaign_id, now=T0, **terms)
            record_stages(s, enrollment, STAGE_PATHS["posted"])
            views = 9_876_543 // (n + 1)
            snapshots = [(at(2, 20), (views, views // 20, views // 200, None, None))]
            add_post(
                s,
                enrollment.id,
                platform=platform,
                post_id=f"big{n}",
                posted_at=at(2, 19),
                snapshots=snapshots,
            )
            record_stages(s, enrollment, [("posted", at(2, 19))], before="accepted")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> BuiltReport:
    folder = tmp_path_factory.mktemp("report-layout")
    db = folder / "creatorflow.db"
    shutil.copyfile(sqlite_template, db)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{db}",
        sender="Glow Team <team@brand.example>",
    )
    engine = make_engine(settings.database_url)
    try:
        world = build_report_world(engine)
        add_bulk_creators(engine, campaign_id=world.campaign_id, count=30)
        _add_big_creators(engine, world.campaign_id)
        add_drafts_and_compliance(engine, world)  # the funnel's drafts table, ad disclosure
        report = build_report(
            engine=engine, settings=settings, slug="spring-glow", as_of=AS_OF + timedelta(days=1)
        )
    finally:
        engine.dispose()
    write_report(report, ARTIFACTS / "report-layout")  # to look at when a layout test fails
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def _layout(browser: Any, html: str, width: int) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        # images off, as many mail clients start: charts must not be what holds the layout up
        page.route(
            "**/*",
            lambda route: (
                route.abort() if route.request.resource_type == "image" else route.continue_()
            ),
        )
        page.set_content(html, wait_until="load")
        result: dict[str, Any] = page.evaluate(OVERFLOW_JS)
        result["text"] = page.inner_text("body")
        return result
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_element_overflows_its_card_with_images_off(
    browser: Any, report: BuiltReport, width: int
) -> None:
    layout = _layout(browser, report.html_email, width)
    assert layout["cards"] >= 6  # one card per section: a new section is one include
    assert layout["overflowing"] == []


def test_every_chart_has_a_table_and_the_tier_colours_a_legend(
    browser: Any, report: BuiltReport
) -> None:
    text = _layout(browser, report.html_email, 600)["text"]
    # with images off the figures behind each chart are still there to read
    assert "Engagements per tier, by day" in text
    assert "Top creators by engagements" in text  # the creators table has its own heading
    assert "Tier colours" in text and "mega" in text.split("Tier colours", 1)[1]
    assert "38,500.00" in text  # money with thousands separators
    assert "awaiting review" in text and "removed early" in text  # drafts, ad disclosure


def test_text_and_markdown_parts_stand_on_their_own(report: BuiltReport) -> None:
    for part in (report.text, report.markdown):
        assert "below" not in part  # no table follows the EMV line outside the HTML
        assert "click 3.00" in part  # the EMV prices are listed at the end instead
        assert "2027-02-26" in part  # the engagements chart's figures, by day
    people = report.creators_markdown
    assert people.startswith("40 of 40 creators, most engagements first")
    header = next(line for line in people.splitlines() if line.startswith("| Creator |"))
    assert "_" not in header and "ER by followers" in header and "Cost USD" in header
    first = people.splitlines()[people.splitlines().index(header) + 2]
    assert first.startswith("| Alexandra Konstantinopoulou-Vasquez | @alexandra")
    assert "12,345,678" in first and "38,500.00" in first
    assert "&lt;script&gt;" in people and "<script>" not in people
