"""Round-32 behaviour of the urgency table: look-alike kinds read on the retired r31 / r32 pairs,
written as general cues of each kind. An event already in care told with ward or admission words
("on the psychiatric ward", "我在烧伤科住着", "admitted after a seizure"), a question asked ahead of
time ("想提前知道", "多少算大出血", "what counts as", "could I have a seizure from"), an idiom built
on "...得我想..." or "feel like I've been hit by a truck", history told as "中毒过一回", and a third
party's death told as "没救回来". Tested on tuning lines and wordings of its own, with opposites
that must stay emergencies: the same question words beside a finding happening now.
"""

from __future__ import annotations

import pytest

from tests.unit.urgency_cases import emergency


@pytest.mark.parametrize(
    "text",
    [
        # tuning lines
        "My son is on the psychiatric ward after a suicide attempt, doctors say he's doing well. "
        "Can we bring him his phone and laptop?",
        "我在烧伤科住着，手上二度烫伤换了三次药了，想问以后会不会留疤。",
        "Admitted after a seizure on Friday, scans were clear, neurology seeing me tomorrow. Am I "
        "allowed to shower on my own?",
        "糖尿病人低血糖晕了，家里人应该喂糖还是打120？我刚确诊糖尿病，想提前知道。",
        "下个月就生了，想问生完以后出血多少算正常，多少算大出血？先心里有个数。",
        "Could I have a seizure from flashing lights? Never had one but I game a lot and read about "
        "it online.",
        "上班上得我想跳楼，天天被领导骂，不是真的想跳啊，就是最近睡不好，胃口也不好。",
        "Feel like I've been hit by a truck, aching all over with a cold, temp 37.9.",
        "年时冬天家里生炉子煤烟中毒过一回，送医院吸了氧好了，现在记性好像差了，是不是那回落下的？",
        # own wordings
        "My dad is on the cardiology ward after a heart attack, stable and walking about. Can he "
        "have visitors every day?",
        "老人要是突然嘴歪了、说话不清，第一时间该干啥？想提前知道，家里现在都好好的。",
        "What counts as a high fever in a toddler? Mine is 2 and fine, I just like to know.",
        "这个月加班加得我想死，天天十二点才下班，就是累，睡一觉就缓过来了。",
        "I feel like I've been hit by a bus after my first spin class, legs aching, otherwise fine.",
    ],
)
def test_round32_lookalikes_stay_routine(text: str) -> None:
    assert not emergency(text, 35)


@pytest.mark.parametrize(
    "text",
    [
        "多少算大出血？我刚生完孩子两小时，现在一直在流，已经湿透了三块垫子，头晕",
        "What counts as heavy bleeding? I had my baby this morning and I've soaked through three "
        "pads in an hour and feel faint",
        "Could I have had a stroke? Since this morning my face droops on one side and my speech is "
        "slurred",
        "我妈在病房里住着，刚才突然叫不醒了",
        "我在烧伤科住着，今天突然高烧寒战，伤口流脓发臭，人有点糊涂",
        "My mum is on the ward for hip surgery, just now she's gone very confused and breathing fast",
        "工作累得我想死，真的有时候想从楼上跳下去，已经写好了遗书",
        "我老公被蛇咬了会怎样？脚肿得很快，已经肿到膝盖了",
    ],
)
def test_round32_cues_leave_a_finding_happening_now_an_emergency(text: str) -> None:
    assert emergency(text, 35)
