"""Behavioural suite for a trained triage bundle (Made-With-ML style MFT / INV / DIR cases).

    pytest tests/model --bundle models/triage/current [--data-dir ../shared/data]

Minimum functionality (MFT): red flags must escalate, whatever the model says.
Invariance (INV): wording that does not change the complaint must not change the department.
Directional (DIR): age must move a complaint between pediatric and adult departments.
Quality floors need --data-dir: recomputed on the fixed test split, never read from the manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage import TriagePredictor, TriageRequest

PEDIATRIC = {"小儿保健", "小儿呼吸系统疾病", "小儿消化疾病", "小儿耳鼻喉"}


@pytest.fixture(scope="module")
def predictor(bundle_dir: Path) -> TriagePredictor:
    if json.loads((bundle_dir / "manifest.json").read_text())["task"] != "triage":
        pytest.skip("not a triage bundle")
    return TriagePredictor.from_bundle(bundle_dir)


def _top(predictor: TriagePredictor, text: str, age: int | None = None) -> str:
    return predictor.predict([TriageRequest(id="t", text=text, age=age)])[0].departments[0].name


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("胸口压榨样疼痛，向左肩放射，出了一身冷汗", 62),
        ("crushing chest pain spreading to my jaw and I am sweating", 55),
        ("突然右边手脚没力气，说话口齿不清", 70),
        ("孩子抽搐了两分钟，叫不醒", 3),
        ("吃了一整瓶安眠药", 25),
        ("不想活了，想自杀", 19),
        ("怀孕十周，阴道出血很多，肚子剧痛", 30),
        ("吃了花生后喉咙肿，喘不上气", 12),
    ],
)
def test_triage_mft_red_flags_escalate(predictor: TriagePredictor, text: str, age: int) -> None:
    result = predictor.predict([TriageRequest(id="t", text=text, age=age)])[0]
    assert result.urgency == "emergency" and result.red_flags, text


@pytest.mark.parametrize(
    "text",
    [
        "轻微咳嗽两天，没有发烧",
        "脸上长痘痘",
        "体检发现甲状腺结节",
        "没有胸痛，也没有出汗，就是有点累",
    ],
)
def test_triage_mft_routine_complaints_do_not_escalate(
    predictor: TriagePredictor, text: str
) -> None:
    assert predictor.predict([TriageRequest(id="t", text=text, age=35)])[0].urgency == "routine"


@pytest.mark.parametrize(
    ("text", "variant"),
    [
        ("大便出血，肛门有肿物脱出，怀疑痔疮", "大便出血，肛门有肿物脱出，怀疑痔疮。。。"),
        ("甲状腺结节4a类，需要手术吗", "甲状腺结节４ａ类，需要手术吗？"),
        ("膝盖打篮球扭伤，肿了", "膝盖  打篮球扭伤 ，肿了"),
        ("眼睛红肿，流眼泪，有分泌物", "眼睛红肿,流眼泪,有分泌物!"),
        ("腰椎间盘突出，腿麻", "腰椎间盘突出,腿麻,请问医生"),
    ],
)
def test_triage_inv_punctuation_width_and_spacing(
    predictor: TriagePredictor, text: str, variant: str
) -> None:
    assert _top(predictor, text, 40) == _top(predictor, variant, 40)


# Not ear or nose complaints: the 20 departments have no adult ear/nose clinic, so haodf routes
# them to 小儿耳鼻喉 at any age (a known limitation in the model card).
@pytest.mark.parametrize(
    "text", ["咳嗽发烧三天，有痰", "拉肚子两天，一天五六次", "便秘一周，肚子胀", "发烧咳嗽，喉咙痛"]
)
def test_triage_dir_age_moves_between_pediatric_and_adult(
    predictor: TriagePredictor, text: str
) -> None:
    assert _top(predictor, text, 2) in PEDIATRIC
    assert _top(predictor, text, 45) not in PEDIATRIC


@pytest.mark.parametrize(
    ("text", "age", "department"),
    [
        ("甲亢，心慌手抖，TSH很低", 35, "甲状腺疾病"),
        ("肛门疼痛，大便带血，有痔疮", 40, "直肠肛管疾病"),
        ("乳房胀痛，摸到结节", 33, "乳腺外科"),
        ("眼睛看东西模糊，飞蚊症", 50, "眼科"),
        ("怀孕20周，唐筛高风险", 28, "产前检查"),
    ],
)
def test_triage_mft_clear_cases(
    predictor: TriagePredictor, text: str, age: int, department: str
) -> None:
    top3 = [
        d.name
        for d in predictor.predict([TriageRequest(id="t", text=text, age=age)])[0].departments[:3]
    ]
    assert department in top3


def test_triage_quality_floor_on_the_fixed_test_split(
    predictor: TriagePredictor, data_dir: Path
) -> None:
    import numpy as np

    from training.config import TriageDataConfig
    from training.triage.data import load_triage_data

    data_config = TriageDataConfig.model_validate(predictor.bundle.manifest.training_config["data"])
    data_config = data_config.model_copy(
        update={"data_dir": str(data_dir), "feedback": [], "max_train_rows": None}
    )
    test = load_triage_data(data_config).part("test")
    probabilities = predictor.proba_for_buckets(list(test["text"]), list(test["age_bucket"]))
    y = np.searchsorted(predictor.labels, test["department"])
    top = np.argsort(-probabilities, axis=1)
    assert (top[:, 0] == y).mean() >= 0.86
    assert (top[:, :3] == y[:, None]).any(axis=1).mean() >= 0.97


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("今天吐了好几口血，大便是黑色的，头晕心慌", 50),
        ("胸\u200b痛，出了一身冷\u200b汗", 60),
        ("我爸突然說話不清楚，右手沒力氣，嘴也歪了", 72),
        ("怀孕34周，头痛得厉害，眼睛看东西模糊", 31),
    ],
)
def test_triage_mft_unforeseen_wording_escalates(
    predictor: TriagePredictor, text: str, age: int
) -> None:
    result = predictor.predict([TriageRequest(id="t", text=text, age=age)])[0]
    assert result.urgency == "emergency", text
    assert result.reasons and all(
        r.evidence == text[r.start : r.end] for r in result.reasons if r.source == "rule"
    )


@pytest.mark.parametrize(
    "text",
    [
        "身上起了好多疹子，痒的想死，晚上睡不着",
        "孩子三岁了还不太会说话",
        "两周前烫伤了手背，现在结痂在愈合",
        "胸闷四五年了，体检心电图正常",
        "三年前中风过，现在想问问康复训练",
    ],
)
def test_triage_mft_look_alikes_stay_routine(predictor: TriagePredictor, text: str) -> None:
    assert predictor.predict([TriageRequest(id="t", text=text, age=35)])[0].urgency == "routine"
