"""Golden inputs written into every triage bundle's examples.jsonl (hand-written, not from data).

They cover Chinese and English, multi-field and free text, red flags, negated red flags, a missing
age and a long text; their outputs are recorded at export and replayed at every load.
"""

from __future__ import annotations

from typing import Any

GOLDEN_REQUESTS: list[dict[str, Any]] = [
    {"id": "golden-01", "text": "咳嗽三天，有黄痰，低烧37.8度", "age": 35, "sex": "M"},
    {
        "id": "golden-02",
        "text": "宝宝腹泻两天，一天拉五六次稀水便;精神还可以;宝宝拉肚子;需要吃什么药",
        "age": 1,
    },
    {
        "id": "golden-03",
        "text": "甲状腺结节4a类，大小1.2cm;体检发现;甲状腺结节要手术吗;请医生看看报告",
        "age": 42,
        "sex": "F",
    },
    {"id": "golden-04", "text": "胸口剧烈疼痛半小时，疼到左臂，满头大汗", "age": 58, "sex": "M"},
    {
        "id": "golden-05",
        "text": "My knee gave way while playing basketball and it is swollen, I heard a pop",
        "age": 24,
    },
    {"id": "golden-06", "text": "没有胸痛，也没有出汗，就是偶尔心慌", "age": 30, "sex": "F"},
    {"id": "golden-07", "text": "怀孕8周，今天下面出血，肚子很痛", "age": 29, "sex": "F"},
    {"id": "golden-08", "text": "脸上长了很多痘痘，又红又肿，用了很多护肤品都没用"},
    {
        "id": "golden-09",
        "text": "大便后肛门滴血，鲜红色，有肉球脱出;痔疮;便血怎么办;要不要手术",
        "age": 45,
    },
    {
        "id": "golden-10",
        "text": "Sudden weakness of my right arm and my speech is slurred since this morning",
        "age": 67,
    },
    {"id": "golden-11", "text": "腰疼很多年了，" * 200, "age": 52},
    # invisible characters and traditional characters must not switch urgency off
    {"id": "golden-12", "text": "胸\u200b口\u00ad疼，出了一身冷\ufeff汗", "age": 61, "sex": "M"},
    {"id": "golden-13", "text": "我爸突然說話不清楚，右手沒力氣，嘴也歪了", "age": 72},
    # history, hypothesis and idiom must not raise it
    {"id": "golden-14", "text": "三年前中风过，现在想咨询一下康复训练", "age": 70},
    {"id": "golden-15", "text": "身上起了好多疹子，痒的想死，晚上睡不着", "age": 33},
]
