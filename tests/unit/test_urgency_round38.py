"""Round-38 behaviour of the urgency engine's context layer (engine.py). Written from the rules'
look-alike false alarms on retired_holdout_r29{,b} .. r38{,b}; each change is a mechanism whose
fixes came from at least three different files, and is tested here in wordings of its own,
written for these tests, with the nearest opposite that must not change (the same finding asked
about as present, or told as a current emergency).

- A question about a possibility: a sentence asked ("?") that opens on a modal with a subject in
  general ("could I ...", "would a ...", "might someone ...", "how soon can X happen", "what would
  a X look like", after an opening "if ..." clause too) makes its mentions hypothetical; not with
  "this"/"that"/"it"/"you" as the subject ("could this be a stroke?"), not "could I be having" /
  "could he have had" / "could X have swallowed" (what may have happened), not "can"/"may" with
  a person as the subject (asking leave: "can I take ..."), not "why would", and not in a
  sentence with a present-time word ("now", "still", "just", "is", "help"); nor a concept that
  only stops rules (a question a stop reads);
- a question sentence with a clause that opens on a condition ("要是", "万一", "如果", "if")
  makes the mentions after that clause start hypothetical too (the condition reaches the later
  clauses of the question); not a sentence that tells something present ("现在", "已经", "刚才",
  "now", "already", "still");
- review: a modal question must also name the possibility ("if", "ever", "again", "then",
  someone in general): without one, "could my dad's crushing chest pain and cold sweat be a heart
  attack?" asks what a present finding is (so an unmarked "what would an overdose feel like?"
  stays flagged: the price of not losing the first). The tuner's third change (a normal work-up
  told after a mention puts it in care) was dropped in review: "头痛得像被人打了一棍，这辈子最痛的
  一次，拍了CT没事" lost its thunderclap rule, and a normal CT or ECG does not rule out a bleed or
  an infarct.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency

# (text, age, sex): look-alikes; each stays routine
ROUTINE = [
    # a question about a possibility in general
    ("Could I get a seizure from skipping breakfast? Never happened, just curious.", 29, "M"),
    ("Might someone on beta blockers pass out in a sauna?", 52, "F"),
    ("Would a collapse like that be likely at his age? He's had no symptoms at all.", 40, "M"),
    ("How soon would carbon monoxide poisoning show up if someone ran a car in a garage?", 45, "M"),
    (
        "What would an overdose of my sleeping tablets feel like if I ever took two by mistake?",
        60,
        "F",
    ),
    (
        "If I run the marathon in the heat, could I collapse with heat stroke? Training goes well.",
        34,
        "M",
    ),
    # a question whose condition opens an earlier clause
    ("我有血友病，万一切菜划了口子，血会不会止不住？平时怎么防", 30, "M"),
    ("要是老人在浴室里晕倒叫不醒，家里人第一步该怎么做？", 45, "F"),
    ("如果以后哪天有了轻生的念头，可以找谁聊？", 26, "F"),
    ("If my son ever swallows a magnet, how fast should we get him seen?", 38, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round38_lookalikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


# (text, age, sex): the same wording families told as present; each still escalates
EMERGENCY = [
    # a modal question about a finding that is there
    ("Could this be a stroke? My face droops on the left and my words are slurred.", 68, "M"),
    ("Could I be having a heart attack? Crushing chest pain and cold sweat.", 58, "M"),
    ("Would it be a stroke? My arm went weak and my speech slurred an hour ago.", 70, "F"),
    ("Could my toddler have swallowed a button battery? He is drooling and vomiting now.", 2, "M"),
    ("Might she have taken too many of her pills? She won't wake up.", 45, "F"),
    ("What would cause this? I'm vomiting blood right now.", 50, "M"),
    ("Could he have had a seizure? He is still not waking up.", 40, "F"),
    ("Can I take aspirin? I have crushing chest pain right now and I'm sweating.", 60, "M"),
    ("Can someone help, my husband isn't breathing?", 50, "F"),
    ("Could I have overdosed? I just swallowed 40 paracetamol.", 22, "F"),
    ("我现在胸口压着痛，出冷汗，会不会是心梗？", 60, "M"),
    # a condition in a sentence that tells something present
    ("如果现在他叫不醒，没有呼吸，要怎么做？", 70, "M"),
    ("我爸刚才突然倒地叫不醒，要是打120要等多久？", 45, "F"),
    ("If she stops breathing again what do I do? She is not breathing now and blue.", 30, "F"),
    ("万一他是中风怎么办？他现在嘴歪了，一边手脚没力气。", 66, "M"),
    # a normal work-up, then a new or ongoing finding
    ("Had a fit this morning, CT normal, but now he's fitting again and won't stop.", 30, "M"),
    (
        "My chest pain began an hour ago, ECG at the pharmacy was normal, but it's crushing now"
        " and I'm sweating.",
        58,
        "M",
    ),
    ("My dad had a stroke, CT scan normal, face still drooping and can't lift his arm.", 75, "M"),
    # review: a modal question about findings that are there, with no mark of a possibility
    (
        "Could my dad's crushing chest pain and cold sweat for the last 40 minutes be a heart"
        " attack?",
        62,
        "M",
    ),
    (
        "Might the sudden worst headache of my life, with vomiting and a stiff neck, be a bleed?",
        45,
        "F",
    ),
    (
        "Would slurred speech and a drooping face that started 20 minutes ago mean a stroke?",
        70,
        "M",
    ),
    ("Would vomiting blood twice with black stools and dizziness be an ulcer?", 40, "M"),
    # review: a normal scan does not clear a thunderclap headache
    ("头痛得像被人打了一棍，这辈子最痛的一次，拍了CT没事。", 45, "F"),
]


@pytest.mark.parametrize(("text", "age", "sex"), EMERGENCY)
def test_round38_current_emergencies_still_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex)


def test_round38_contexts_name_the_mechanism() -> None:
    assert all(
        "hypothetical" in c
        for c in contexts_of("Might someone on beta blockers pass out in a sauna?", "syncope")
    )
    assert any(
        "hypothetical" in c
        for c in contexts_of("要是老人在浴室里晕倒叫不醒，家里人第一步该怎么做？", "unconscious")
    )
    assert not any(
        "hypothetical" in c
        for c in contexts_of("Could this be a stroke? My face droops.", "face_droop")
    )
