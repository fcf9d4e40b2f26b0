"""``parse_rows`` (usual cells in line) gives what ``RowParser.parse`` gives row by row."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow.domain.creator_rows import COLUMNS, CreatorRow, RowParser, parse_rows

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
FOLLOWERS = ["", "12500", "12,500", "12.5k", "1.2M", " 300 ", "-5", "abc", "1" * 13, "٣", "007"]
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
