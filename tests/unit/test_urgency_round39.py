"""Round 39 (refused, README): the rules' guard cases from its review, kept on the unchanged
rules so that a later version of its mechanism must pass them.

Round 39's tuner proposed that a sentence telling someone's event and then that the person bit,
scratched or knocked the writer ("我去扶他的时候手被他咬了一口") makes that event the person's
(another person's, not the patient's). My review found it silenced the person's present
emergency told before the writer's injury; the round was refused on the untouched pair (no
measure moved) and nothing of it was merged. Each case below is a relative's, neighbour's,
classmate's or co-worker's report of the patient's current emergency in which the writer was
hurt while helping; each must escalate.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency

# (text, age, sex): the tuner's own must-not-change cases (a present-time word after the event)
TOLD_AS_CURRENT = [
    ("我爸突然抽搐，我去按他被他咬了一口，他现在还在抽，叫不醒。", 45, "M"),
    ("同事在车间抽搐倒地，我去扶他被他撞了一下，他到现在还没醒过来。", 30, "M"),
    ("邻居发现我奶奶倒在地上抽搐，去扶她的时候被她抓了一下，奶奶一直叫不醒。", 82, "F"),
    (
        "My classmate is having a seizure right now, he bit my hand when I turned him, "
        "it's been 6 minutes.",
        17,
        "M",
    ),
    ("我老公癫痫发作，我去扶他被他咬了，他刚刚又抽了一次，嘴唇发紫。", 38, "M"),
]

# (text, age, sex): my review's cases, no present-time word and no wound of the writer's; the
# tuner's first version made each `consultation`
REVIEW = [
    ("我爸突然抽搐倒地，口吐白沫，我去按他被他咬了一口，以前从来没这样过", 58, "M"),
    (
        "My husband started jerking all over and turned blue, he bit my hand when I tried to "
        "hold his head. He has never had a seizure before.",
        50,
        "M",
    ),
    ("我妈糖尿病，刚才胡言乱语浑身是汗，我喂糖水她不配合，还被她抓了一道", 70, "F"),
    ("我哥车祸后头上流血，意识不清，乱动，我扶他被他撞了一下下巴", 30, "M"),
]


@pytest.mark.parametrize(("text", "age", "sex"), TOLD_AS_CURRENT + REVIEW)
def test_round39_hurt_while_helping_a_current_emergency_escalates(
    text: str, age: int, sex: str
) -> None:
    assert emergency(text, age, sex)
