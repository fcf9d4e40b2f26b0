"""Defects found in the review of issues 14, 16-19, each pinned by a test that failed before."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from creatorflow.cli import app
from creatorflow.domain.compliance import DEFAULT_MARKERS, DisclosureRules, Verdict, judge_caption
from creatorflow.services.portal.drafts import sniff_media


@pytest.mark.parametrize(
    ("brand", "expected"),
    [
        (b"M4A ", None),  # iTunes audio: an ISO file with no video
        (b"M4B ", None),  # audiobook
        (b"avif", None),  # an AVIF image
        (b"isom", "video/mp4"),
        (b"mp42", "video/mp4"),
        (b"qt  ", "video/quicktime"),
    ],
)
def test_iso_files_that_are_audio_or_images_are_not_taken_for_video(
    brand: bytes, expected: str | None
) -> None:
    found = sniff_media(b"\x00\x00\x00\x20ftyp" + brand + b"\x00" * 32)
    assert (found[0] if found else None) == expected


def _help(command: str) -> str:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    return " ".join(result.output.replace("│", " ").split())  # unwrapped, without the box


def test_web_help_names_everything_the_app_serves() -> None:
    text = _help("web")
    assert "creator portal (/p/TOKEN)" in text and "Instagram webhooks" in text


def test_demo_help_gives_the_duration_the_readme_gives() -> None:
    assert "in about two minutes" in _help("demo")


@pytest.mark.parametrize(
    ("caption", "verdict"),
    [
        ("Not sponsored, I just love this serum", Verdict.MISSING),
        ("this is not an ad! just my routine", Verdict.MISSING),
        ("Kein Werbung, nur Liebe", Verdict.MISSING),
        ("ce n'est pas sponsorisé", Verdict.MISSING),
        ("non è sponsorizzato", Verdict.MISSING),
        ("No ad, just love", Verdict.MISSING),
        ("I cannot #ad believe it", Verdict.DISCLOSED),  # "cannot" is no negation
        ("Not a gift: #ad with @glow", Verdict.DISCLOSED),
        ("I'm not sponsored by them, but this one is #sponsored", Verdict.DISCLOSED),
    ],
)
def test_a_negated_marker_is_no_disclosure(caption: str, verdict: Verdict) -> None:
    markers = tuple(m for group in DEFAULT_MARKERS.values() for m in group)
    assert judge_caption(None, caption, rules=DisclosureRules(markers=markers)).verdict == verdict
