"""`--set` overrides: dotted keys, list indexes, list entries by architecture or name, and the
refusal of a setting this run would ignore."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = ROOT / "configs/triage.yaml"
RECOMMEND = ROOT / "configs/recommend_demo.yaml"


def _models(config):  # architecture -> model config
    return {m.architecture: m for m in config.models}


def test_entry_by_architecture_sets_only_that_family() -> None:
    config = load_config(
        TRIAGE,
        ["families=[triage.tfidf_mlp.v1]", "models[triage.tfidf_mlp.v1].hidden=512"],
    )
    models = _models(config)
    assert models["triage.tfidf_mlp.v1"].hidden == 512
    assert models["triage.tfidf_usem_mlp.v1"].hidden == 256
    assert config.families == ["triage.tfidf_mlp.v1"]


def test_index_and_dotted_keys_still_work() -> None:
    config = load_config(TRIAGE, ["models.3.epochs=2", "seed=5", "data.split.test_percent=20"])
    assert _models(config)["triage.tfidf_usem_mlp.v1"].epochs == 2
    assert config.seed == 5 and config.data.split.test_percent == 20


def test_recommender_entry_by_name() -> None:
    config = load_config(RECOMMEND, ["models[item_knn].params.alpha=0.25"])
    knn = next(m for m in config.models if m.name == "item_knn")
    assert knn.params["alpha"] == 0.25


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("models[triage.tfidf_mlp.v1].hidden=512", "add --set 'families=[triage.tfidf_mlp.v1]'"),
        ("models.0.C=5", "which this run does not train"),
        ("models[no.such.v1].hidden=1", "no entry with architecture or name 'no.such.v1'"),
        ("models[triage.tfidf_mlp.v1=3", "cannot read the key"),
        ("models.[x].hidden=1", "cannot read the key"),
        ("models[triage.tfidf_mlp.v1]=3", "name a field after it"),
        ("seed", "must look like key.sub=value"),
    ],
)
def test_bad_or_ignored_overrides_are_refused(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(TRIAGE, [override])
    assert message in str(caught.value)


def test_every_family_trained_accepts_any_family_setting() -> None:
    config = load_config(TRIAGE, ["families=null", "models[triage.tfidf_logreg.v1].C=3"])
    assert _models(config)["triage.tfidf_logreg.v1"].C == 3
