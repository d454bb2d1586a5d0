"""Round-37 behaviour of the urgency engine's context layer (engine.py and data/contexts.json).
Written from the rules' look-alike false alarms on retired_holdout_r29{,b} .. r37{,b}; each change
is a mechanism whose fixes came from at least three different files, and is tested here in
wordings of its own, written for these tests, with the nearest opposite that must not change (the
same finding as a current emergency).

- A sentence that opens on the writer ("... last week. I feel fine", "。我那天...") is a turn from
  a third party's event to the writer, as a listed pivot ("我也", "I'm") is;
- an age an event happened at ("at 19", "when he was 2", "aged 7"), younger than an age the
  complaint states as now ("I'm 35 now", "he's 7 now"), makes the mentions of its sentence
  history (not a clock time: "at 2pm"; not a sentence with an acute marker);
- a threshold question ("what counts as", "would count as", "到什么程度", "多少度会") is
  hypothetical;
- a degree complement of exaggeration right before a mention ("挤得我快窒息了", "晒得要中暑了",
  "加班加得我想跳楼") is idiomatic, unless the verb before 得 is a symptom's ("喘得快窒息了",
  "疼得想吐"), its literal cause ("喝得快不省人事了", review) or 得 belongs to 觉得/记得
  ("觉得要晕过去").
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency, level

# (text, age, sex): look-alikes; each stays routine
ROUTINE = [
    # a third party's dated event, then a sentence opening on the writer
    (
        "My flatmate collapsed with heat stroke at a festival last week. I feel okay, how much"
        " water should I carry?",
        24,
        "M",
    ),
    (
        "Neighbour had a seizure in the lift two days ago, he's been checked. I bruised my arm"
        " holding him.",
        50,
        "F",
    ),
    ("邻居上周煤气中毒住院了。我那天没在家，现在也没有不舒服，家里要装报警器吗", 45, "M"),
    # an event at an age younger than the age stated as now
    (
        "My daughter had a convulsion with a fever at 3. She's 9 now and has a mild cold,"
        " playing fine.",
        38,
        "F",
    ),
    (
        "I overdosed on sleeping tablets when I was 16. I'm 40 now and well, can I donate blood?",
        40,
        "F",
    ),
    ("I had a seizure at age 20 after no sleep. I'm 33 now and have been fine.", 33, "M"),
    # threshold questions
    ("How many ibuprofen in a day counts as an overdose for a teenager?", 45, "F"),
    (
        "What counts as heavy bleeding after a miscarriage, so I know when to go in? I'm not"
        " bleeding now.",
        32,
        "F",
    ),
    ("怀孕期间出血到什么程度算危险？我目前没事", 29, "F"),
    ("宝宝发烧到多少度会惊厥？现在体温正常", 30, "F"),
    # exaggeration by a degree complement
    ("电梯里挤得我快窒息了，出来就好了", 30, "F"),
    ("晒得要中暑了，其实就是有点热", 35, "M"),
    ("加班加得我想跳楼，就是嘴上说说", 28, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), ROUTINE)
def test_round37_lookalikes_stay_routine(text: str, age: int, sex: str) -> None:
    assert not emergency(text, age, sex)


# (text, age, sex): the same wording families told as a current emergency; each still escalates
EMERGENCY = [
    # a third party's current event, or the writer's own finding after the turn
    ("同事刚才在车间晕倒了，叫不醒。我在旁边，要怎么办", 35, "M"),
    (
        "My coworker collapsed at work this morning. I now have crushing chest pain and I'm"
        " sweating.",
        55,
        "M",
    ),
    ("My friend collapsed and isn't breathing. I am doing CPR now.", 30, "F"),
    ("My friend collapsed and isn't breathing. I don't know CPR.", 30, "F"),
    # a third party's dated event, then the writer's sentence telling a current finding
    (
        "My friend overdosed on pills last night. I found her this morning and she won't wake up.",
        22,
        "F",
    ),
    ("邻居昨天喝了农药。我刚去看，他现在叫不醒", 60, "M"),
    # an age then, but a clock time or a new event now
    (
        "I had seizures at 19, I'm 30 now, and I am having a seizure right now that won't stop.",
        30,
        "M",
    ),
    (
        "My son had a febrile seizure at 2. He's 7 now and he is fitting again right now, 10"
        " minutes.",
        7,
        "M",
    ),
    ("I am having a seizure-like episode now, shaking all over for 10 minutes.", 40, "F"),
    ("My son had a seizure at 2pm today. He's 7 now and still not waking up.", 35, "F"),
    ("I attempted suicide at 19. I'm 35 now. Tonight I swallowed 40 paracetamol.", 35, "F"),
    (
        "I tried to kill myself at 19 and I'm 35 now, and tonight I swallowed 40 paracetamol.",
        35,
        "F",
    ),
    # a threshold phrase asked about a current event
    ("I took 30 paracetamol an hour ago, surely that counts as an overdose?", 25, "F"),
    (
        "My wife is 30 weeks pregnant and soaking a pad every 10 minutes with bright red blood"
        " right now, does that count as heavy?",
        32,
        "F",
    ),
    # a symptom's own degree complement, 觉得, and a plain current finding
    ("喘得快窒息了，嘴唇发紫，说不出话", 60, "M"),
    ("我觉得要晕过去了，心跳很快，出冷汗", 50, "F"),
    ("现在没有呼吸了", 70, "M"),
    ("孩子跳楼了，现在叫不醒", 15, "M"),
    # review: a degree complement whose verb is the literal cause ("drank till near senseless")
    ("我老公喝得快不省人事了，吐了一地，叫他也没什么反应。", 40, "M"),
    ("他喝酒喝得快不省人事了", 45, "M"),
    ("在零下三十度等车两个小时，手指冻得快没知觉了，发白发硬。", 45, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), EMERGENCY)
def test_round37_current_emergencies_still_escalate(text: str, age: int, sex: str) -> None:
    assert emergency(text, age, sex)


def test_round37_contexts_name_the_mechanism() -> None:
    assert any(
        "historical" in c
        for c in contexts_of("I had a seizure at age 20 after no sleep. I'm 33 now.", "seizure")
    )
    assert any("idiomatic" in c for c in contexts_of("晒得要中暑了", "heat_exposure"))
    assert any(
        "family" in c
        for c in contexts_of(
            "Neighbour had a seizure in the lift two days ago. I bruised my arm.", "seizure"
        )
    )
    assert level("现在没有呼吸了", 70, "M") == "emergency_ambulance"
