"""Round-31 behaviour of the urgency table: a third party's emergency told as over or handled
("she's okay now", "救过来了", "didn't make it") by a writer who then speaks of themself or
someone else is that person's event, not the complaint's (``bystander_over``,
``bystander_reactions`` in the table's contexts). Tested on tuning lines (retired files) and on
wordings of its own written for these tests, with the opposites that must stay emergencies: a
third party's event that goes on, an "is she okay now?" that asks, and a shared exposure ("a
friend cooked pufferfish for us ... my lips are numb").
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import contexts_of, emergency


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "A friend overdosed at a party last weekend (he's ok now). I didn't take anything but "
        "I've been getting panic attacks since.",
        "My roommate took too many pills last night and is in hospital, stable now. I can't stop "
        "shaking and crying today. Is this normal?",
        "朋友吃了一瓶安眠药送去洗胃了，人没事了。我想问我能怎么帮他，我自己就是心里堵得慌。",
        "姨家孩子误吃了奶奶的降压药，送去洗胃了，现在没事了。我想问家里的药该咋放才安全？",
        # own wordings
        "My flatmate overdosed on his antidepressants last week, he's okay now and seeing "
        "someone. I keep waking at 4am, how do I switch off?",
        "A colleague choked on a sandwich at lunch, someone did the Heimlich and she's totally "
        "fine. I pulled a muscle in my shoulder helping.",
    ],
)
def test_a_third_partys_event_told_as_over_is_not_the_complaints(text: str) -> None:
    assert not emergency(text, 30)


@pytest.mark.parametrize(
    "text",
    [
        # the event goes on: the writer asks for them
        "My roommate just took a whole bottle of sleeping pills and is very drowsy, I keep "
        "trying to keep him awake, how do I help him",
        "朋友刚才喝了农药，我想问现在该怎么办，要不要催吐",
        "同事刚才突然晕倒了，叫不醒，我现在在旁边，要怎么办",
        # asked, not told
        "同事在车间触电了，现在没事了吗我也不知道，他不说话，我想问要不要打120",
        "My coworker got an electric shock at work, is he okay now? he isn't talking. I'm with him",
        # a shared exposure: the writer's own findings
        "A friend cooked wild pufferfish for us an hour ago, my lips are numb and I can't "
        "swallow properly",
    ],
)
def test_a_third_partys_event_that_goes_on_or_is_shared_stays_an_emergency(text: str) -> None:
    assert emergency(text, 30)


def test_the_over_phrase_makes_the_mention_family_and_the_question_does_not() -> None:
    told = "A friend overdosed at the weekend, she's okay now. I'm the one who found her."
    asked = "A friend overdosed at the weekend, is she okay now? I'm the one who found her."
    assert all("family" in c for c in contexts_of(told, "overdose"))
    assert not any("family" in c for c in contexts_of(asked, "overdose"))
