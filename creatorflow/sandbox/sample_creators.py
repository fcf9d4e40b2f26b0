"""A deterministic creators CSV: the demo's bundled sample and the import benchmark's input.

Seeded, so the same arguments always give the same file. Rows cover every tier and platform,
write followers in every supported format (``48200``, ``"48,200"``, ``48.2k``, ``1.2M``, empty),
and some people have accounts on two platforms under one email (exercising the merge).
Regenerate the committed sample with ``python -m creatorflow.sandbox.sample_creators``.
"""

from __future__ import annotations

import argparse
import csv
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from creatorflow.domain.model import Platform

HEADER = ("Platform", "Handle", "Email", "Name", "Followers", "Country", "Niche")
SAMPLE_PATH = Path(__file__).resolve().parents[2] / "config" / "sample_creators.csv"
DEFAULT_COUNT = 300
DEFAULT_SEED = 2027

FIRST = [
    "mia",
    "ava",
    "liam",
    "noah",
    "emma",
    "olivia",
    "lucas",
    "leo",
    "zoe",
    "maya",
    "ethan",
    "chloe",
    "aria",
    "finn",
    "nora",
    "ivy",
    "kai",
    "luna",
    "omar",
    "sofia",
    "ruby",
    "theo",
    "jade",
    "hugo",
    "elena",
    "marco",
    "priya",
    "yuki",
    "amara",
    "felix",
]
LAST = [
    "glow",
    "stone",
    "rivers",
    "park",
    "chen",
    "silva",
    "novak",
    "brooks",
    "kim",
    "lopez",
    "berg",
    "rossi",
    "khan",
    "mori",
    "ade",
    "walsh",
    "hart",
    "lane",
    "frost",
    "vega",
    "cole",
    "reyes",
    "moss",
    "quinn",
]
NICHES = ("beauty", "fitness", "food", "travel", "gaming", "tech", "fashion", "parenting")
COUNTRIES = ("US", "GB", "DE", "FR", "CA", "AU", "ES", "IT", "BR", "IN", "NL", "SE")
DOMAINS = ("example.com", "example.org", "example.net")
#: (weight, lowest, highest) follower ranges: mostly nano and micro, as real rosters are.
TIER_RANGES = (
    (25, 1_000, 9_999),
    (45, 10_000, 100_000),
    (15, 100_001, 500_000),
    (10, 500_001, 1_000_000),
    (5, 1_000_001, 25_000_000),
)
_ID_CHARS = string.ascii_letters + string.digits + "_-"


@dataclass(frozen=True)
class SampleCreator:
    """One CSV row as written (followers already formatted)."""

    platform: Platform
    handle: str
    email: str
    name: str
    followers: str
    country: str
    niche: str

    def cells(self) -> tuple[str, ...]:
        return (
            self.platform.value,
            self.handle,
            self.email,
            self.name,
            self.followers,
            self.country,
            self.niche,
        )


def _followers(rng: random.Random) -> str:
    weights = [weight for weight, _, _ in TIER_RANGES]
    _, low, high = rng.choices(TIER_RANGES, weights=weights)[0]
    count = rng.randint(low, high)
    style = rng.random()
    if style < 0.05:
        return ""  # unknown: no tier until the profile is refreshed
    if style < 0.45:
        return str(count)
    if style < 0.75:
        return f"{count:,}"
    if count >= 1_000_000 and style < 0.9:
        return f"{count // 100_000 / 10:.1f}M"
    if count >= 10_000:
        return f"{count // 100 / 10:.1f}k"
    return str(count)


def _handle(rng: random.Random, platform: Platform, first: str, last: str, suffix: str) -> str:
    if platform is Platform.YOUTUBE and rng.random() < 0.15:
        return "UC" + "".join(rng.choice(_ID_CHARS) for _ in range(22))
    separator = rng.choice(("", ".", "_"))
    base = f"{first}{separator}{last}"
    handle = f"{base}{suffix}"
    decorated = rng.random() < 0.3
    return f"@{handle.title()}" if decorated else handle  # exercises normalisation


def generate(count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> Iterator[SampleCreator]:
    """``count`` rows; about one person in eight has a second platform under the same email."""
    rng = random.Random(seed)
    produced = 0
    person = 0
    platforms = list(Platform)
    while produced < count:
        person += 1
        first, last = rng.choice(FIRST), rng.choice(LAST)
        suffix = format(person, "x")
        email = f"{first}.{last}.{suffix}@{rng.choice(DOMAINS)}"
        name = f"{first.title()} {last.title()}"
        country, niche = rng.choice(COUNTRIES), rng.choice(NICHES)
        accounts = 2 if rng.random() < 0.125 else 1
        for platform in rng.sample(platforms, accounts)[: count - produced]:
            yield SampleCreator(
                platform=platform,
                handle=_handle(rng, platform, first, last, suffix),
                email=email if rng.random() < 0.9 or accounts == 2 else "",
                name=name,
                followers=_followers(rng),
                country=country,
                niche=niche,
            )
            produced += 1


def write_csv(path: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> Path:
    """Write a sample file (UTF-8, title-case header as spreadsheet exports often have)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(row.cells() for row in generate(count, seed))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=SAMPLE_PATH)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    path = write_csv(args.out, args.count, args.seed)
    print(f"wrote {args.count} creators to {path}")


if __name__ == "__main__":
    main()
