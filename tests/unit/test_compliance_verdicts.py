"""The disclosure judgement: real-looking captions in several languages, and its properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorflow.domain.campaign import Compliance
from creatorflow.domain.compliance import (
    CAPTION_CHANGED,
    DISCLOSURE_ADDED,
    DISCLOSURE_REMOVED,
    FIRST_SEEN,
    DisclosureRules,
    Verdict,
    caption_hash,
    change_kind,
    judge_caption,
    trailing_run_start,
)
from creatorflow.errors import CreatorflowError
from tests.support.campaigns import example_data, make_spec

RULES = DisclosureRules.build()
LONG = (
    "Morning routine update! I've been testing this serum for three weeks now and honestly my "
    "skin has never felt this calm, link in bio for the full review. "
)

CAPTIONS = [
    # (title, text, verdict, marker found as written)
    (None, "#ad Obsessed with my new @lumenskincare serum ✨ #springglow", "disclosed", "#ad"),
    (None, "AD | my spring routine 🌸\n\n#springglow #skincare", "disclosed", "AD"),
    (None, "Paid partnership with @lumen 💛 my glow routine", "disclosed", "Paid partnership"),
    (None, "paid\npartnership with Lumen", "disclosed", "paid\npartnership"),
    (None, "𝗔𝗗 the serum I can't stop using", "disclosed", "𝗔𝗗"),
    (None, "＃ＡＤ new drop", "disclosed", "＃ＡＤ"),
    (None, "#Sponsored: 3 steps to glass skin", "disclosed", "#Sponsored"),
    (None, "Anzeige ✨ Meine neue Morgenroutine mit @lumen", "disclosed", "Anzeige"),
    (None, "#werbung Mein Lieblingsserum gerade! #springglow", "disclosed", "#werbung"),
    (None, "#Publicidad Mi rutina de primavera con @lumen 🌷", "disclosed", "#Publicidad"),
    (None, "Publicité — ma routine du matin avec @lumen", "disclosed", "Publicité"),
    (None, "#sponsorisé ma routine glow", "disclosed", "#sponsorisé"),
    (None, "#publicite (sans accent) ma routine", "disclosed", "#publicite"),
    (None, "Ma routine #publicite\u0301 du matin", "disclosed", "#publicite\u0301"),  # decomposed
    (None, "#pubblicità la mia routine primaverile", "disclosed", "#pubblicità"),
    ("My spring routine #ad", "Everything I use every morning.", "disclosed", "#ad"),
    ("Spring routine", "#ad\u200b everything I use every morning", "disclosed", "#ad"),
    # look-alikes and not-enough wording: missing
    (None, "Weekend #adventure in my #adidas, not a bad day at all", "missing", None),
    (None, "Thanks @lumenskincare for the gift! #collab #sp #springglow", "missing", None),
    (None, "living ad-free this month, #springglow", "missing", None),
    (None, "#ads #adlife #advent #springglow", "missing", None),
    ("Spring routine", "my morning, step by step", "missing", None),
    (None, "", "missing", None),
    # buried: late, or only in the closing block of hashtags
    (None, LONG + "#ad", "buried", "#ad"),
    (None, "Love this serum 💛\n\n#springglow #skincare #ad", "buried", "#ad"),
    (None, "Ma routine ✨ #glow #skincare #publicité 🌸", "buried", "#publicité"),
    (None, "Mi rutina @lumen\n.\n.\n#glow #skincare #rutina #publicidad", "buried", "#publicidad"),
]


@pytest.mark.parametrize(("title", "text", "verdict", "found"), CAPTIONS)
def test_real_captions_get_the_expected_verdict_and_evidence(
    title: str | None, text: str, verdict: str, found: str | None
) -> None:
    judged = judge_caption(title, text, rules=RULES)
    assert judged.verdict == verdict, judged.reason
    if found is None:
        assert judged.evidence is None
    else:
        assert judged.evidence is not None
        assert judged.evidence.found == found
        source = title if judged.evidence.field == "title" else text
        assert source is not None
        start = judged.evidence.position
        assert source[start : start + len(found)] == found  # the position points at it


def test_the_evidence_says_where_a_buried_marker_is() -> None:
    judged = judge_caption(None, LONG + "#ad", rules=RULES)
    assert judged.evidence is not None and judged.evidence.position == len(LONG)
    assert "125" in judged.reason


def test_a_campaign_marker_and_its_placement_rule_are_used() -> None:
    spec = Compliance(markers=["#lumenpartner"], first_chars=40, buried_hashtag_run=0)
    rules = spec.rules()
    assert judge_caption(None, "#LumenPartner glow", rules=rules).verdict == "disclosed"
    # a closing block is no reason when the run rule is off; 40 characters is the limit now
    assert judge_caption(None, "glow #a #b #ad", rules=rules).verdict == "disclosed"
    assert judge_caption(None, "x" * 45 + " #ad", rules=rules).verdict == "buried"


def test_only_the_chosen_languages_markers_count() -> None:
    rules = Compliance(languages=["en"]).rules()
    assert judge_caption(None, "Anzeige: neue Routine", rules=rules).verdict == "missing"
    assert judge_caption(None, "#ad neue Routine", rules=rules).verdict == "disclosed"
    with pytest.raises(ValueError, match="unknown language"):
        Compliance(languages=["xx"])


def test_a_closing_block_needs_three_hashtags_and_ignores_emoji_between_them() -> None:
    assert trailing_run_start("nice #a #b", minimum=3) is None
    text = "nice 🌸 #a ✨ @brand #b\n#c 💛"
    assert trailing_run_start(text, minimum=3) == text.index("#a")


def test_the_change_between_versions_names_the_event() -> None:
    assert change_kind(None, Verdict.MISSING) == FIRST_SEEN
    assert change_kind(Verdict.DISCLOSED, Verdict.BURIED) == DISCLOSURE_REMOVED
    assert change_kind(Verdict.MISSING, Verdict.DISCLOSED) == DISCLOSURE_ADDED
    assert change_kind(Verdict.MISSING, Verdict.BURIED) == CAPTION_CHANGED
    assert caption_hash("a", "b") != caption_hash("a\nb", None)


# -- properties -------------------------------------------------------------------------------

_MARKERS = st.sampled_from(["#ad", "#sponsored", "Anzeige", "#publicidad", "Paid partnership"])
_CAPTION = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
_LOOKALIKES = st.sampled_from(
    ["#adventure", "#adidas", "bad", "#ads", "ad-free", "@ad", "#advent", "adorable", "road"]
)


@settings(max_examples=150, deadline=None)
@given(marker=_MARKERS, caption=_CAPTION)
def test_a_marker_at_the_start_always_discloses(marker: str, caption: str) -> None:
    assert judge_caption(None, f"{marker} {caption}", rules=RULES).verdict == "disclosed"


@settings(max_examples=150, deadline=None)
@given(
    words=st.lists(
        _LOOKALIKES | st.sampled_from(["glow", "🌸", "\n", "routine", "#springglow", "!"]),
        max_size=30,
    )
)
def test_look_alike_words_never_disclose(words: list[str]) -> None:
    assert judge_caption(None, " ".join(words), rules=RULES).verdict == "missing"


@settings(max_examples=100, deadline=None)
@given(marker=_MARKERS, upper=st.booleans(), filler=st.integers(min_value=125, max_value=400))
def test_a_marker_only_after_the_cut_is_buried_whatever_its_case(
    marker: str, upper: bool, filler: int
) -> None:
    text = "glow " * (filler // 5 + 1) + (marker.upper() if upper else marker.lower())
    assert judge_caption(None, text, rules=RULES).verdict == "buried"


@pytest.mark.parametrize(
    ("section", "named"),
    [
        ({"keep_live_days": -1}, "compliance.keep_live_days"),
        ({"markers": ["🌸"]}, "compliance.markers"),
        ({"languages": ["klingon"]}, "compliance.languages"),
        ({"first_chars": 0}, "compliance.first_chars"),
        ({"nudges": True}, "compliance.nudges"),
    ],
)
def test_a_bad_compliance_section_names_the_field(section: dict[str, object], named: str) -> None:
    with pytest.raises(CreatorflowError, match=re.escape(named)):
        make_spec(compliance=section)


def test_the_example_campaign_documents_its_compliance_section() -> None:
    spec = make_spec(example_data())
    assert spec.compliance.markers == ["#lumenpartner"]
    assert spec.compliance.keep_live_days == 30
    assert "#lumenpartner" in spec.compliance.rules().markers
    assert (
        judge_caption(None, "#LumenPartner ✨", rules=spec.compliance.rules()).verdict
        == "disclosed"
    )
