"""Run configs: one YAML file fully describes one training run, validated with pydantic.

Unknown keys are rejected so a typo cannot silently fall back to a default. `--set a.b=value`
overrides on the command line are applied before validation and logged with the run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from runtime.tasks import TASKS, import_object

DATA_DIR_ENV = "HOSPITAL_DATA_DIR"
DEFAULT_SHARED_DATA = Path("../shared/data")


class Strict(BaseModel):
    """Base for config sections: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class SplitConfig(Strict):
    """Deterministic split by a hash of each row's id, so adding rows never moves old ones."""

    validation_percent: int = Field(10, ge=1, le=40)
    test_percent: int = Field(10, ge=1, le=40)


# the untouched department splits (data/vignettes/departments/README.md)
ENGLISH_HOLDOUT = "en_holdout.jsonl"
SHIFT_HOLDOUT = "zh_shift_holdout.jsonl"


class TriageDataConfig(Strict):
    """Where the complaints come from."""

    source: Literal["auto", "haodf20", "demo"] = "auto"
    data_dir: str | None = None
    demo_path: str = "data/demo/triage.csv"
    departments_path: str = "data/demo/departments.json"
    unlabeled: bool = True
    feedback: list[str] = Field(default_factory=list)
    # hand-written department complaints (data/vignettes/departments/*.jsonl) that join the
    # training split, each `vignette_repeat` times: haodf has almost no English, so English
    # wording is otherwise learned only through the sentence embedding's Chinese neighbours
    vignette_training: list[str] = Field(default_factory=list)
    vignette_repeat: int = Field(1, ge=1, le=100)
    split: SplitConfig = Field(default_factory=SplitConfig)
    max_train_rows: int | None = Field(None, ge=20)

    @model_validator(mode="after")
    def _held_out_splits_stay_out(self) -> TriageDataConfig:
        held_out = {ENGLISH_HOLDOUT, SHIFT_HOLDOUT}
        trained = [p for p in self.vignette_training if Path(p).name in held_out]
        if trained:
            raise ValueError(f"{trained} is an untouched split: never train on it")
        return self


class BlockConfig(Strict):
    """One n-gram block of the TF-IDF features."""

    name: str
    field: int | None = None
    ngram_min: int = Field(1, ge=1, le=5)
    ngram_max: int = Field(2, ge=1, le=5)
    weight: float = Field(1.0, gt=0)
    min_df: int = Field(2, ge=1)


class FeaturesConfig(Strict):
    """Featurizer "triage.char_tfidf.v1" shared by the n-gram families."""

    blocks: list[BlockConfig] = Field(
        default_factory=lambda: [
            BlockConfig(name="text", field=None, ngram_min=1, ngram_max=2, weight=1.0, min_df=2),
            BlockConfig(name="complaint", field=0, ngram_min=1, ngram_max=3, weight=0.5, min_df=2),
            BlockConfig(name="title", field=2, ngram_min=1, ngram_max=3, weight=0.5, min_df=2),
        ]
    )
    age_weight: float = Field(3.0, gt=0)
    sublinear_tf: bool = True
    fit_on_unlabeled: bool = True


class LogRegConfig(Strict):
    """(a) scikit-learn reference: TF-IDF n-grams + multinomial logistic regression."""

    architecture: Literal["triage.tfidf_logreg.v1"] = "triage.tfidf_logreg.v1"
    C: float = Field(20.0, gt=0)
    max_iter: int = Field(3000, ge=10)


class _TfidfMlpSettings(Strict):
    """What the two embedding-bag MLP families, (c) and (d), share."""

    hidden: int = Field(512, ge=8)
    dropout: float = Field(0.5, ge=0, lt=1)
    epochs: int = Field(4, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(1e-3, gt=0)
    disease_loss_weight: float = Field(0.5, ge=0)
    self_training_threshold: float | None = Field(0.7, gt=0, le=1)


class MlpConfig(_TfidfMlpSettings):
    """(c) PyTorch: TF-IDF n-grams -> embedding bag -> ReLU -> departments (+ disease head)."""

    architecture: Literal["triage.tfidf_mlp.v1"] = "triage.tfidf_mlp.v1"


class UsemMlpConfig(_TfidfMlpSettings):
    """(d) The TF-IDF MLP with the multilingual sentence embedding (runtime.usem3.v1) as a second
    input into the same hidden layer. The whole n-gram bag of a row is dropped with probability
    `ngram_dropout` while training, so the embedding alone also classifies: texts with too few
    CJK characters (English) are scored from the embedding only (`min_cjk_share`)."""

    architecture: Literal["triage.tfidf_usem_mlp.v1"] = "triage.tfidf_usem_mlp.v1"
    epochs: int = Field(5, ge=1)
    ngram_dropout: float = Field(0.3, ge=0, lt=1)
    min_cjk_share: float = Field(0.3, ge=0, le=1)
    # A second network on the n-grams alone, its logits averaged with this one's in the same
    # graph (families.fit_usem_mlp). Off by default: configs saved before 2026-12-05 rebuild the
    # single network they described.
    ngram_member: bool = False
    # English complaints that calibrate the embedding-only route; an empty list calibrates it on
    # the validation split with the n-grams dropped. Never files the model trains on
    # (data.vignette_training): since round 8 the English writers' files train the route and
    # the retired holdouts, writers it never saw, calibrate it (one writer's 220 complaints set
    # an abstain threshold that answered too often on new writers).
    english_calibration_paths: list[str] = Field(
        default_factory=lambda: [
            "data/vignettes/departments/en_retired_holdout.jsonl",
            "data/vignettes/departments/en_retired_holdout_r2.jsonl",
        ]
    )

    @model_validator(mode="before")
    @classmethod
    def _one_calibration_path(cls, values: Any) -> Any:
        """Configs saved before 2026-12-03 name one file (`english_calibration_path`)."""
        if isinstance(values, dict) and "english_calibration_path" in values:
            values = dict(values)
            path = values.pop("english_calibration_path")
            values.setdefault("english_calibration_paths", [path] if path else [])
        return values

    @model_validator(mode="after")
    def _english_holdout_stays_held_out(self) -> UsemMlpConfig:
        if any(Path(p).name == ENGLISH_HOLDOUT for p in self.english_calibration_paths):
            raise ValueError(
                f"{ENGLISH_HOLDOUT} is the untouched English split: never calibrate on it"
            )
        return self


class MlmConfig(Strict):
    """Masked-LM pretraining of the transformer before fine-tuning."""

    epochs: int = Field(1, ge=0)
    max_texts: int = Field(20000, ge=0)
    batch_size: int = Field(32, ge=1)
    lr: float = Field(5e-4, gt=0)
    mask_probability: float = Field(0.15, gt=0, lt=1)


class BertConfig(Strict):
    """(b) Hugging Face transformers: a small BERT from a config (or a local checkpoint)."""

    architecture: Literal["triage.bert_classifier.v1"] = "triage.bert_classifier.v1"
    base_model: str | None = None
    vocab_size: int = Field(6000, ge=100)
    hidden_size: int = Field(256, ge=8)
    num_layers: int = Field(4, ge=1)
    num_heads: int = Field(4, ge=1)
    intermediate_size: int = Field(512, ge=8)
    max_length: int = Field(128, ge=8, le=512)
    dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(3, ge=1)
    batch_size: int = Field(32, ge=1)
    lr: float = Field(3e-4, gt=0)
    pretrain: MlmConfig | None = None


ModelConfig = Annotated[
    LogRegConfig | MlpConfig | UsemMlpConfig | BertConfig, Field(discriminator="architecture")
]


class CalibrationConfig(Strict):
    """Temperature scaling and the abstain threshold, both fitted on the validation split."""

    target_selective_accuracy: float = Field(0.95, gt=0, le=1)
    max_abstain_rate: float = Field(0.5, ge=0, le=1)


class DeployConfig(Strict):
    """How the deployed family is picked among the trained ones."""

    max_latency_p99_ms: float = Field(5.0, gt=0)
    latency_requests: int = Field(300, ge=20)


class ExportConfig(Strict):
    """ONNX export check: the run fails when ONNX and the original differ by more than atol."""

    parity_atol: float = Field(1e-4, gt=0)
    parity_examples: int = Field(100, ge=1)
    opset: int = Field(17, ge=13)


class TrackingConfig(Strict):
    """MLflow experiment and registered model name."""

    experiment: str = "triage"
    registered_model: str = "triage"


HOLDOUT_VIGNETTES = "holdout.jsonl"
# every untouched urgency split: the round-13 holdout and the pair written while round 58 was
# prepared (holdout_r60, holdout_r60b), for the next round. A test holds this tuple equal to the
# holdout*.jsonl files on disk, so a new blind file cannot be left out of it
UNTOUCHED_VIGNETTES = (
    HOLDOUT_VIGNETTES,
    "holdout_r60.jsonl",
    "holdout_r60b.jsonl",
)


MentionContext = Literal["negated", "historical", "hypothetical", "family", "in_care", "idiomatic"]


class BackstopMlpConfig(Strict):
    """The backstop network (training/triage/backstop_models.py): n-gram bag + dense -> ReLU ->
    one logit."""

    hidden: int = Field(128, ge=1)
    dropout: float = Field(0.5, ge=0, lt=1)
    epochs: int = Field(6, ge=1)
    batch_size: int = Field(64, ge=1)
    lr: float = Field(0.001, gt=0)


class UrgencyBackstopConfig(Strict):
    """The learned urgency backstop (training/triage/urgency.py): weak labels from the rules."""

    enabled: bool = True
    # "logreg" (triage.urgency_backstop.v1) or "mlp" (triage.urgency_backstop_mlp.v1, settings
    # in `mlp`); both export to the same graph inputs. Round 16 judged the network
    # leave-one-file-out on retired_holdout_r16 and r16b (three seeds, each at its own
    # threshold): per fold pair 584 vs 572 emergencies caught, 6 vs 11 ambulance cases missed,
    # haodf test 1.54% vs 1.62%, but 39.7 vs 34 look-alike false alarms, over the +3 its
    # acceptance rule (written first) allowed; so the regression stayed the default (README,
    # urgency round 16). Round 49 proposed the network again and was refused on the same clause
    # (F +4 with E 102 -> 47, A 38 -> 10 on the untouched r50 pair; README, urgency round 49).
    # Round 50 asked once more, same change and rule, on the untouched r51 pair and was
    # accepted (E 65 -> 28, A 21 -> 10, F 21 -> 20; README, urgency round 50)
    model: Literal["logreg", "mlp"] = "mlp"
    mlp: BackstopMlpConfig = Field(default_factory=BackstopMlpConfig)
    # hand-written, hand-labelled tuning vignettes (never the holdout split)
    vignettes: list[str] = Field(
        default_factory=lambda: [
            "data/vignettes/urgency/tune.jsonl",
            "data/vignettes/urgency/retired_test.jsonl",
            "data/vignettes/urgency/retired_holdout.jsonl",
            "data/vignettes/urgency/retired_holdout_r4.jsonl",
            "data/vignettes/urgency/retired_holdout_r5.jsonl",
            "data/vignettes/urgency/retired_holdout_r6.jsonl",
            "data/vignettes/urgency/retired_holdout_r7.jsonl",
            "data/vignettes/urgency/retired_holdout_r8.jsonl",
            "data/vignettes/urgency/retired_holdout_r9.jsonl",
            "data/vignettes/urgency/retired_holdout_r10.jsonl",
            "data/vignettes/urgency/retired_holdout_r11.jsonl",
            "data/vignettes/urgency/retired_holdout_r12.jsonl",  # round 13 on (README)
            "data/vignettes/urgency/retired_holdout_r14.jsonl",  # round 14 on (README)
            "data/vignettes/urgency/retired_holdout_r15.jsonl",  # round 15 on (README)
            "data/vignettes/urgency/retired_holdout_r16.jsonl",  # round 16 on (README)
            "data/vignettes/urgency/retired_holdout_r16b.jsonl",  # round 16 on (README)
            "data/vignettes/urgency/retired_holdout_r17.jsonl",  # round 17 on (README)
            "data/vignettes/urgency/retired_holdout_r17b.jsonl",  # round 17 on (README)
            "data/vignettes/urgency/retired_holdout_r18.jsonl",  # round 18 on (README)
            "data/vignettes/urgency/retired_holdout_r18b.jsonl",  # round 18 on (README)
            "data/vignettes/urgency/retired_holdout_r19.jsonl",  # round 19 on (README)
            "data/vignettes/urgency/retired_holdout_r19b.jsonl",  # round 19 on (README)
            "data/vignettes/urgency/retired_holdout_r20.jsonl",  # round 20 on (README)
            "data/vignettes/urgency/retired_holdout_r20b.jsonl",  # round 20 on (README)
            "data/vignettes/urgency/retired_holdout_r21.jsonl",  # round 21 on (README)
            "data/vignettes/urgency/retired_holdout_r21b.jsonl",  # round 21 on (README)
            # the r22-r29 pairs were tuning data outside the gold from their retirement (rounds
            # 22 and 23 proposed the r22 / r23 pairs with new rules and were refused by one or
            # two vignettes over three seeds) until round 29 proposed them alone (README, round 29)
            "data/vignettes/urgency/retired_holdout_r22.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r22b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r23.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r23b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r24.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r24b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r25.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r25b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r26.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r26b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r27.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r27b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r28.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r28b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r29.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r29b.jsonl",  # round 29 on (README)
            "data/vignettes/urgency/retired_holdout_r30.jsonl",  # round 30 on (README)
            "data/vignettes/urgency/retired_holdout_r30b.jsonl",  # round 30 on (README)
            # the r31-r41 pairs were tuning data outside the gold from their retirement (round 33
            # proposed r31-r33 alone and was refused: README, urgency round 33) until round 41
            # proposed all 22 files (README, urgency round 41)
            "data/vignettes/urgency/retired_holdout_r31.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r31b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r32.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r32b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r33.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r33b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r34.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r34b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r35.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r35b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r36.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r36b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r37.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r37b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r38.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r38b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r39.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r39b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r40.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r40b.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r41.jsonl",  # round 41 on (README)
            "data/vignettes/urgency/retired_holdout_r41b.jsonl",  # round 41 on (README)
            # the r42 / r43 pairs were tuning data outside the gold from their retirement (rounds
            # 42 and 43) until round 43 proposed them (README, urgency round 43)
            "data/vignettes/urgency/retired_holdout_r42.jsonl",  # round 43 on (README)
            "data/vignettes/urgency/retired_holdout_r42b.jsonl",  # round 43 on (README)
            "data/vignettes/urgency/retired_holdout_r43.jsonl",  # round 43 on (README)
            "data/vignettes/urgency/retired_holdout_r43b.jsonl",  # round 43 on (README)
            # the r44-r46 pairs were tuning data outside the gold from their retirement (rounds
            # 44-46) until round 46 proposed them (README, urgency round 46)
            "data/vignettes/urgency/retired_holdout_r44.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r44b.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r45.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r45b.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r46.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r46b.jsonl",  # round 46 on (README)
            "data/vignettes/urgency/retired_holdout_r47.jsonl",  # round 47 on (README)
            "data/vignettes/urgency/retired_holdout_r47b.jsonl",  # round 47 on (README)
            # round 48 proposed r48 / r48b under the regression and was refused (E and A rose);
            # round 51 proposed r48-r51 under the network and was refused on the haodf rate alone
            # (E 68 -> 29, A 12 -> 7, F 9 -> 10, H +0.117 point against 0.1 allowed); round 53
            # asks for the six pairs r48-r53 under a rule that weighs the haodf rate against the
            # emergencies caught (README, urgency round 53)
            "data/vignettes/urgency/retired_holdout_r48.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r48b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r49.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r49b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r50.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r50b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r51.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r51b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r52.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r52b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r53.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r53b.jsonl",  # round 53 on (README)
            "data/vignettes/urgency/retired_holdout_r54.jsonl",  # round 55 on (README)
            "data/vignettes/urgency/retired_holdout_r54b.jsonl",  # round 55 on (README)
            "data/vignettes/urgency/retired_holdout_r55.jsonl",  # round 55 on (README)
            "data/vignettes/urgency/retired_holdout_r55b.jsonl",  # round 55 on (README)
            "data/vignettes/urgency/retired_holdout_r56.jsonl",  # round 56 on (README)
            "data/vignettes/urgency/retired_holdout_r56b.jsonl",  # round 56 on (README)
            # round 57 proposed the r57 pair with train_r57{,b} (TRAIN_R57_README.md) and was
            # refused (E 10 -> 15, A 1 -> 3 on r58 / r58b): they stay tuning data outside it
            # round 54 proposed r54 / r54b alone and was refused (E 16 -> 17 on r55 / r55b);
            # round 55 added them with the r55 pair and was accepted (E 36 -> 30 on r56 / r56b;
            # README, urgency rounds 54 and 55)
            # written for the gold by four fresh writers (TRAIN_R30_README.md)
            "data/vignettes/urgency/train_r30.jsonl",  # round 30 on (README)
            "data/vignettes/urgency/train_r30b.jsonl",  # round 30 on (README)
            # written for the gold by four fresh writers (TRAIN_R56_README.md)
            "data/vignettes/urgency/train_r56.jsonl",  # round 56 on (README)
            "data/vignettes/urgency/train_r56b.jsonl",  # round 56 on (README)
            "data/vignettes/urgency/train.jsonl",
            # train_lookalikes_r8.jsonl (480 written look-alikes) is not in the default: with
            # retired_holdout_r7 left out it cut look-alike false alarms 11.5% -> 7.6% but lost
            # one emergency, and with r6 left out it changed nothing, so it failed round 8's
            # acceptance rule (README, urgency round 8); in round 11 it passed alone but added
            # nothing on top of lookalike_weight 10 (README, urgency round 11); add it here to
            # use it
        ]
    )
    # the weight of a gold emergency. 5 from the first rounds, set for the regression; round 52
    # proposed 10 (as much as a gold look-alike) under the network and was refused: on the
    # untouched r53 pair over three seeds E 24 -> 24, A 1 -> 2, F 12 -> 12 (README, urgency
    # round 52)
    vignette_weight: float = Field(5.0, gt=0)
    # the weight of a gold look-alike (a routine vignette); see add_gold in
    # training/triage/urgency.py for why it may differ from vignette_weight. 40 with 1% below
    # removed the most false alarms with retired_holdout_r6 (and r5) left out of training, but on
    # the untouched round-7 holdout it cost recall (0.960 -> 0.947, ambulance missed 4 -> 7) for
    # fewer look-alike false alarms (10.8% -> 6.9%): a missed ambulance case costs more than a
    # false alarm. Round 11 doubled it to 10: with retired_holdout_r10, then r9, left out of the
    # gold it cut the backstop's look-alike false alarms 9 -> 3 and 8 -> 2 with no emergency lost
    # and the haodf test rate unchanged (README, urgency round 11)
    lookalike_weight: float = Field(10.0, gt=0)
    cblue_max_texts: int = Field(30000, ge=0)
    # Symptom2Disease English descriptions join the weak labels (4/5) and bound the threshold
    # on English (1/5): without them English wording itself looks like an emergency
    english_corpus: bool = True
    C: float = Field(4.0, gt=0)
    min_df: int = Field(2, ge=1)
    # the multilingual sentence embedding beside the n-grams (runtime/sentence_encoder.py)
    sentence_encoder: bool = True
    # the rules' reading of context as dense features beside the n-grams and embedding
    # (triage/urgency/context.py, ContextFeatures): emergency concepts current vs negated,
    # historical, hypothetical, family, in care, idiomatic or chronic. Off: judged by
    # leave-one-out on retired_holdout_r7 and r6 it lost emergencies on both (README, round 8)
    context_features: bool = False
    # mention contexts whose emergency-concept words are masked ("没有□□") in the n-gram input
    # (DiscountMask; the embedding still reads the whole text), and whether chronic mentions
    # are too. Off by default: see README, urgency round 8, for the leave-one-out figures
    mask_contexts: list[MentionContext] = Field(default_factory=list)
    mask_chronic: bool = False
    # the n-grams read written Cantonese as Mandarin (triage/urgency/data/dialect_ngrams.json,
    # NgramDialect; the rules and the sentence embedding are unchanged), at training and serving:
    # the bundle ships the table and names it (triage.urgency_dialect_ngrams.v1). Off by default
    # until judged (README, urgency round 44)
    dialect_ngrams: bool = False
    # the most real requests (haodf validation, rule-routine) the backstop may raise. Round 12
    # lowered it from 0.003 to 0.001: with retired_holdout_r11, then r10, left out of the gold it
    # lost no emergency and cut look-alike false alarms 4 -> 3 and one fit's haodf test rate
    # 2.01% -> 1.84% (README, urgency round 12); the English bound below often decides anyway.
    # Round 13 tried 0.0005 (haodf test 1.92% -> 1.66% with r12 left out) and kept 0.001: with
    # retired_holdout_r11 left out it lost an emergency (README, urgency round 13). Round 17 tried
    # 0.004 with max_added_rate_english 0.02 (alone it moves nothing: the English bound decides):
    # with retired_holdout_r16 left out, the same graph at threshold 0.719 instead of 0.925 caught
    # 4 more emergencies (2 ambulance) but raised 9 more look-alike false alarms and haodf test
    # 1.66% -> 2.01%, failing its rule (README, urgency round 17)
    max_added_rate: float = Field(0.001, ge=0, le=0.1)
    # the same bound on the held-out English texts (a fifth of Symptom2Disease, ~230): 0.3% of
    # them is less than one text, so that bound was in effect their highest score, and one
    # English text set the threshold for every complaint; 1% was tried in round 7 and kept out
    # with lookalike_weight 40 (see above). Round 20 made 1% the default together with
    # threshold_folds 5 (below): over three fits on the untouched holdout_r21 + r21b that pool
    # missed 39 emergencies instead of 49 and 3 ambulance cases instead of 5, with the same
    # look-alike false alarms (57) and haodf test 1.81% vs 1.78%, passing the rule written
    # before it was run (README, urgency round 20)
    max_added_rate_english: float = Field(0.01, ge=0, le=0.1)
    # with 2 or more folds, both rates above are taken over the validation / held-out English
    # texts PLUS every rule-routine haodf train, unlabeled and English training text scored out
    # of fold (a model fitted without that fold; ~16,500 requests and ~920 English texts): the
    # real-request bound is then the ~50th-highest score, not the 4th of ~1,050, and over eight
    # fits its standard deviation fell from 0.030 to 0.010 (README, urgency round 9). Off (0)
    # until round 20: with the English bound at 0.3% it lost emergencies on retired_holdout_r8
    # and at 1% it raised false alarms on r7, so it failed round 9's leave-one-out rule; rounds
    # 19 and 20 measured it (with the 1% English bound) on three fresh blind pairs, and round
    # 20's pre-registered rule adopted it (see max_added_rate_english)
    threshold_folds: int = Field(5, ge=0, le=20)
    min_threshold: float = Field(0.5, gt=0, lt=1)
    # vignettes the backstop never trains on, for its threshold: the look-alikes' false alarms
    # (rules + backstop) must stay within max_lookalike_false_alarms
    threshold_vignettes: str | None = "data/vignettes/urgency/dev.jsonl"
    max_lookalike_false_alarms: float = Field(0.03, ge=0, le=1)

    @model_validator(mode="after")
    def _held_out_stays_held_out(self) -> UrgencyBackstopConfig:
        names = {Path(p).name for p in self.vignettes}
        for untouched in UNTOUCHED_VIGNETTES:
            if untouched in names or Path(self.threshold_vignettes or "").name == untouched:
                raise ValueError(f"{untouched} is an untouched test split: never train on it")
        if self.threshold_vignettes and Path(self.threshold_vignettes).name in names:
            raise ValueError("threshold_vignettes must not also be training vignettes")
        return self


class TriageConfig(Strict):
    """A full triage training run."""

    task: Literal["triage"] = "triage"
    seed: int = 13
    output_dir: str = "build/triage"
    data: TriageDataConfig = Field(default_factory=TriageDataConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    models: list[ModelConfig] = Field(min_length=1)
    families: list[str] | None = Field(
        None,
        description="architectures of `models` this run trains; null trains and compares all",
    )
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    deploy: DeployConfig = Field(default_factory=DeployConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    urgency: UrgencyBackstopConfig = Field(default_factory=UrgencyBackstopConfig)

    @model_validator(mode="after")
    def _known_families(self) -> TriageConfig:
        known = [m.architecture for m in self.models]
        unknown = sorted(set(self.families or []) - set(known))
        if unknown or self.families == []:
            raise ValueError(f"families {unknown or '[]'}: each must be one of models: {known}")
        return self

    @model_validator(mode="after")
    def _calibration_is_not_training(self) -> TriageConfig:
        # a temperature fitted on complaints the model trained on would read it as too sure
        trained = {Path(p).resolve() for p in self.data.vignette_training}
        for model in self.models:
            paths = getattr(model, "english_calibration_paths", [])
            both = sorted(str(p) for p in paths if Path(p).resolve() in trained)
            if both:
                raise ValueError(f"{both}: calibration files must not also be training vignettes")
        return self

    def trained_models(self) -> list[ModelConfig]:
        """The model configs this run trains (`families`, else all of `models`)."""
        if self.families is None:
            return list(self.models)
        return [m for m in self.models if m.architecture in self.families]


class PrescriptionDataConfig(Strict):
    """Knowledge sources: ../shared/data/safety when present, else the demo tables."""

    source: Literal["auto", "shared", "demo"] = "auto"
    data_dir: str | None = None
    demo_dir: str = "data/demo/prescription"
    curated_dir: str = "prescription/curated"


class InteractionModelConfig(Strict):
    """The learned pair model (training.prescription.pair_net.InteractionModel)."""

    architecture: Literal["prescription.ddi_pair_mlp.v1"] = "prescription.ddi_pair_mlp.v1"
    fingerprint_bits: int = Field(1024, ge=0)
    hidden: int = Field(256, ge=8)
    embed_dim: int = Field(64, ge=4)
    dropout: float = Field(0.2, ge=0, lt=1)
    id_drop: float = Field(0.5, ge=0, le=1)
    feature_drop: float = Field(0.2, ge=0, lt=1)
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(2048, ge=8)
    lr: float = Field(2e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    class_weight_power: float = Field(0.75, ge=0)
    severity_loss_weight: float = Field(1.0, ge=0)
    block_drop: float = Field(0.25, ge=0, lt=1)
    val_fraction: float = Field(0.05, gt=0, lt=0.5)
    val_drug_fraction: float = Field(0.1, gt=0, lt=0.5)
    min_calibration: int = Field(100, ge=1)
    prior_alpha: float = Field(1.0, gt=0)
    prior_level: Literal[2, 3, 4] = 4
    calibration_class_weighted: bool = False


class SplitsConfig(Strict):
    """Held-out evaluation: random pairs, one new drug, two new drugs."""

    test_fraction: float = Field(0.1, gt=0, lt=0.5)
    new_drug_fraction: float = Field(0.1, gt=0, lt=0.5)
    min_partners: int = Field(20, ge=1)
    negative_ratio: float = Field(1.0, gt=0)
    # Share of the training negatives drawn in proportion to how often their two drugs are listed
    # (the rest uniformly): without them the model learns which drugs interact a lot, not which
    # pairs do. Test sets get both kinds, reported apart (auroc, auroc_hard).
    hard_negative_fraction: float = Field(1.0, ge=0, le=1)


class AlertConfig(Strict):
    """Alert policy stored in the bundle."""

    model_alert_threshold: float = Field(0.8, gt=0, le=1)
    min_interaction_level: Literal["contraindicated", "major", "moderate", "minor"] = "moderate"
    novelty_threshold: float | None = Field(None, ge=0, le=1)
    suppress: list[str] = Field(default_factory=list)


class PrescriptionConfig(Strict):
    """A full prescription-checker build: knowledge base + learned interaction model."""

    task: Literal["prescription"] = "prescription"
    seed: int = 0
    output_dir: str = "build/prescription"
    data: PrescriptionDataConfig = Field(default_factory=PrescriptionDataConfig)
    model: InteractionModelConfig = Field(default_factory=InteractionModelConfig)
    splits: SplitsConfig = Field(default_factory=SplitsConfig)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    tracking: TrackingConfig = Field(
        default_factory=lambda: TrackingConfig(
            experiment="prescription", registered_model="prescription"
        )
    )


class RecommendDataConfig(Strict):
    """Which interactions, and which evaluation task.

    `auto` (demo configs only) means the Instacart sample when the shared data has it, else
    the hand-written demo missions.
    """

    source: Literal["tafeng", "amazon_health", "amazon_beauty", "instacart", "demo", "auto"]
    task: Literal["cart_completion", "next_item"]
    data_dir: str | None = None
    demo_dir: str = "data/demo/recommend"
    demo_users: int = Field(600, ge=20)
    validation_percent: int = Field(10, ge=1, le=40)
    test_percent: int = Field(10, ge=1, le=40)
    max_validation_cases: int = Field(4000, ge=100, description="tuning subsample")


class CatalogueConfig(Strict):
    """Products linked to drug ingredients for the safety filter (by aisle or department)."""

    link_aisles: list[str] = Field(default_factory=list)
    link_departments: list[str] = Field(default_factory=list)


class SafetyConfig(Strict):
    """The prescription bundle the recommender embeds and filters with (null: no filter)."""

    prescription_bundle: str | None = None


class RecommendModelConfig(Strict):
    """One model: a versioned architecture name and its constructor parameters."""

    name: str = Field(description="what the run calls it, e.g. item_knn_basket")
    architecture: Literal[
        "recommend.popularity.v1",
        "recommend.item_knn.v1",
        "recommend.transition.v1",
        "recommend.ease.v1",
        "recommend.als.v1",
        "recommend.sasrec.v1",
        "recommend.spark_cooccurrence.v1",
        "recommend.spark_als.v1",
    ]
    params: dict[str, Any] = Field(default_factory=dict)


class BlendConfig(Strict):
    """The blend of item-graph models tuned on validation (coordinate ascent)."""

    components: list[str] = Field(default_factory=list, description="model names")
    rounds: int = Field(2, ge=1)
    neighbours: int = Field(100, ge=1)


class HybridConfig(Strict):
    """The blend plus a sequential model's scores (weight and temperature tuned on validation)."""

    sequential: str | None = Field(None, description="name of a recommend.sasrec.v1 model")


class RecommendDeployConfig(Strict):
    """How the deployed model is chosen: the best on validation of the models, the blend and
    the hybrid."""

    metric: Literal["hr@10", "ndcg@10"] = "hr@10"
    blend: BlendConfig = Field(default_factory=BlendConfig)
    hybrid: HybridConfig = Field(default_factory=HybridConfig)
    force: str | None = Field(
        None, description="deploy this model or 'blend'/'hybrid' whatever validation says"
    )
    history_baskets: int = Field(10, ge=1, description="recent baskets per user in the bundle")
    examples: int = Field(8, ge=1)


class RecommendConfig(Strict):
    """A full recommender run: data -> all models -> evaluation -> deployed model -> bundle."""

    task: Literal["recommend"] = "recommend"
    seed: int = 0
    output_dir: str = "build/recommend"
    data: RecommendDataConfig
    catalogue: CatalogueConfig = Field(default_factory=CatalogueConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    models: list[RecommendModelConfig]
    deploy: RecommendDeployConfig = Field(default_factory=RecommendDeployConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    tracking: TrackingConfig = Field(
        default_factory=lambda: TrackingConfig(experiment="recommend", registered_model="recommend")
    )


class DataError(ValueError):
    """Input data or a curated table breaks its contract; the message names the bad rows."""


class ConfigError(ValueError):
    """A config file is missing, not YAML, or does not validate."""


# `key.sub`, `list.0` or `models[triage.tfidf_mlp.v1]`: a list entry by its architecture (whose
# name has dots of its own) or its `name`; the index of a family in a config is not something
# to remember.
_OVERRIDE_PART = re.compile(r"\[([^\]]+)\]|([^.\[\]]+)")


def _override_parts(key: str) -> list[str]:
    """`models[a.b.v1].hidden` -> ['models', '[a.b.v1]', 'hidden']; a key that does not read
    back the same (stray brackets or dots) is refused."""
    parts: list[str] = []
    rebuilt = ""
    for bracketed, plain in _OVERRIDE_PART.findall(key):
        if bracketed:
            parts.append(f"[{bracketed}]")
        else:
            parts.append(plain)
            rebuilt += "." if rebuilt else ""
        rebuilt += parts[-1]
    if not parts or rebuilt != key:
        raise ValueError(f"cannot read the key {key!r}")
    return parts


def _child(node: Any, part: str) -> Any:
    """The list entry or mapping key `part` names in `node` (a missing mapping key is created)."""
    if isinstance(node, list):
        if part.startswith("["):
            name = part[1:-1]
            for entry in node:
                if not isinstance(entry, dict):
                    continue
                if name in (entry.get("architecture"), entry.get("name")):
                    return entry
            raise ValueError(f"no entry with architecture or name {name!r}")
        return node[int(part)]
    return node.setdefault(part, {})


def _apply_override(tree: dict[str, Any], dotted: str) -> None:
    if "=" not in dotted:
        raise ConfigError(f"override {dotted!r} must look like key.sub=value")
    key, raw = dotted.split("=", 1)
    value = yaml.safe_load(raw)
    node: Any = tree
    parts = _override_parts(key)
    for part in parts[:-1]:
        node = _child(node, part)
    last = parts[-1]
    if isinstance(node, list):
        if last.startswith("["):
            raise ValueError("an architecture selects an entry; name a field after it")
        node[int(last)] = value
    else:
        node[last] = value


def _refuse_untrained_overrides(tree: dict[str, Any], overrides: list[str]) -> None:
    """A hyperparameter set on a family this run does not train (not in `families`) would be
    silently ignored: refuse it, and say how to train that family."""
    families = tree.get("families")
    if not isinstance(families, list) or not isinstance(tree.get("models"), list):
        return
    for override in overrides:
        parts = _override_parts(override.split("=", 1)[0])
        if parts[0] != "models" or len(parts) < 3:
            continue
        architecture = _child(tree["models"], parts[1]).get("architecture")
        if architecture not in families:
            raise ConfigError(
                f"override {override!r} sets {architecture}, which this run does not train "
                f"(families: {families}); add --set 'families=[{architecture}]'"
            )


def load_config(path: str | Path, overrides: list[str] | None = None) -> Strict:
    """Read a YAML run config, apply `key.sub=value` overrides, and validate it.

    Raises:
        ConfigError: naming the file and every invalid field.
    """
    path = Path(path)
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from exc
    if not isinstance(tree, dict):
        raise ConfigError(f"config {path} must be a mapping")
    for override in overrides or []:
        try:
            _apply_override(tree, override)
        except (IndexError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"cannot apply override {override!r}: {exc}") from exc
    _refuse_untrained_overrides(tree, overrides or [])
    task = tree.get("task")
    if task not in TASKS or not TASKS[task].config:
        known = sorted(name for name, spec in TASKS.items() if spec.config)
        raise ConfigError(f"config {path}: task must be one of {known}, got {task!r}")
    config_type: type[Strict] = import_object(TASKS[task].config)
    try:
        return config_type.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(f"config {path} is invalid:\n{exc}") from exc


def resolve_data_dir(configured: str | None) -> Path | None:
    """The shared data directory: the config's, else $HOSPITAL_DATA_DIR, else ../shared/data.

    Raises:
        DataError: a directory named explicitly (config, --data-dir or $HOSPITAL_DATA_DIR) does
            not exist: a typo must never train on the demo set instead.
    """
    for origin, candidate in (
        ("data.data_dir (or --data-dir)", configured),
        (f"${DATA_DIR_ENV}", os.environ.get(DATA_DIR_ENV)),
    ):
        if candidate:
            path = Path(candidate)
            if not path.is_dir():
                raise DataError(
                    f"data directory {path} (from {origin}) does not exist; fix the path, or "
                    "set data.source=demo to train on the demo set"
                )
            return path
    return DEFAULT_SHARED_DATA if DEFAULT_SHARED_DATA.is_dir() else None


def auto_source(configured: str | None, present: bool, real: str, needs: str) -> str:
    """What `data.source: auto` means: `real` when its files are present; the demo set only when
    no data directory was named explicitly (then a missing source is an error, not a fallback).

    Args:
        configured: the config's data_dir.
        present: whether the real source's files were found.
        real: the real source's name.
        needs: what the real source needs under the data directory (for the message).
    """
    if present:
        return real
    if configured or os.environ.get(DATA_DIR_ENV):
        raise DataError(
            f"data.source=auto: the data directory {resolve_data_dir(configured)} has no {needs}; "
            "fix the path, or set data.source=demo to train on the demo set"
        )
    return "demo"
