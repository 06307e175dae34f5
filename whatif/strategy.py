"""A strategy string ("M:1-18,H:19-57": compound initial, first-last lap of each stint) parsed and checked.

Parsing checks the text alone (its form, compound letters, contiguous stints from lap 1); ``check_race``
checks it against a race (its distance, the compounds the tyre model covers there). Each failure is one
``StrategyError`` line naming the cause and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# the dry compounds the engine prices (the search space: SOFT/MEDIUM/HARD), by the initial the string uses
COMPOUNDS = {"S": "SOFT", "M": "MEDIUM", "H": "HARD"}
WET = {"I": "INTERMEDIATE", "W": "WET"}
EXAMPLE = "M:1-18,H:19-57"
STINT = re.compile(r"^([A-Za-z]+):(\d+)-(\d+)$")


class StrategyError(ValueError):
    """The strategy cannot be priced: the message (one line) says why and what to give instead."""


@dataclass(frozen=True)
class Stint:
    compound: str  # SOFT, MEDIUM or HARD
    first_lap: int
    last_lap: int

    @property
    def laps(self) -> int:
        return self.last_lap - self.first_lap + 1

    def text(self) -> str:
        return f"{self.compound[0]}:{self.first_lap}-{self.last_lap}"


def strategy_text(stints: list[Stint]) -> str:
    """The canonical string: ``M:1-18,H:19-57``."""
    return ",".join(stint.text() for stint in stints)


def pit_laps(stints: list[Stint]) -> list[int]:
    """The in-lap of each stop: the last lap of every stint but the last."""
    return [stint.last_lap for stint in stints[:-1]]


def parse(text: str | None) -> list[Stint]:
    """The stints of ``text``, contiguous from lap 1, or a StrategyError naming the first fault."""
    if text is None or not text.strip():
        raise StrategyError(
            f'no strategy: give STRATEGY="{EXAMPLE}" (compound initial S/M/H, first-last lap of each stint)'
        )
    stints: list[Stint] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            raise StrategyError(f'STRATEGY="{text}" has an empty stint between commas: write it like "{EXAMPLE}"')
        match = STINT.match(part.replace(" ", ""))
        if match is None:
            raise StrategyError(
                f'stint "{part}" of STRATEGY="{text}" is not compound:first-last: write it like "{EXAMPLE}"'
            )
        letter, first, last = match.group(1).upper(), int(match.group(2)), int(match.group(3))
        if letter in WET:
            raise StrategyError(
                f'stint "{part}": {WET[letter]} is not priced (the engine models dry races): use S, M or H'
            )
        if letter not in COMPOUNDS:
            raise StrategyError(
                f'stint "{part}": unknown compound letter {letter}: use S (soft), M (medium) or H (hard)'
            )
        if last < first:
            raise StrategyError(f'stint "{part}" ends before it starts: give its first lap, then its last')
        stint = Stint(COMPOUNDS[letter], first, last)
        if not stints and first != 1:
            raise StrategyError(f'the first stint "{part}" starts on lap {first}: the race starts on lap 1')
        if stints and first != stints[-1].last_lap + 1:
            previous = stints[-1]
            fault = "overlaps" if first <= previous.last_lap else "leaves a gap after"
            raise StrategyError(
                f'stint "{part}" {fault} "{previous.text()}": start it on lap {previous.last_lap + 1}, '
                "the lap after the previous stint's in-lap"
            )
        stints.append(stint)
    return stints


def check_race(stints: list[Stint], race_laps: int, covered: set[str], race: str) -> None:
    """A StrategyError unless the stints end at the race distance and run on compounds the model covers."""
    last = stints[-1].last_lap
    if last != race_laps:
        advice = f"end the last stint on lap {race_laps}"
        raise StrategyError(f"the strategy ends on lap {last} but {race} ran {race_laps} laps: {advice}")
    for stint in stints:
        if stint.compound not in covered:
            models = ", ".join(sorted(covered)) or "none"
            raise StrategyError(
                f'stint "{stint.text()}": the tyre model has no {stint.compound} for {race} '
                f"(it covers: {models}): use one of those"
            )


def notes(stints: list[Stint], min_stint_laps: int) -> list[str]:
    """What puts the strategy outside the engine's search space (priced all the same): one line each."""
    found = []
    stops = len(stints) - 1
    if stops == 0:
        found.append("no stop: the rules of a dry race ask for two dry compounds (the search tries 1 to 3 stops)")
    elif stops > 3:
        found.append(f"{stops} stops: the optimiser searches 1 to 3")
    if stops and len({stint.compound for stint in stints}) < 2:
        found.append("one compound only: the rules of a dry race ask for two dry compounds")
    short = [stint.text() for stint in stints if stint.laps < min_stint_laps]
    if short:
        found.append(f"stint {', '.join(short)} shorter than the search's {min_stint_laps}-lap minimum")
    return found
