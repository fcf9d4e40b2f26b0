"""``parse_rows`` (usual cells in line) gives what ``RowParser.parse`` gives row by row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow.domain.creator_rows import COLUMNS, CreatorRow, RowParser, parse_rows
from creatorflow.domain.handles import parse_followers, usual_followers

PLATFORMS = ["youtube", "instagram", "tiktok", "YouTube", " tiktok", "vine", "", "TIKTOK "]
HANDLES = [
    "mia",
    "Mia.Glow",
    "@mia_g",
    " mia ",
    "@ mia",
    "@@mia",
    "mia-glow",
    "UCl2hpChYgCfrL1spNxnyVmi",
    "UCl2hpChYgCfrL1spNxnyVm",
    "ucl2hpchygcfrl1spnxnyvmi",
    "a" * 24,
    "a" * 25,
    "a" * 30,
    "a" * 31,
    "mia\n",
    "\u212aate",
    "mi a",
    "",
    "é",
]
EMAILS = [
    "",
    " ",
    "mia@example.com",
    "Mia@Example.COM",
    " mia@example.com",
    "mia@example.com\n",
    "mia@@example.com",
    "mia..x@example.com",
    "mia@-example.com",
    "mia@example-.com",
    "mia@example.c",
    "mia@example.com1",
    "x" * 64 + "@example.com",
    "x" * 65 + "@example.com",
    "m@" + "a" * 63 + ".com",
    "m@" + "a" * 64 + ".com",
    "mia@exa_mple.com",
    "mi\u00e1@example.com",
]
NAMES = ["", "  ", "Mia  Glow", " Mia\tGlow ", "n" * 200, "n" * 201, "Mia\u00a0Glow"]
FOLLOWERS = [
    *("", "12500", "12,500", "12.5k", "1.2M", " 300 ", "-5", "abc", "1" * 13, "٣", "007"),
    *("1.25k", "12.5K", " 1.5k", "1.5 k", "1000b", "1001b", "0.0005k", "1.23456789012m"),
    *("01,000", "1,2345", "12,500k", "-1.5k", "1.5kb", ".5k", "5.k", "1" * 13 + "k"),
]
COUNTRIES = ["", "gb", "GB", " us", "U1", "GBR"]
NICHES = ["", "Beauty", "  Food  Travel ", "n" * 101]

cell = {
    "platform": st.sampled_from(PLATFORMS),
    "handle": st.sampled_from(HANDLES),
    "email": st.sampled_from(EMAILS),
    "name": st.sampled_from(NAMES),
    "followers": st.sampled_from(FOLLOWERS),
    "country": st.sampled_from(COUNTRIES),
    "niche": st.sampled_from(NICHES),
}


def one_by_one(
    parser: RowParser, records: list[tuple[int, list[str]]]
) -> tuple[list[CreatorRow], list[tuple[int, str]]]:
    rows, failed = [], []
    for line, cells in records:
        try:
            rows.append(parser.parse(cells, line))
        except ValueError as exc:
            failed.append((line, str(exc)))
    return rows, failed


@settings(max_examples=300, deadline=None)
@given(
    st.permutations(COLUMNS),
    st.integers(min_value=2, max_value=len(COLUMNS)),
    st.lists(st.fixed_dictionaries(cell), max_size=12),
)
def test_the_fast_path_makes_the_same_rows_and_rejects(
    order: list[str], width: int, cells: list[dict[str, str]]
) -> None:
    header = list(order[:width])
    for required in ("platform", "handle"):
        if required not in header:
            header.append(required)
    parser = RowParser(header)
    records = [(line, [row[name] for name in header]) for line, row in enumerate(cells, start=2)]
    assert parse_rows(parser, records) == one_by_one(parser, records)


def test_a_file_of_usual_rows_and_odd_ones_keeps_the_order_and_the_messages() -> None:
    parser = RowParser(["platform", "handle", "email", "followers"])
    records = [
        (2, ["tiktok", "mia", "mia@example.com", "100"]),
        (3, ["tiktok", " Zoe ", "", "1.5k"]),
        (4, ["vine", "x", "", ""]),
        (5, ["youtube", "UCl2hpChYgCfrL1spNxnyVmi", "", "12,500"]),
    ]
    rows, failed = parse_rows(parser, records)
    assert [(r.line, r.handle, r.followers) for r in rows] == [
        (2, "mia", 100),
        (3, "zoe", 1500),
        (5, "UCl2hpChYgCfrL1spNxnyVmi", 12500),
    ]
    assert failed == [(4, "unknown platform 'vine' (expected youtube, instagram, tiktok)")]


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.sampled_from(FOLLOWERS),
        st.from_regex(r"\A-?[0-9]{0,14}(\.[0-9]{0,14})?[kKmMbB ]?\Z"),
        st.from_regex(r"\A[0-9]{1,4}(,[0-9]{2,4}){0,5}[kK]?\Z"),
        st.text(max_size=8),
    )
)
def test_usual_followers_agree_with_parse_followers_or_defer_to_it(raw: str) -> None:
    usual = usual_followers(raw)
    try:
        parsed = parse_followers(raw)
    except ValueError:
        assert usual is None  # the full rules name the problem
    else:
        assert usual in (None, parsed)  # None: the full rules take it


def test_the_forms_exports_write_take_the_fast_path() -> None:
    taken = {raw: usual_followers(raw) for raw in ("2408", "75,066", "74.8k", "1.25K", "3M")}
    assert taken == {"2408": 2408, "75,066": 75066, "74.8k": 74800, "1.25K": 1250, "3M": 3 * 10**6}
    # over the maximum, or spaces: the full rules say what is wrong or trim it
    assert [usual_followers(raw) for raw in ("1001b", " 12", "1.5 k", "-2k")] == [None] * 4
