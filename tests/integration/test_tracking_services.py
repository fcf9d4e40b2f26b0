"""Detection, submission and polling against the sandbox API servers over simulated days."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from creatorflow.domain.model import Platform
from creatorflow.sandbox import SandboxServers, World
from creatorflow.services.tracking import detection, polling, submission
from creatorflow.services.tracking.submission import SubmissionRefused
from creatorflow.settings import Settings
from creatorflow.storage.db import engine_for, session_scope
from creatorflow.storage.models import (
    CaptionVersion,
    Deliverable,
    Enrollment,
    Event,
    MetricSnapshot,
)
from tests.support.builders import enroll, record_world_posts
from tests.support.campaigns import add_campaign
from tests.support.trouble import SandboxClients

ACTOR = "test:tracking"


@pytest.fixture
def clients(make_settings: Callable[..., Settings]) -> Iterator[SandboxClients]:
    """Real adapters against the sandbox, one per platform, closed at the end."""
    with SandboxClients(make_settings, http_max_retries=1) as made:
        yield made


@pytest.fixture
def db(settings: Settings) -> Engine:
    return engine_for(settings.database_url)


@pytest.fixture
def campaign(settings: Settings, now: datetime) -> int:
    """spring-glow, launched: the campaign most tests here track."""
    return add_campaign(engine_for(settings.database_url), now=now)


def _detect_all(engine: Engine, clients: SandboxClients, now: datetime) -> list[int]:
    new: list[int] = []
    for batch in detection.plan_detection(engine=engine, campaign_slug="spring-glow"):
        report = detection.detect_deliverables(
            engine=engine, clients=clients, batch=batch, now=now, actor=ACTOR
        )
        new += report.new_deliverables
    return new


def _poll_all(engine: Engine, clients: SandboxClients, at: datetime) -> list[polling.PollReport]:
    """One polling round over every tracked campaign at ``at``."""
    return polling.poll_round(
        engine=engine, clients=clients, campaign_slug=None, now=at, actor=ACTOR
    )


def _count(engine: Engine, model: type) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_posts_with_the_hashtag_become_deliverables_once(
    db: Engine, world: World, clients: SandboxClients, now: datetime, campaign: int
) -> None:
    yt = world.add_account("youtube", "glowwithmia", followers=48_000)
    ig = world.add_account("instagram", "mia.glow", followers=12_000)
    tt = world.add_account("tiktok", "miaglow", followers=9_000)
    ids = {a.platform: enroll(db, campaign, a, now=now) for a in (yt, ig, tt)}
    day = now + timedelta(days=1)
    routine = {"title": "My #SpringGlow routine", "text": "#ad", "views": 100}
    posts = [  # platform, handle, hours after now, what the post shows
        ("youtube", "glowwithmia", 2, routine),
        ("instagram", "mia.glow", 3, {"text": "new serum from lumenskincare", "likes": 5}),
        ("tiktok", "miaglow", 4, {"title": "glow", "text": "#springglow", "views": 50}),
        ("youtube", "glowwithmia", 1, {"title": "unrelated", "text": "#skincare"}),  # no tag
        ("instagram", "mia.glow", -72, {"text": "#springglow before the window"}),
    ]
    tagged = [
        world.add_post(platform, handle, published_at=now + timedelta(hours=hours), **shown)
        for platform, handle, hours, shown in posts
    ][:3]
    world.set_now(day)

    first = _detect_all(db, clients, day)
    second = _detect_all(db, clients, day + timedelta(hours=1))

    assert len(first) == 3 and second == []
    with session_scope(db) as session:
        rows = session.scalars(select(Deliverable)).all()
        assert sorted(r.post_id for r in rows) == sorted(p.post_id for p in tagged)
        assert {r.provenance for r in rows} == {"api"}
        disclosed = {r.platform: r.disclosure_ok for r in rows}
        assert disclosed == {"youtube": True, "instagram": False, "tiktok": False}
        stages = {e.id: e.stage for e in session.scalars(select(Enrollment))}
        assert set(stages.values()) == {"posted"}
        kinds = [e.kind for e in session.scalars(select(Event))]
        assert kinds.count("deliverable_detected") == 3
        assert kinds.count("stage_changed") == 3
    assert set(ids) == {Platform.YOUTUBE, Platform.INSTAGRAM, Platform.TIKTOK}


def _seed_polling(
    engine: Engine, world: World, now: datetime, *, youtube: int = 3, per_channel: int = 1
) -> list[str]:
    campaign = add_campaign(engine, now=now)
    posts: list[str] = []
    for index in range(youtube):
        account = world.add_account("youtube", f"chan{index}", followers=30_000)
        enroll(engine, campaign, account, now=now, stage="posted")
        for number in range(per_channel):
            post = world.add_post(
                "youtube",
                account.handle,
                title=f"#springglow {number}",
                published_at=now,
                views=1000,
                likes=10,
                comments=1,
            )
            posts.append(post.post_id)
    return posts


def test_the_cadence_polls_exactly_the_due_posts(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    clients: SandboxClients,
    now: datetime,
) -> None:
    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now, window={"start": "2027-02-01", "end": "2027-04-30"})
    young = world.add_account("youtube", "young", followers=30_000)
    old = world.add_account("youtube", "old", followers=30_000)
    for account in (young, old):
        enroll(engine, campaign, account, now=now, stage="accepted")
    world.add_post("youtube", "young", title="#springglow", published_at=now, views=10)
    world.add_post(
        "youtube", "old", title="#springglow", published_at=now - timedelta(days=3), views=10
    )
    assert len(_detect_all(engine, clients, now + timedelta(minutes=1))) == 2

    def round_at(moment: datetime) -> int:
        reports = polling.poll_round(
            engine=engine, clients=clients, campaign_slug="spring-glow", now=moment, actor=ACTOR
        )
        return sum(r.snapshots for r in reports)

    start = now + timedelta(minutes=1)
    assert round_at(start) == 2  # first snapshot of both
    assert round_at(start + timedelta(minutes=5)) == 0  # nothing due yet
    assert round_at(start + timedelta(minutes=15)) == 1  # the day-one post's quarter hour
    sandbox.youtube.clear_log()
    assert round_at(start + timedelta(minutes=60)) == 2  # the hourly grid of the older post too
    assert sandbox.youtube.calls("/videos") == 1
    assert _count(engine, MetricSnapshot) == 5


def test_deleted_posts_become_gone_and_keep_their_snapshots(
    settings: Settings, world: World, clients: SandboxClients, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    posts = _seed_polling(engine, world, now)
    assert len(_detect_all(engine, clients, now + timedelta(minutes=5))) == 3
    _poll_all(engine, clients, now + timedelta(minutes=5))
    world.grow_metrics(posts[0], 2.0)
    world.delete_post(posts[1])
    later = now + timedelta(hours=2)
    _poll_all(engine, clients, later)
    with session_scope(engine) as session:
        gone = session.scalars(select(Deliverable).where(Deliverable.status == "gone")).all()
        assert [g.post_id for g in gone] == [posts[1]]
        assert gone[0].gone_at == later
        assert gone[0].last_seen_at == now + timedelta(minutes=5)
        snapshots = session.scalars(
            select(MetricSnapshot).where(MetricSnapshot.deliverable_id == gone[0].id)
        ).all()
        assert len(snapshots) == 1
        grown = session.scalars(
            select(MetricSnapshot.views)
            .join(Deliverable, Deliverable.id == MetricSnapshot.deliverable_id)
            .where(Deliverable.post_id == posts[0])
            .order_by(MetricSnapshot.taken_at)
        ).all()
        assert grown == [1000, 2000]
    # a gone post is not polled again
    assert (
        polling.plan_polling(engine=engine, campaign_slug=None, now=later + timedelta(days=1)) != []
    )
    batches = polling.plan_polling(engine=engine, campaign_slug=None, now=later + timedelta(days=1))
    with session_scope(engine) as session:
        gone_id = session.scalar(select(Deliverable.id).where(Deliverable.status == "gone"))
    assert all(gone_id not in b.deliverable_ids for b in batches)


@pytest.fixture
def detected_120(
    settings: Settings, world: World, clients: SandboxClients, now: datetime
) -> Engine:
    """120 posts on 6 YouTube channels, detected: polling them all is 3 videos.list calls."""
    engine = engine_for(settings.database_url)
    _seed_polling(engine, world, now, youtube=6, per_channel=20)
    assert len(_detect_all(engine, clients, now + timedelta(minutes=30))) == 120
    return engine


def test_quota_exhaustion_keeps_what_was_polled_and_the_next_run_completes(
    detected_120: Engine, sandbox: SandboxServers, clients: SandboxClients, now: datetime
) -> None:
    engine = detected_120
    at = now + timedelta(hours=1)
    batches = polling.plan_polling(engine=engine, campaign_slug=None, now=at)
    assert [b.requests for b in batches] == [3]  # one task, three videos.list calls
    sandbox.youtube.quota_limit = sandbox.youtube.units_used + 1  # one more call, then 403

    first = _poll_all(engine, clients, at)

    assert [(r.quota_exhausted, r.snapshots, r.requests) for r in first] == [(True, 50, 1)]
    assert _count(engine, MetricSnapshot) == 50
    sandbox.youtube.quota_limit = 10_000  # the quota resets
    second = _poll_all(engine, clients, at + timedelta(minutes=10))
    assert sum(r.snapshots for r in second) == 70
    assert _count(engine, MetricSnapshot) == 120


def test_threaded_polling_sends_one_call_into_a_spent_quota_and_resumes_later(
    detected_120: Engine, sandbox: SandboxServers, clients: SandboxClients, now: datetime
) -> None:
    engine = detected_120
    at = now + timedelta(hours=1)
    [batch] = polling.plan_polling(engine=engine, campaign_slug=None, now=at)
    sandbox.youtube.quota_limit = sandbox.youtube.units_used  # already spent
    sandbox.youtube.clear_log()

    def poll() -> polling.PollReport:
        return polling.poll_batch(
            engine=engine, clients=clients, batch=batch, now=at, actor=ACTOR, fetch_threads=3
        )

    spent = poll()
    assert (spent.quota_exhausted, spent.claimed, spent.snapshots) == (True, 0, 0)
    assert len(sandbox.youtube.log) == 1  # the first call goes alone
    sandbox.youtube.quota_limit = 10_000
    resumed = poll()  # the claims were released: the same plan claims them again
    again = poll()  # ... but only once
    assert (resumed.claimed, resumed.requests, resumed.snapshots) == (120, 3, 120)
    assert (again.claimed, again.skipped, again.requests) == (0, 120, 0)
    assert _count(engine, MetricSnapshot) == 120


def test_fetch_threads_wait_for_the_shared_cap_on_calls_in_flight(
    detected_120: Engine, sandbox: SandboxServers, clients: SandboxClients, now: datetime
) -> None:
    """``calls_in_flight`` (``tasks.tracking``: one per process) caps a batch's fetch threads:
    three threads, one slot, so never two videos.list calls at once, and every post polled."""
    engine = detected_120
    at = now + timedelta(hours=1)
    [batch] = polling.plan_polling(engine=engine, campaign_slug=None, now=at)
    sandbox.youtube.fail("slow", delay=0.05, times=None)  # calls long enough to overlap
    client = clients(Platform.YOUTUBE)
    fetch = client.current_metrics
    in_flight, peak, lock = 0, 0, threading.Lock()

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return fetch(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                in_flight -= 1

    client.current_metrics = counted  # type: ignore[method-assign]
    report = polling.poll_batch(
        engine=engine,
        clients=clients,
        batch=batch,
        now=at,
        actor=ACTOR,
        fetch_threads=3,
        calls_in_flight=threading.BoundedSemaphore(1),
    )
    assert (report.requests, report.snapshots, peak) == (3, 120, 1)


def test_a_round_is_split_into_even_batches_for_the_tasks_working_it(
    settings: Settings, world: World, now: datetime
) -> None:
    engine = engine_for(settings.database_url)
    _seed_polling(engine, world, now, youtube=6, per_channel=50)  # 300 posts: 6 calls
    record_world_posts(engine, world, now)
    at = now + timedelta(minutes=1)

    def plan(parallelism: int) -> list[polling.PollBatch]:
        return polling.plan_polling(
            engine=engine, campaign_slug=None, now=at, parallelism=parallelism
        )

    assert [b.requests for b in plan(1)] == [6]
    split = plan(3)
    assert [b.requests for b in split] == [2, 2, 2]
    ids = [i for b in split for i in b.deliverable_ids]
    assert len(ids) == len(set(ids)) == _count(engine, Deliverable) == 300


def test_a_polling_round_makes_the_minimum_number_of_requests(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    clients: SandboxClients,
    now: datetime,
    campaign: int,
) -> None:
    engine = engine_for(settings.database_url)
    published = now + timedelta(minutes=1)
    for index in range(3):  # 3 channels x 40 videos = 120 ids -> 3 videos.list calls
        account = world.add_account("youtube", f"yt{index}")
        enroll(engine, campaign, account, now=now, stage="posted")
        for n in range(40):
            world.add_post(
                "youtube", account.handle, title=f"#springglow {n}", published_at=published
            )
    for index in range(4):  # 4 Instagram creators x 3 posts -> 4 business-discovery calls
        account = world.add_account("instagram", f"ig{index}")
        enroll(engine, campaign, account, now=now, stage="posted")
        for n in range(3):
            world.add_post(
                "instagram", account.handle, text=f"#springglow {n}", published_at=published
            )
    for index in range(2):  # 2 TikTok creators x 25 videos -> 2 x ceil(25/20) = 4 calls
        account = world.add_account("tiktok", f"tt{index}")
        enroll(engine, campaign, account, now=now, stage="posted")
        for n in range(25):
            world.add_post(
                "tiktok", account.handle, text=f"#springglow {n}", published_at=published
            )
    # detection lists only the 20 newest: record the rest as detected by hand for this test
    _detect_all(engine, clients, now + timedelta(minutes=2))
    record_world_posts(engine, world, now + timedelta(minutes=2))
    for server in (sandbox.youtube, sandbox.instagram, sandbox.tiktok):
        server.clear_log()

    # detection's read polled the Instagram posts at +2 min (one call per creator for both):
    # on a post's first day they are due again 15 minutes later
    reports = _poll_all(engine, clients, now + timedelta(minutes=20))

    assert sum(r.snapshots for r in reports) == 120 + 12 + 50
    assert sandbox.youtube.calls("/videos") == len(sandbox.youtube.log) == 3
    assert len(sandbox.instagram.log) == 4
    assert sandbox.tiktok.calls("/video/query") == len(sandbox.tiktok.log) == 4
    assert sum(r.requests for r in reports) == 3 + 4 + 4


@pytest.mark.postgres
def test_two_overlapping_polling_runs_never_store_a_snapshot_twice(
    postgres_url: str,
    make_settings: Callable[..., Settings],
    world: World,
    sandbox: SandboxServers,
    now: datetime,
) -> None:
    engine = engine_for(postgres_url)
    _seed_polling(engine, world, now, youtube=10, per_channel=15)  # 150 posts, 3 batches
    seed_clients = SandboxClients(make_settings, http_max_retries=1)
    _detect_all(engine, seed_clients, now + timedelta(minutes=1))
    seed_clients.close()
    assert _count(engine, Deliverable) == 150
    at = now + timedelta(hours=2)
    sandbox.youtube.fail("slow", delay=0.05, times=None)  # widen the overlap
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run(moment: datetime) -> None:
        run_clients = SandboxClients(make_settings, http_max_retries=1)
        try:
            barrier.wait()
            _poll_all(engine, run_clients, moment)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            run_clients.close()

    moments = [at, at, at + timedelta(seconds=1), at + timedelta(seconds=2)]
    threads = [threading.Thread(target=run, args=(m,)) for m in moments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sandbox.youtube.clear_faults()

    assert errors == []
    with session_scope(engine) as session:
        per_deliverable = session.execute(
            select(MetricSnapshot.deliverable_id, func.count()).group_by(
                MetricSnapshot.deliverable_id
            )
        ).all()
    assert len(per_deliverable) == 150
    assert {count for _, count in per_deliverable} == {1}


# -- submission by URL -----------------------------------------------------------------------


def test_submitted_urls_are_verified_through_the_api(
    db: Engine, world: World, clients: SandboxClients, now: datetime, campaign: int
) -> None:
    mine = world.add_account("youtube", "mine", followers=10_000)
    other = world.add_account("youtube", "other", followers=10_000)
    ig = world.add_account("instagram", "mia.glow")
    tt = world.add_account("tiktok", "miaglow")
    for account in (mine, ig, tt):
        enroll(db, campaign, account, now=now)
    own = world.add_post("youtube", "mine", title="no tag needed", published_at=now)
    foreign = world.add_post("youtube", "other", title="#springglow", published_at=now)
    reel = world.add_post(
        "instagram", "mia.glow", text="look", published_at=now, media_product_type="REELS"
    )
    video = world.add_post("tiktok", "miaglow", text="hi", published_at=now)

    def submit(url: str, creator: str | None = None) -> submission.SubmissionResult:
        where = {"campaign_slug": "spring-glow", "url": url, "creator": creator}
        return submission.submit_deliverable(
            engine=db, clients=clients, now=now, actor=ACTOR, **where
        )

    youtube = submit(f"https://youtu.be/{own.post_id}")
    assert (youtube.provenance.value, youtube.handle, youtube.created) == ("api", "mine", True)
    assert submit(own.url).created is False
    with pytest.raises(SubmissionRefused, match="belongs to channel"):
        submit(foreign.url)
    instagram = submit(reel.url)
    assert (instagram.provenance.value, instagram.post_id) == ("api", reel.post_id)
    tiktok = submit(video.url)
    assert tiktok.provenance.value == "api"
    # judged by the campaign's compliance rules, as detected posts are: "#ad" past the first
    # characters is buried (the old "#ad anywhere" check passed it), at the start it discloses
    late = world.add_post("tiktok", "miaglow", text="look " + "x" * 200 + " #ad", published_at=now)
    early = world.add_post("tiktok", "miaglow", text="#ad my routine", published_at=now)
    assert (submit(late.url).disclosure_ok, submit(early.url).disclosure_ok) == (False, True)
    with session_scope(db) as session:
        verdicts = session.execute(
            select(Deliverable.post_id, CaptionVersion.verdict)
            .join(CaptionVersion, CaptionVersion.deliverable_id == Deliverable.id)
            .where(Deliverable.post_id.in_([late.post_id, early.post_id]))
        ).all()
    assert dict(verdicts) == {late.post_id: "buried", early.post_id: "disclosed"}
    with pytest.raises(SubmissionRefused, match="no accepted tiktok creator @someoneelse"):
        submit(f"https://www.tiktok.com/@someoneelse/video/{video.post_id}")
    hidden = world.add_post("youtube", "mine", title="private", published_at=now, private=True)
    recorded = submit(hidden.url, creator="youtube:mine")
    assert (recorded.provenance.value, recorded.handle) == ("submitted", "mine")
    with pytest.raises(SubmissionRefused, match="cannot be a deliverable of a youtube account"):
        submit(video.url, creator="youtube:mine")
    assert other.handle == "other"


def test_deliverable_command_records_a_verified_post_and_refuses_bad_urls(
    settings: Settings,
    world: World,
    sandbox: SandboxServers,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from creatorflow.cli import app
    from creatorflow.settings import get_settings

    engine = engine_for(settings.database_url)
    campaign = add_campaign(engine, now=now)
    account = world.add_account("youtube", "mine", followers=10_000)
    enroll(engine, campaign, account, now=now)
    video = world.add_post("youtube", "mine", title="my video", published_at=now)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CREATORFLOW_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        ok = runner.invoke(app, ["campaign", "deliverable", "spring-glow", video.url])
        bad = runner.invoke(app, ["campaign", "deliverable", "spring-glow", "https://vimeo.com/1"])
    finally:
        get_settings.cache_clear()

    assert ok.exit_code == 0, ok.output
    assert "provenance api" in ok.output and "no ad disclosure" in ok.output
    assert bad.exit_code != 0 and "unknown host" in str(bad.exception)


def test_one_creator_without_a_token_does_not_stop_the_round(
    settings: Settings,
    world: World,
    make_settings: Callable[..., Settings],
    now: datetime,
    campaign: int,
) -> None:
    engine = engine_for(settings.database_url)
    for handle in ("tt0", "tt1"):
        account = world.add_account("tiktok", handle)
        enroll(engine, campaign, account, now=now, stage="posted")
        world.add_post("tiktok", handle, text="#springglow", published_at=now)
    record_world_posts(engine, world, now)
    world.update_account("tiktok", "tt1", connected=False)  # revoked: no token any more
    with SandboxClients(make_settings, http_max_retries=1) as clients:  # made now: no tt1 token
        reports = _poll_all(engine, clients, now + timedelta(minutes=1))

    assert sum(r.snapshots for r in reports) == 1
    assert len([f for r in reports for f in r.failures]) == 1
    with session_scope(engine) as session:
        unpolled = session.scalars(
            select(Deliverable).where(Deliverable.last_polled_at.is_(None))
        ).all()
    assert len(unpolled) == 1 and unpolled[0].status == "live"
