"""Concept forms must not be long phrases copied from the vignettes they were tuned on.

A surface form that repeats a writer's sentence word for word ("left leg feels weird and cold")
fixes that one vignette and nothing a different writer would type: it inflates the tuning
figures and teaches the table nothing. Round 17's tuner added 118 such forms of 7+ characters;
from round 18 on, forms in the round files (``concepts_99_round17.json`` and later) stay
generic: a long phrase is split into a short form or a proximity pattern (``near``).

"Long" is 9 or more Chinese characters or 5 or more English words. Shorter forms that also
occur in a vignette are expected ("burning when i pee" is how patients write it). Tables of
rounds 1-16 are not checked: their forms were written before this rule, and some long ones are
stock phrases ("worst headache of my life").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from triage.text import normalise

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "triage" / "urgency" / "data"
VIGNETTES = ROOT / "data" / "vignettes" / "urgency"
CHECKED_FROM_ROUND = 17
MIN_CJK = 9
MIN_WORDS = 5
# Forms older than the vignette that repeats them: a blind writer of a later round wrote the same
# stock phrase, so the form was not copied from it. Each entry names the form and why it stays.
OLDER_THAN_THE_VIGNETTE = {
    ("concepts_99_round17.json", "seizure_not_recovering", "without waking up in between"): (
        "round 17's form, the textbook wording of status epilepticus; the Nanchang writer of "
        "holdout_r24 (round 22, blind to the repository) wrote it too, and that file became "
        "tuning data in round 24"
    ),
    ("concepts_99_round17.json", "vomit_blood_lay", "vomited a lot of blood"): (
        "round 17's form, plain English for haematemesis; the Hohhot writer of holdout_r38b "
        "(written after round 36, blind to the repository) wrote it too, and that file became "
        "tuning data in round 38"
    ),
    ("concepts_99_round17.json", "agonal_gasps", "gasping every now and then"): (
        "round 17's form, lay English for agonal breathing; the Xinyang and Jiamusi writers of "
        "holdout_r56 / r56b (written after round 53, blind to the repository) wrote it too, and "
        "those files became tuning data in round 55"
    ),
}


def _round(path: Path) -> int:
    found = re.search(r"_round(\d+)\.json$", path.name)
    return int(found.group(1)) if found else 0


def _is_long(form: str) -> bool:
    cjk = len(re.findall(r"[\u4e00-\u9fff]", form))
    words = len(re.findall(r"[a-z0-9']+", form))
    return cjk >= MIN_CJK or words >= MIN_WORDS


def _tuning_texts() -> list[str]:
    # the untouched splits (holdout*.jsonl) are never read by a test that shapes the table
    files = sorted(p for p in VIGNETTES.glob("*.jsonl") if not p.name.startswith("holdout"))
    return [
        normalise(json.loads(line)["text"])
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _checked_forms() -> list[tuple[str, str, str]]:
    forms = []
    for path in sorted(TABLE.glob("concepts_*.json")):
        if _round(path) < CHECKED_FROM_ROUND:
            continue
        for concept in json.loads(path.read_text(encoding="utf-8")):
            forms += [(path.name, concept["id"], form) for form in concept.get("forms", [])]
    return forms


def test_the_check_sees_the_round_files_and_flags_a_copied_phrase() -> None:
    assert _checked_forms(), "no round file from round 17 on was found"
    assert _is_long("left leg feels weird and cold")
    assert _is_long("大姨妈快一个半月没来了")
    assert not _is_long("burning when i pee")
    assert not _is_long("一句话喘好几口")


def test_no_long_form_of_a_round_file_copies_a_tuning_vignette() -> None:
    texts = _tuning_texts()
    assert len(texts) > 1000
    copied = [
        f"{name} {concept}: {form!r}"
        for name, concept, form in _checked_forms()
        if _is_long(form)
        and (name, concept, form) not in OLDER_THAN_THE_VIGNETTE
        and any(form in text for text in texts)
    ]
    if copied:
        pytest.fail("forms copied from tuning vignettes (make them generic):\n" + "\n".join(copied))


def test_every_older_form_exception_is_still_a_long_form_of_the_table() -> None:
    """An exception outlives its form only as dead text: each must name a long form that the
    table still has."""
    forms = set(_checked_forms())
    for key, why in OLDER_THAN_THE_VIGNETTE.items():
        assert key in forms and _is_long(key[2]) and why, key
