"""The bad-input corpus: malformed and hostile input to every command, refused cleanly.

Each case runs the real ``creatorflow`` entry point in-process against a copy of one seeded
database (a launched campaign with contacted and accepted creators) and must: exit non-zero,
print exactly one line on stderr that names the place (file and line, field, column or flag),
print no traceback, and leave every table exactly as it was.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from creatorflow.cli.app import ERROR_LINE_MAX
from creatorflow.settings import PROJECT_ROOT
from creatorflow.storage.db import engine_for
from tests.support.builders import contact, enroll
from tests.support.campaigns import example_data, register_example, store_campaign
from tests.support.cli import dump_tables, run_main

NOW = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
HEADER = "platform,handle,email,name,followers,country,niche\n"
CONVERSIONS = "utm_content,clicks,leads,sales,revenue,date\n"
LONG = "x" * 100_000


@dataclass(frozen=True)
class Case:
    """``args`` and ``env`` may name ``{dir}`` (the case's folder) and ``{file}`` (its first
    file); ``expect`` are the words the error line must contain (the place, the problem)."""

    id: str
    args: tuple[str, ...]
    expect: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    code: int | None = None  # the exit code when it must be a particular one


def campaign_file(**changes: Any) -> str:
    """The example campaign as YAML with ``changes`` (``section__key=value``; None deletes)."""
    data = example_data()
    for name, value in changes.items():
        *sections, key = name.split("__")
        target = data
        for section in sections:
            target = target.setdefault(section, {})
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return yaml.safe_dump(data, sort_keys=False)


def launch(id: str, expect: tuple[str, ...], text: str | bytes, **kw: Any) -> Case:
    return Case(
        id,
        ("campaign", "launch", "{file}", "--dry-run"),
        ("{file}", *expect),
        files={"c.yaml": text},
        **kw,
    )


def creators(id: str, expect: tuple[str, ...], body: str | bytes, **kw: Any) -> Case:
    content = body if isinstance(body, bytes) else HEADER + body
    return Case(
        id, ("creators", "import", "{file}"), ("{file}", *expect), files={"c.csv": content}, **kw
    )


def conversions(id: str, expect: tuple[str, ...], body: str | bytes, **kw: Any) -> Case:
    content = body if isinstance(body, bytes) else CONVERSIONS + body
    return Case(
        id,
        ("campaign", "conversions", "spring-glow", "{file}"),
        ("{file}", *expect),
        files={"v.csv": content},
        **kw,
    )


def deliverable(id: str, url: str, expect: tuple[str, ...], *extra: str) -> Case:
    return Case(id, ("campaign", "deliverable", "spring-glow", url, *extra), expect)


def report_template(id: str, name: str, source: str, expect: tuple[str, ...]) -> Case:
    """``campaign report`` with a planted ``templates/report/<name>``."""
    return Case(
        id,
        ("campaign", "report", "spring-glow", "--out", "{dir}/out"),
        (name, *expect),
        files={f"templates/report/{name}": source},
        env={"CREATORFLOW_TEMPLATES_DIR": "{dir}/templates"},
    )


def template_set(
    id: str, files: dict[str, str], expect: tuple[str, ...], others: dict[str, str] | None = None
) -> Case:
    """A launch whose campaign uses template set ``mine`` made of ``files``; ``others`` are
    more files under the templates folder (an empty text deletes the file)."""
    planted = {f"templates/outreach/mine/{name}": text for name, text in files.items()}
    planted |= {f"templates/{name}": text for name, text in (others or {}).items()}
    return Case(
        id,
        ("campaign", "launch", "{file}", "--dry-run"),
        ("{file}", "outreach.template_set", *expect),
        files={"c.yaml": campaign_file(outreach__template_set="mine"), **planted},
        env={"CREATORFLOW_TEMPLATES_DIR": "{dir}/templates"},
    )


def _complete_set(**broken: str) -> dict[str, str]:
    steps = ("initial", "follow_up_1", "follow_up_2", "reminder_before", "reminder_overdue")
    files = {f"{s}.{p}.j2": "Hi {{ creator.name }}" for s in steps for p in ("subject", "txt")}
    files |= {f"{s}.html.j2": "<p>Hi {{ creator.name }}</p>" for s in steps}
    return files | broken


CASES = [
    # -- campaign YAML ------------------------------------------------------------------------
    Case(
        "yaml-missing-file",
        ("campaign", "launch", "{dir}/absent.yaml", "--dry-run"),
        ("absent.yaml", "no such campaign file"),
    ),
    launch("yaml-syntax", ("not valid YAML", "line 2"), "slug: x\n  name: [unclosed\n"),
    launch("yaml-not-mapping", ("expected a mapping",), "- just\n- a list\n"),
    launch("yaml-empty", ("expected a mapping",), ""),
    launch("yaml-python-tag", ("not valid YAML",), "!!python/object/apply:os.system ['true']\n"),
    launch("yaml-nul-byte", ("not valid YAML",), "slug: spring\x00glow\n"),
    launch("yaml-not-utf8", ("not UTF-8",), b"slug: caf\xe9\n"),
    launch("yaml-unknown-field", ("budgett", "Extra inputs"), campaign_file(budgett=5)),
    launch("yaml-bad-slug", ("slug",), campaign_file(slug="Spring Glow!")),
    launch("yaml-name-newline", ("name", "one line"), campaign_file(name="Glow\nBcc: x@y.example")),
    launch("yaml-name-too-long", ("name", "200"), campaign_file(name="n" * 300)),
    launch("yaml-budget-negative", ("budget",), campaign_file(budget=-1)),
    launch("yaml-budget-huge", ("budget", "less than or equal"), campaign_file(budget="1e30")),
    launch("yaml-budget-nan", ("budget", "finite"), "budget: .nan\n" + campaign_file(budget=None)),
    launch("yaml-budget-inf", ("budget", "finite"), "budget: .inf\n" + campaign_file(budget=None)),
    launch("yaml-offer-over-budget", ("budget", "over the budget"), campaign_file(budget=10)),
    launch(
        "yaml-offer-huge",
        ("offer.micro",),
        campaign_file(offer={"nano": 1, "micro": 1e13, "mid": 1}),
    ),
    launch("yaml-currency", ("currency",), campaign_file(currency="usd")),
    launch(
        "yaml-window-order",
        ("window", "end must not be before start"),
        campaign_file(window={"start": "2027-05-01", "end": "2027-04-01"}),
    ),
    launch(
        "yaml-window-date",
        ("window.start",),
        campaign_file(window={"start": "2027-02-30", "end": "2027-04-01"}),
    ),
    launch(
        "yaml-window-year-1",
        ("window.start", "2000-01-01"),
        campaign_file(window={"start": "0001-01-01", "end": "2027-04-01"}),
    ),
    launch(
        "yaml-window-year-9999",
        ("window.end", "2100-01-01"),
        campaign_file(window={"start": "2027-01-01", "end": "9999-12-31"}),
    ),
    launch("yaml-tiers-empty", ("selection.tiers",), campaign_file(selection__tiers={})),
    launch(
        "yaml-tier-zero",
        ("selection.tiers.micro",),
        campaign_file(selection__tiers={"micro": 0}, offer={"micro": 1}),
    ),
    launch("yaml-unknown-tier", ("selection.tiers",), campaign_file(selection__tiers={"giga": 1})),
    launch("yaml-unknown-platform", ("platforms",), campaign_file(platforms=["myspace"])),
    launch(
        "yaml-engagement-rate",
        ("selection.min_engagement_rate",),
        campaign_file(selection__min_engagement_rate=5),
    ),
    launch(
        "yaml-engagement-percent",
        ("selection.min_engagement_rate", "more than 100%"),
        campaign_file(selection__min_engagement_rate="350%"),
    ),
    launch(
        "yaml-follow-ups-order",
        ("outreach.follow_up_days", "increase"),
        campaign_file(outreach__follow_up_days=[7, 3]),
    ),
    launch(
        "yaml-follow-up-huge",
        ("outreach.follow_up_days",),
        campaign_file(outreach__follow_up_days=[3, 10**9]),
    ),
    launch(
        "yaml-due-days-huge",
        ("deliverables.days_after_acceptance",),
        campaign_file(deliverables__days_after_acceptance=10**9),
    ),
    launch(
        "yaml-tracking-days-huge",
        ("tracking.days_after_window_end",),
        campaign_file(tracking__days_after_window_end=10**12),
    ),
    launch(
        "yaml-timezone",
        ("outreach.send_window.timezone", "unknown time zone"),
        campaign_file(outreach__send_window={"timezone": "Mars/Olympus"}),
    ),
    launch(
        "yaml-timezone-path",
        ("report.timezone",),
        campaign_file(report__timezone="../../etc/passwd"),
    ),
    launch(
        "yaml-send-window",
        ("outreach.send_window", "end must be after start"),
        campaign_file(outreach__send_window={"start": "17:00", "end": "09:00"}),
    ),
    launch(
        "yaml-cron-ranges",
        ("report.cron", "not a valid cron"),
        campaign_file(report__cron="61 25 * * 8"),
    ),
    launch("yaml-cron-fields", ("report.cron", "five-field"), campaign_file(report__cron="0 8 *")),
    launch("yaml-cron-hashed", ("report.cron",), campaign_file(report__cron="H 8 * * 1")),
    launch(
        "yaml-cron-never", ("report.cron", "never fires"), campaign_file(report__cron="0 8 31 2 *")
    ),
    launch(
        "yaml-recipient",
        ("report.recipients",),
        campaign_file(report__recipients=["boss@x.example\r\nBcc: all@x.example"]),
    ),
    launch(
        "yaml-landing-url",
        ("landing_url", "http"),
        campaign_file(landing_url="javascript:alert(1)"),
    ),
    launch(
        "yaml-template-set-unknown",
        ("outreach.template_set", "no template set 'nope'"),
        campaign_file(outreach__template_set="nope"),
    ),
    launch(
        "yaml-template-set-path",
        ("outreach.template_set", "folder name"),
        campaign_file(outreach__template_set="../../etc"),
    ),
    launch("yaml-daily-cap", ("outreach.daily_cap",), campaign_file(outreach__daily_cap=0)),
    # -- templates: outreach sets checked at load, report templates at render -------------------
    template_set(
        "template-missing-step",
        _complete_set() | {"follow_up_2.txt.j2": ""},
        ("follow_up_2.txt.j2", "not found"),
    ),
    template_set(
        "template-missing-reminder",
        {k: v for k, v in _complete_set().items() if not k.startswith("reminder_overdue")},
        ("reminder_overdue",),
    ),
    template_set(
        "template-syntax",
        _complete_set(**{"initial.txt.j2": "Hi {{ creator.name "}),
        ("initial.txt.j2", "syntax error"),
    ),
    template_set(
        "template-bad-tag",
        _complete_set(**{"initial.html.j2": "{% exec %}"}),
        ("initial.html.j2", "syntax error"),
    ),
    template_set(
        "template-footer-gone",
        _complete_set(),
        ("_footer.txt.j2", "not found"),
        others={"outreach/_footer.txt.j2": ""},
    ),
    report_template(
        "report-escape-cycler",
        "report.txt.j2",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        ("not allowed",),
    ),
    report_template(
        "report-range-bomb", "report.txt.j2", "{{ range(10**7)|list }}", ("template limit",)
    ),
    report_template(
        "report-loop-bomb",
        "report.txt.j2",
        "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}",
        ("template limit",),
    ),
    report_template("report-undefined", "report.txt.j2", "{{ view.nope.deeper }}", ("undefined",)),
    report_template("report-syntax", "report.txt.j2", "{% for x in view %}", ("syntax error",)),
    report_template(
        "report-zero-division",
        "report.txt.j2",
        "\n\n{{ 1 / 0 }}",
        ("report.txt.j2:3", "ZeroDivisionError"),
    ),
    # -- creators CSV (each file holds only bad rows, so nothing may be stored) -----------------
    creators(
        "csv-superscript-followers", (":2:", "followers", "'²'"), "instagram,ana,,,²,,\n", code=2
    ),
    creators("csv-arabic-digits", (":2:", "followers"), "instagram,ana,,,٣٤٥,,\n", code=2),
    creators(
        "csv-followers-64bit",
        (":2:", "followers", "more than"),
        f"instagram,ana,,,{2**64},,\n",
        code=2,
    ),
    creators(
        "csv-followers-scaled-huge",
        (":2:", "followers", "more than"),
        "instagram,ana,,,99999999b,,\n",
        code=2,
    ),
    creators("csv-followers-exponent", (":2:", "followers"), "instagram,ana,,,1e30,,\n", code=2),
    creators(
        "csv-followers-negative", (":2:", "followers", "negative"), "instagram,ana,,,-5,,\n", code=2
    ),
    creators("csv-nul-in-name", (":2:", "name", "NUL"), "instagram,ana,,An\x00a,,,\n", code=2),
    creators("csv-nul-in-handle", (":2:", "handle", "NUL"), "instagram,an\x00a,,,,,\n", code=2),
    creators("csv-nul-in-niche", (":2:", "niche", "NUL"), "instagram,ana,,,,,sk\x00in\n", code=2),
    creators(
        "csv-email-injection",
        (":2:", "email"),
        'instagram,ana,"a@x.example\r\nBcc: b@x.example",,,,\n',
        code=2,
    ),
    creators("csv-email-two-at", (":2:", "email"), "instagram,ana,a@b@c.example,,,,\n", code=2),
    creators(
        "csv-handle-formula",
        (":2:", "handle"),
        'instagram,"=HYPERLINK(""https://evil.example"",""x"")",,,,,\n',
        code=2,
    ),
    creators("csv-handle-space", (":2:", "handle"), "instagram,ana smith,,,,,\n", code=2),
    creators("csv-handle-unicode", (":2:", "handle"), "instagram,аna,,,,,\n", code=2),
    creators(
        "csv-handle-long", (":2:", "handle", "longer than"), f"tiktok,{'a' * 40},,,,,\n", code=2
    ),
    creators("csv-handle-empty", (":2:", "handle"), "instagram,@,,,,,\n", code=2),
    creators(
        "csv-name-long",
        (":2:", "name", "longer than 200"),
        f"instagram,ana,,{'n' * 300},,,\n",
        code=2,
    ),
    creators("csv-country", (":2:", "country"), "instagram,ana,,,,USA,\n", code=2),
    creators("csv-platform", (":2:", "platform", "myspace"), "myspace,tom,,,,,\n", code=2),
    creators("csv-fields", (":2:", "fields"), "instagram,ana,,,,,,,,\n", code=2),
    creators(
        "csv-not-utf8",
        ("not UTF-8", "line 2"),
        (HEADER + "instagram,caf\xe9,,,,,\n").encode("latin-1"),
    ),
    creators("csv-empty", ("empty",), b""),
    creators(
        "csv-missing-column",
        ("missing required column", "handle"),
        b"platform,name\ninstagram,Ana\n",
    ),
    creators("csv-duplicate-column", ("appears twice",), b"platform,handle,handle\nig,a,b\n"),
    creators(
        "csv-huge-field", ("malformed CSV",), HEADER + f'instagram,ana,,"{"n" * 200_000}",,,\n'
    ),
    creators("csv-binary", ("not UTF-8",), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe"),
    Case(
        "csv-rejects-path-is-folder",
        ("creators", "import", "{file}", "--rejects", "{dir}"),
        ("--rejects", "folder"),
        files={"c.csv": HEADER + "instagram,ana2,,,,,\n"},
    ),
    Case(
        "csv-rejects-no-folder",
        ("creators", "import", "{file}", "--rejects", "{dir}/nope/rejects.csv"),
        ("nope", "no folder"),
        files={"c.csv": HEADER + "instagram,ana2,,,,,\n"},
    ),
    Case("csv-missing-file", ("creators", "import", "{dir}/nope.csv"), ("nope.csv", "cannot read")),
    # -- conversions CSV ----------------------------------------------------------------------
    conversions("conv-superscript", (":2:", "clicks", "'²'"), "mia,²,0,0,,\n"),
    conversions("conv-arabic-digits", (":2:", "leads"), "mia,1,٣,0,,\n"),
    conversions("conv-64bit", (":2:", "sales", "more than"), f"mia,1,1,{2**64},,\n"),
    conversions("conv-negative", (":2:", "clicks", "negative"), "mia,-1,0,0,,\n"),
    conversions("conv-fraction", (":2:", "clicks"), "mia,1.5,0,0,,\n"),
    conversions("conv-revenue-huge", (":2:", "revenue", "more than"), f"mia,1,1,1,1{'0' * 15},\n"),
    conversions("conv-revenue-1e30", (":2:", "revenue", "not an amount"), "mia,1,1,1,1e30,\n"),
    conversions("conv-revenue-exponent", (":2:", "revenue", "not an amount"), "mia,1,1,1,1e3,\n"),
    conversions("conv-revenue-nan", (":2:", "revenue"), "mia,1,1,1,NaN,\n"),
    conversions("conv-revenue-infinity", (":2:", "revenue"), "mia,1,1,1,Infinity,\n"),
    conversions("conv-revenue-negative", (":2:", "revenue", "zero or more"), "mia,1,1,1,-5,\n"),
    conversions("conv-date-invalid", (":2:", "date"), "mia,1,0,0,,2027-13-01\n"),
    conversions("conv-date-year-1", (":2:", "date", "2000-01-01"), "mia,1,0,0,,0001-01-01\n"),
    conversions("conv-date-overflow", (":2:", "date"), "mia,1,0,0,,0001-01-01T00:00:00+05:00\n"),
    conversions("conv-date-far", (":2:", "date", "2100"), "mia,1,0,0,,9999-12-31\n"),
    conversions("conv-nul", (":2:", "utm_content", "NUL"), "mi\x00a,1,0,0,,\n"),
    conversions("conv-no-key", (":2:", "neither utm_content nor promo_code"), ",1,0,0,,\n"),
    conversions("conv-fields", (":2:", "expected 6 fields"), "mia,1,0\n"),
    conversions(
        "conv-unknown-column", (":1:", "unknown column", "bogus"), b"utm_content,bogus\nmia,1\n"
    ),
    conversions("conv-no-key-column", (":1:", "utm_content or promo_code"), b"clicks\n1\n"),
    conversions("conv-empty", ("empty file",), b""),
    conversions("conv-not-utf8", ("not UTF-8",), b"utm_content,clicks\ncaf\xe9,1\n"),
    conversions("conv-second-row-bad", (":3:", "clicks"), "mia,1,0,0,,\nmia,x,0,0,,\n"),
    Case(
        "conv-unknown-campaign",
        ("campaign", "conversions", "nope", "{file}"),
        ("no campaign 'nope'",),
        files={"v.csv": CONVERSIONS + "mia,1,0,0,,\n"},
    ),
    # -- deliverable URLs ---------------------------------------------------------------------
    deliverable("url-empty", "", ("post URL is empty",)),
    deliverable("url-javascript", "javascript:alert(1)", ("javascript:alert(1)",)),
    deliverable("url-ftp", "ftp://www.youtube.com/watch?v=abcdefghijk", ("ftp://",)),
    deliverable("url-huge", "https://www.youtube.com/watch?v=" + LONG, ("https://www.youtube",)),
    deliverable("url-nul", "https://www.instagram.com/p/Cabc\x00de/", ("instagram",)),
    deliverable("url-crlf", "https://www.tiktok.com/@mia/video/123\r\nX-Evil: 1", ("tiktok",)),
    deliverable("url-unknown-host", "https://evil.example/p/abc/", ("evil.example",)),
    deliverable("url-homoglyph", "https://www.yоutube.com/watch?v=abcdefghijk", ("unknown host",)),
    deliverable("url-youtube-no-id", "https://www.youtube.com/watch?list=x", ("youtube",)),
    deliverable("url-youtube-short-id", "https://youtu.be/abc", ("youtu.be",)),
    deliverable("url-instagram-profile", "https://www.instagram.com/mia/", ("instagram",)),
    deliverable("url-tiktok-letters", "https://www.tiktok.com/@mia/video/abc", ("tiktok",)),
    deliverable("url-bad-ipv6", "http://[::1/watch?v=abcdefghijk", ("[::1",)),
    deliverable(
        "url-creator-format",
        "https://www.tiktok.com/@mia/video/1234567890123",
        ("--creator",),
        "--creator",
        "nocolon",
    ),
    deliverable(
        "url-creator-platform",
        "https://www.tiktok.com/@mia/video/1234567890123",
        ("--creator",),
        "--creator",
        "myspace:mia",
    ),
    Case(
        "url-unknown-campaign",
        ("campaign", "deliverable", "nope", "https://youtu.be/abcdefghijk"),
        ("no campaign 'nope'",),
    ),
    # -- dates --------------------------------------------------------------------------------
    Case(
        "as-of-year-1",
        ("campaign", "report", "spring-glow", "--as-of", "0001-01-01T00:00:00"),
        ("--as-of", "outside 2000-01-01 .. 2100-01-01"),
    ),
    Case(
        "as-of-year-9999",
        ("campaign", "report", "spring-glow", "--as-of", "9999-12-31T23:59"),
        ("--as-of", "outside"),
    ),
    Case(
        "as-of-overflow",
        ("campaign", "report", "spring-glow", "--as-of", "0001-01-01T00:00:00+05:00"),
        ("--as-of", "out of range"),
    ),
    Case(
        "as-of-words",
        ("campaign", "report", "spring-glow", "--as-of", "yesterday"),
        ("--as-of", "ISO-8601"),
    ),
    Case(
        "as-of-feb-30",
        (
            "campaign",
            "respond",
            "spring-glow",
            "instagram:ana",
            "--declined",
            "--as-of",
            "2027-02-30",
        ),
        ("--as-of", "'2027-02-30'"),
    ),
    Case(
        "as-of-hour-25",
        (
            "campaign",
            "deliverable",
            "spring-glow",
            "https://youtu.be/abcdefghijk",
            "--as-of",
            "2027-03-01T25:00",
        ),
        ("--as-of",),
    ),
    Case(
        "as-of-offset", ("creators", "refresh", "--as-of", "2027-03-01T00:00+25:00"), ("--as-of",)
    ),
    Case("as-of-empty", ("campaign", "track", "spring-glow", "--as-of", ""), ("--as-of",)),
    Case("as-of-huge", ("campaign", "track", "spring-glow", "--as-of", LONG), ("--as-of",)),
    Case(
        "as-of-launch",
        ("campaign", "launch", "{file}", "--dry-run", "--as-of", "1900-01-01"),
        ("--as-of", "outside"),
        files={"c.yaml": campaign_file(slug="other-glow")},
    ),
    # -- flags --------------------------------------------------------------------------------
    Case(
        "fee-1e999",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "1e999"),
        ("--fee", "not an amount"),
    ),
    Case(
        "fee-1e30",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "1e30"),
        ("--fee",),
    ),
    Case(
        "fee-huge",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "9" * 20),
        ("--fee", "more than"),
    ),
    Case(
        "fee-nan",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "NaN"),
        ("--fee",),
    ),
    Case(
        "fee-negative",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "-450"),
        ("--fee", "zero or more"),
    ),
    Case(
        "fee-words",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--fee", "lots"),
        ("--fee", "'lots'"),
    ),
    Case(
        "fee-declined",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--declined", "--fee", "5"),
        ("--fee",),
    ),
    Case(
        "respond-both",
        ("campaign", "respond", "spring-glow", "instagram:ana", "--accepted", "--declined"),
        ("--accepted", "--declined"),
    ),
    Case(
        "respond-no-colon",
        ("campaign", "respond", "spring-glow", "ana", "--declined"),
        ("PLATFORM:HANDLE",),
    ),
    Case(
        "respond-unknown-creator",
        ("campaign", "respond", "spring-glow", "instagram:nobody", "--declined"),
        ("instagram:nobody",),
    ),
    Case(
        "respond-unknown-campaign",
        ("campaign", "respond", "nope", "instagram:ana", "--declined"),
        ("no campaign 'nope'",),
    ),
    Case("status-unknown-campaign", ("campaign", "status", "nope"), ("no campaign 'nope'",)),
    Case("status-format", ("campaign", "status", "spring-glow", "--format", "xml"), ("--format",)),
    Case("report-unknown-campaign", ("campaign", "report", "nope"), ("no campaign 'nope'",)),
    Case(
        "report-out-is-file",
        ("campaign", "report", "spring-glow", "--out", "{file}"),
        ("--out", "cannot write"),
        files={"blocker": "a file"},
    ),
    Case("list-format", ("creators", "list", "--format", "xml"), ("--format",), code=2),
    Case("list-tier", ("creators", "list", "--tier", "giga"), ("--tier", "'giga'")),
    Case(
        "refresh-platform",
        ("creators", "refresh", "--platform", "myspace"),
        ("--platform", "'myspace'"),
    ),
    Case(
        "discover-max-zero",
        ("creators", "discover", "--platform", "youtube", "--query", "x", "--max", "0"),
        ("--max",),
    ),
    Case(
        "discover-max-huge",
        ("creators", "discover", "--platform", "youtube", "--query", "x", "--max", "9" * 30),
        ("--max",),
    ),
    Case(
        "discover-max-words",
        ("creators", "discover", "--platform", "youtube", "--query", "x", "--max", "many"),
        ("--max",),
        code=2,
    ),
    Case(
        "launch-needs-mode",
        ("campaign", "launch", "{file}"),
        ("--approve", "--dry-run"),
        files={"c.yaml": campaign_file(slug="other-glow")},
    ),
    Case(
        "suppress-header-injection",
        ("suppress", "a@x.example\r\nBcc: b@x.example"),
        ("EMAIL", "not one email address"),
    ),
    Case("suppress-two-addresses", ("suppress", "a@x.example,b@y.example"), ("EMAIL",)),
    Case("suppress-no-at", ("suppress", "not-an-address"), ("EMAIL",)),
    Case("suppress-empty", ("suppress", ""), ("EMAIL", "empty")),
    Case("suppress-nul", ("suppress", "a@x.exa\x00mple"), ("EMAIL",)),
    Case("suppress-huge", ("suppress", LONG + "@x.example"), ("EMAIL",)),
    Case("suppress-reason-nul", ("suppress", "a@x.example", "--reason", "spam\x00"), ("--reason",)),
    Case("no-such-command", ("campaign", "explode"), ("No such command",), code=2),
    Case(
        "missing-argument",
        ("campaign", "conversions", "spring-glow"),
        ("Missing argument",),
        code=2,
    ),
    # -- settings -----------------------------------------------------------------------------
    Case(
        "setting-daily-cap",
        ("campaign", "report", "spring-glow"),
        ("CREATORFLOW_DAILY_CAP",),
        env={"CREATORFLOW_DAILY_CAP": "0"},
    ),
    Case(
        "setting-timeout-words",
        ("campaign", "report", "spring-glow"),
        ("CREATORFLOW_HTTP_READ_TIMEOUT",),
        env={"CREATORFLOW_HTTP_READ_TIMEOUT": "soon"},
    ),
    Case(
        "setting-database-url",
        ("creators", "list"),
        ("CREATORFLOW_DATABASE_URL",),
        env={"CREATORFLOW_DATABASE_URL": "not a url"},
    ),
    Case(
        "setting-database-scheme",
        ("creators", "list"),
        ("CREATORFLOW_DATABASE_URL",),
        env={"CREATORFLOW_DATABASE_URL": "nosuchdb://x/y"},
    ),
    Case(
        "setting-secret-placeholder",
        ("campaign", "report", "spring-glow"),
        ("CREATORFLOW_SECRET_KEY", "placeholder"),
        env={"CREATORFLOW_SECRET_KEY": "changeme"},
    ),
    Case(
        "setting-prices-path",
        ("campaign", "report", "spring-glow"),
        ("price table",),
        env={"CREATORFLOW_PRICES_VERSION": "../../etc/passwd"},
    ),
    Case(
        "setting-prices-missing",
        ("campaign", "report", "spring-glow"),
        ("emv-1999-01",),
        env={"CREATORFLOW_PRICES_VERSION": "emv-1999-01"},
    ),
    Case(
        "setting-config-dir",
        ("creators", "import", "{file}"),
        ("{dir}/nowhere",),
        files={"c.csv": HEADER + "instagram,ana2,,,,,\n"},
        env={"CREATORFLOW_CONFIG_DIR": "{dir}/nowhere"},
    ),
    Case(
        "setting-templates-dir",
        ("campaign", "report", "spring-glow"),
        ("report.html.j2",),
        env={"CREATORFLOW_TEMPLATES_DIR": "{dir}/none"},
    ),
    Case(
        "setting-sender-missing",
        ("campaign", "respond", "spring-glow", "instagram:mia", "--accepted"),
        ("CREATORFLOW_SENDER",),
        env={"CREATORFLOW_SENDER": ""},
    ),
    Case(
        "setting-mail-url",
        ("campaign", "report", "spring-glow", "--send"),
        ("CREATORFLOW_MAIL_URL",),
        env={"CREATORFLOW_MAIL_URL": "ftp://mail.example"},
    ),
]


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database for every case: the example campaign launched, ``ana`` contacted on
    Instagram, ``mia`` (Instagram) and ``tia`` (TikTok) accepted."""
    path = tmp_path_factory.mktemp("corpus") / "seeded.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = engine_for(url)
    campaign = register_example(engine, NOW)
    store_campaign(engine, campaign.spec, now=NOW, launched=True)
    contact(engine, campaign, handle="ana", now=NOW)
    enroll(engine, campaign.id, ("instagram", "mia", None), now=NOW)
    enroll(engine, campaign.id, ("tiktok", "tia", "7000000000000000001"), now=NOW)
    engine.dispose()
    return path


def _fill(text: str, folder: Path, first: Path | None) -> str:
    return text.replace("{dir}", str(folder)).replace("{file}", str(first or folder / "missing"))


def test_the_corpus_has_more_than_a_hundred_distinct_cases() -> None:
    assert len(CASES) >= 100
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_naming_the_place_and_changes_nothing(
    case: Case, seeded: Path, tmp_path: Path
) -> None:
    if any(name.startswith("templates/") for name in case.files):
        shutil.copytree(PROJECT_ROOT / "templates", tmp_path / "templates")
    first: Path | None = None
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.startswith("templates/") and not content:
            path.unlink(missing_ok=True)
            continue
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        first = first or path
    database = tmp_path / "case.db"
    shutil.copy(seeded, database)
    url = f"sqlite:///{database}"
    env = {
        "CREATORFLOW_DATABASE_URL": url,
        "CREATORFLOW_MAIL_URL": f"maildir://{tmp_path / 'outbox'}",
        "CREATORFLOW_INBOX_URL": f"maildir://{tmp_path / 'inbox'}",
        "CREATORFLOW_SENDER": "Glow Team <team@brand.example>",
        "CREATORFLOW_POSTAL_ADDRESS": "1 Market St, San Francisco, CA 94105, USA",
        "CREATORFLOW_CONFIG_DIR": None,
        "CREATORFLOW_TEMPLATES_DIR": None,
        "CREATORFLOW_SECRET_KEY": None,
        "CREATORFLOW_UNSUBSCRIBE_BASE_URL": None,
        **{k: _fill(v, tmp_path, first) for k, v in case.env.items()},
    }
    engine = engine_for(url)
    before = dump_tables(engine)
    result = run_main(*(_fill(a, tmp_path, first) for a in case.args), env=env)
    lines = result.err.splitlines()
    assert result.code != 0, result
    if case.code is not None:
        assert result.code == case.code, result
    assert len(lines) == 1, result
    assert "Traceback" not in result.err + result.out
    for word in case.expect:
        assert _fill(word, tmp_path, first) in lines[0], lines[0]
    assert len(lines[0]) <= len("error: ") + ERROR_LINE_MAX
    assert dump_tables(engine) == before
    engine.dispose()
