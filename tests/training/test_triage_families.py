"""Family-level training paths the demo pipeline run does not reach: a local pretrained
checkpoint for the transformer (`base_model:`), and self-training on unlabelled requests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from training.config import TriageConfig, load_config
from training.export import check_parity, save_and_open
from training.triage.data import TriageData, load_triage_data
from training.triage.trained import Trained

from ..conftest import ROOT, TINY_TRIAGE_OVERRIDES


@pytest.fixture(scope="module")
def demo() -> tuple[TriageConfig, TriageData]:
    config = load_config(ROOT / "configs/triage.yaml", TINY_TRIAGE_OVERRIDES)
    return config, load_triage_data(config.data)  # type: ignore[arg-type]


def _parity(trained: Trained, data: TriageData, tmp_path: Path) -> float:
    model, _ = save_and_open(trained.onnx_model, tmp_path / "model.onnx")
    part = data.part("validation")
    feeds = [
        trained.encoder(list(part["text"][i : i + 8]), list(part["age_bucket"][i : i + 8]))
        for i in range(0, 24, 8)
    ]
    return check_parity(trained.reference, model, feeds, atol=1e-4)


def test_families_bert_fine_tunes_a_local_checkpoint(
    demo: tuple[TriageConfig, TriageData], tmp_path: Path
) -> None:
    from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

    from training.triage.bert import train_bert_classifier, train_tokenizer

    config, data = demo
    tokenizer = train_tokenizer(list(data.frame["text"]), vocab_size=300)
    checkpoint = tmp_path / "checkpoint"
    BertForMaskedLM(
        BertConfig(
            vocab_size=tokenizer.get_vocab_size(),
            hidden_size=24,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=48,
            max_position_embeddings=40,
        )
    ).save_pretrained(checkpoint)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    ).save_pretrained(checkpoint)
    model_config = config.models[1].model_copy(
        update={"base_model": str(checkpoint), "max_length": 64}
    )
    trained = train_bert_classifier(model_config, config, data)  # type: ignore[arg-type]
    # The checkpoint, not the config, decides the architecture: 24 wide, 40 positions at most.
    assert trained.eager_model.config.hidden_size == 24
    assert trained.preprocessing["max_length"] == 40
    assert _parity(trained, data, tmp_path) <= 1e-4


def test_families_bert_checkpoint_without_tokenizer_is_refused(
    demo: tuple[TriageConfig, TriageData], tmp_path: Path
) -> None:
    from training.triage.bert import train_bert_classifier

    config, data = demo
    (tmp_path / "empty").mkdir()
    model_config = config.models[1].model_copy(update={"base_model": str(tmp_path / "empty")})
    with pytest.raises(FileNotFoundError, match=r"no tokenizer.json or vocab.txt"):
        train_bert_classifier(model_config, config, data)  # type: ignore[arg-type]


def test_families_mlp_self_trains_on_unlabelled_requests(
    demo: tuple[TriageConfig, TriageData], tmp_path: Path
) -> None:
    from training.triage.families import fit_mlp
    from training.triage.tfidf import fit_featurizer

    config, data = demo
    train = data.part("train")
    # Unlabelled requests: the training texts themselves, which a fitted teacher labels confidently.
    with_unlabeled = TriageData(
        frame=data.frame,
        labels=data.labels,
        diseases=data.diseases,
        source=data.source,
        sha256=data.sha256,
        files=data.files,
        unlabeled=pd.DataFrame({"text": train["text"], "age_bucket": train["age_bucket"]}),
    )
    model_config = config.models[2].model_copy(
        update={
            "epochs": 10,
            "hidden": 32,
            "lr": 0.01,
            "dropout": 0.0,
            "self_training_threshold": 0.5,
        }
    )
    featurizer = fit_featurizer(config, list(train["text"]))
    trained = fit_mlp(model_config, config, with_unlabeled, featurizer)  # type: ignore[arg-type]
    assert trained.params["pseudo_labelled_rows"] > 0
    assert _parity(trained, data, tmp_path) <= 1e-4


URGENCY_VIGNETTES = ROOT / "data/vignettes/urgency"


def _untouched_settings() -> list[dict]:
    from training.config import UNTOUCHED_VIGNETTES

    settings: list[dict] = [
        {"vignettes": [f"data/vignettes/urgency/{name}"]} for name in UNTOUCHED_VIGNETTES
    ]
    settings.append({"threshold_vignettes": f"data/vignettes/urgency/{UNTOUCHED_VIGNETTES[-1]}"})
    settings.append({"vignettes": ["data/vignettes/urgency/dev.jsonl"]})  # the threshold split
    return settings


@pytest.mark.parametrize("settings", _untouched_settings(), ids=str)
def test_backstop_config_refuses_training_on_held_out_vignettes(settings: dict) -> None:
    from pydantic import ValidationError

    from training.config import UNTOUCHED_VIGNETTES, UrgencyBackstopConfig

    with pytest.raises(ValidationError, match=r"never train on it|must not also be training"):
        UrgencyBackstopConfig(**settings)
    defaults = {Path(p).name for p in UrgencyBackstopConfig().vignettes}
    assert not defaults & set(UNTOUCHED_VIGNETTES)


def test_every_blind_file_on_disk_is_untouched_and_benched() -> None:
    """A new holdout file left out of UNTOUCHED_VIGNETTES could be trained on; one left out of
    the bench's splits could never be measured. Both lists are edited by hand each round."""
    from bench.urgency import SPLITS
    from training.config import UNTOUCHED_VIGNETTES

    on_disk = {path.name for path in URGENCY_VIGNETTES.glob("holdout*.jsonl")}
    assert on_disk == set(UNTOUCHED_VIGNETTES)
    every_file = {path.stem for path in URGENCY_VIGNETTES.glob("*.jsonl")}
    # train_r56{,b} and train_r57{,b} were written for the gold (README): round 56 added its
    # pair, round 57 was refused and train_r57{,b} stay tuning data outside the gold
    training_only = {
        "train",
        "train_lookalikes_r8",
        "train_r30",
        "train_r30b",
        "train_r56",
        "train_r56b",
        "train_r57",
        "train_r57b",
    }
    benched_or_training_only = set(SPLITS) | training_only
    assert every_file <= benched_or_training_only, every_file - benched_or_training_only


def test_english_route_calibrates_on_the_retired_files_never_the_holdout() -> None:
    from pydantic import ValidationError

    from training.config import UsemMlpConfig

    default = UsemMlpConfig().english_calibration_paths
    assert [Path(p).name for p in default] == [
        "en_retired_holdout.jsonl",
        "en_retired_holdout_r2.jsonl",
    ]
    deployed = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(deployed, TriageConfig)
    usem = next(m for m in deployed.models if m.architecture == "triage.tfidf_usem_mlp.v1")
    assert usem.english_calibration_paths == default  # type: ignore[union-attr]
    assert all((ROOT / p).is_file() for p in default)
    # a config saved with the old single-file key still loads
    old = UsemMlpConfig.model_validate({"english_calibration_path": "data/x/en_dev.jsonl"})
    assert old.english_calibration_paths == ["data/x/en_dev.jsonl"]
    assert (
        UsemMlpConfig.model_validate({"english_calibration_path": None}).english_calibration_paths
        == []
    )
    with pytest.raises(ValidationError, match="untouched English split"):
        UsemMlpConfig(english_calibration_paths=["data/vignettes/departments/en_holdout.jsonl"])


def test_bag_graph_with_a_dense_input_matches_numpy(tmp_path: Path) -> None:
    import numpy as np

    from training.export import bag_graph

    rng = np.random.default_rng(0)
    first, bias, dense_weight = (
        rng.normal(size=(50, 1)),
        rng.normal(size=1),
        rng.normal(size=(8, 1)),
    )
    model, _ = save_and_open(
        bag_graph(first, bias, name="t", dense_weight=dense_weight), tmp_path / "g.onnx"
    )
    ids = np.array([[1, 4, 0], [7, 0, 0]], dtype=np.int64)
    weights = np.array([[0.5, 2.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    dense = rng.normal(size=(2, 8)).astype(np.float32)
    expected = (first[ids] * weights[..., None]).sum(axis=1) + dense @ dense_weight + bias
    got = model.run({"ids": ids, "weights": weights, "dense": dense})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bag_graph_evidence_outputs_add_up_to_the_logits(tmp_path: Path) -> None:
    """position_logits and dense_logits split the logits exactly: what the doctor's page shows
    as each phrase's push is the model's own arithmetic, not an approximation."""
    import numpy as np

    from training.export import bag_graph

    rng = np.random.default_rng(1)
    first, bias = rng.normal(size=(50, 6)), rng.normal(size=6)
    head, head_bias, dense_weight = (
        rng.normal(size=(6, 3)),
        rng.normal(size=3),
        rng.normal(size=(4, 6)),
    )
    graph = bag_graph(
        first, bias, head, head_bias, name="t", dense_weight=dense_weight, evidence=True
    )
    model, _ = save_and_open(graph, tmp_path / "g.onnx")
    ids = np.array([[1, 4, 9], [7, 0, 0]], dtype=np.int64)
    weights = np.array([[0.5, 2.0, 1.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    dense = rng.normal(size=(2, 4)).astype(np.float32)
    logits, per_position, from_dense = model.run({"ids": ids, "weights": weights, "dense": dense})
    pre = (first[ids] * weights[..., None]).sum(axis=1) + dense @ dense_weight + bias
    active = (pre > 0).astype(float)
    np.testing.assert_allclose(logits, np.maximum(pre, 0) @ head + head_bias, atol=1e-4)
    rebuilt = per_position.sum(axis=1) + from_dense + (bias * active) @ head + head_bias
    np.testing.assert_allclose(rebuilt, logits, atol=1e-4)
    assert np.all(per_position[1, 1:] == 0), "padding positions push nothing"


def test_mlp_parity_compares_the_evidence_outputs(tmp_path: Path) -> None:
    """The MLP families' parity reference gives every output of their graph: evidence that
    drifts from the model fails parity even while the logits still match, a logits-only
    reference is refused rather than passed, and only a row on a ReLU's kink is left out of the
    evidence comparison."""
    import numpy as np
    import torch
    from onnx import numpy_helper

    from training.export import ParityError, check_parity_by_output
    from training.triage.families import TfidfMlp, _mlp_logits, _mlp_reference
    from training.triage.tfidf import feeds_to_csr

    torch.manual_seed(0)
    model = TfidfMlp(40, hidden=16, n_labels=3, n_diseases=0, dropout=0.0, dense_dim=6).eval()
    torch.nn.init.normal_(model.bag.weight)  # units well away from 0: some active, some not
    rng = np.random.default_rng(0)
    weights = rng.random((4, 5)).astype(np.float32)
    weights[1, 3:] = 0.0  # padding
    feeds = {
        "ids": rng.integers(0, 40, (4, 5)).astype(np.int64),
        "weights": weights,
        "dense": rng.normal(size=(4, 6)).astype(np.float32),
    }
    reference = _mlp_reference(model, lambda f: _mlp_logits(model, feeds_to_csr(f, 40), f["dense"]))
    graph = model.graph("t", 17)
    onnx_model, _ = save_and_open(graph, tmp_path / "mlp.onnx")
    by_output = check_parity_by_output(reference, onnx_model, [feeds], atol=1e-4)
    assert set(by_output) == {"logits", "position_logits", "dense_logits"}
    assert max(by_output.values()) <= 1e-4
    with pytest.raises(ParityError, match="gives no"):
        check_parity_by_output(lambda f: reference(f)["logits"], onnx_model, [feeds], 1e-4)
    # An evidence bug: no hidden unit counts as active, so the evidence is all zero; the logits
    # do not use that threshold and stay right.
    zero = next(i for i in graph.graph.initializer if i.name == "zero")
    zero.CopyFrom(numpy_helper.from_array(np.array(1e9, dtype=np.float32), "zero"))
    drifted, _ = save_and_open(graph, tmp_path / "drifted.onnx")
    with pytest.raises(ParityError, match="position_logits differs"):
        check_parity_by_output(reference, drifted, [feeds], atol=1e-4)
    # A unit on the ReLU's kink in row 0: torch and onnxruntime may round it to either side, so
    # that row's evidence is masked; the other rows and all the logits are still compared.
    tensors = [torch.from_numpy(feeds[k]) for k in ("ids", "weights", "dense")]
    with torch.no_grad():
        model.bias[0] -= model.pre_activation(*tensors)[0, 0]
    kinked = reference(feeds)
    assert kinked["position_logits"].mask[0].all() and not kinked["position_logits"].mask[1:].any()
    assert kinked["dense_logits"].mask.tolist() == [[True] * 3, *[[False] * 3] * 3]
    rebuilt, _ = save_and_open(model.graph("t", 17), tmp_path / "kinked.onnx")
    assert check_parity_by_output(reference, rebuilt, [feeds], atol=1e-4).keys() == by_output.keys()


def test_ngram_dropout_blanks_ngrams_but_keeps_the_age_column() -> None:
    import numpy as np
    from scipy import sparse

    from training.triage.families import drop_ngrams

    x = sparse.csr_matrix(np.array([[1.0, 2.0, 0.0, 3.0], [4.0, 0.0, 5.0, 6.0]], dtype=np.float32))
    dropped = drop_ngrams(x, 1.0, age_offset=3, rng=np.random.default_rng(0)).toarray()
    np.testing.assert_array_equal(dropped, [[0, 0, 0, 3], [0, 0, 0, 6]])
    kept = drop_ngrams(x, 0.0, age_offset=3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(kept.toarray(), x.toarray())
    assert x.toarray()[0, 0] == 1.0, "the caller's matrix is not modified"


def test_shift_sets_load_and_validate_against_the_labels() -> None:
    from training.triage.data import DataValidationError, load_department_vignettes
    from training.triage.shift import PUBLIC_MAPS, load_public_maps, load_shift_sets

    departments = json.loads((ROOT / "data/demo/departments.json").read_text(encoding="utf-8"))
    labels = sorted(d["name"] for d in departments["departments"])
    sets = load_shift_sets(labels, None, ROOT)
    assert {"zh_shift_dev", "zh_shift_holdout", "en_dev", "en_holdout"} <= set(sets)
    for name in ("zh_shift_dev", "zh_shift_holdout", "en_dev", "en_holdout"):
        cases = sets[name]
        assert len(cases) >= 200
        assert {d for c in cases for d in c.accepted} == set(labels), f"{name} covers all 20"
    load_public_maps(ROOT / PUBLIC_MAPS, labels)
    with pytest.raises(DataValidationError, match="maps to"):
        load_public_maps(ROOT / PUBLIC_MAPS, [label for label in labels if label != "皮肤科"])
    with pytest.raises(DataValidationError, match="unknown department"):
        load_department_vignettes(ROOT / "data/vignettes/departments/en_dev.jsonl", labels[1:])


def test_english_vignettes_train_but_never_the_holdouts_or_the_calibration_files() -> None:
    from pydantic import ValidationError

    from training.config import ConfigError, TriageDataConfig

    deployed = load_config(ROOT / "configs/triage.yaml")
    assert isinstance(deployed, TriageConfig)
    trained = [Path(p).name for p in deployed.data.vignette_training]
    assert trained == ["en_dev.jsonl", "en_train_a.jsonl", "en_train_b.jsonl"]
    assert all((ROOT / p).is_file() for p in deployed.data.vignette_training)
    for held_out in ("en_holdout.jsonl", "zh_shift_holdout.jsonl"):
        with pytest.raises(ValidationError, match="untouched split"):
            TriageDataConfig(vignette_training=[f"data/vignettes/departments/{held_out}"])
    both = "data/vignettes/departments/en_retired_holdout.jsonl"
    with pytest.raises(ConfigError, match="must not also be training vignettes"):
        load_config(ROOT / "configs/triage.yaml", [f"data.vignette_training=[{both}]"])


def _with_vignettes(
    tmp_path: Path, rows: list[dict[str, object]], repeat: int
) -> tuple[TriageConfig, TriageData, Path]:
    """The tiny demo config, and its data with these department vignettes as training rows."""
    from training.triage.data import load_triage_data

    config = load_config(ROOT / "configs/triage.yaml", TINY_TRIAGE_OVERRIDES)
    assert isinstance(config, TriageConfig)
    path = tmp_path / "en.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    data_config = config.data.model_copy(
        update={"source": "demo", "vignette_training": [str(path)], "vignette_repeat": repeat}
    )
    return config, load_triage_data(data_config), path


def _vignette(ident: str, text: str, department: str) -> dict[str, object]:
    return {
        "id": ident,
        "text": text,
        "age": 30,
        "sex": None,
        "department": department,
        "language": "en",
        "style": "lay",
        "rationale": "written for this test",
    }


def test_training_vignettes_join_the_train_split_repeated_with_distinct_ids(
    tmp_path: Path,
) -> None:
    rows = [
        _vignette("a1", "my knee gave way playing football", "运动医学"),
        _vignette("a2", "itchy rash on both elbows", "皮肤科"),
    ]
    _, data, path = _with_vignettes(tmp_path, rows, repeat=2)
    added = data.frame[data.frame["origin"] == "vignette:en.jsonl"]
    assert len(added) == 4 and set(added["split"]) == {"train"}
    assert added["id"].is_unique and not set(added["id"]) & set(data.frame["id"].drop(added.index))
    assert sorted(added["department"]) == ["皮肤科", "皮肤科", "运动医学", "运动医学"]
    assert str(path) in data.files


def test_embedding_route_rows_lose_their_ngrams_in_training() -> None:
    from training.triage.families import embedding_route_rows
    from training.triage.tfidf import to_csr
    from triage.features import NgramBlock, TfidfFeaturizer

    texts = ["膝盖打球后肿了", "my knee swelled up after football"]
    featurizer = TfidfFeaturizer([NgramBlock("text", None, 1, 2, 1.0, 1)]).fit(texts)
    x = to_csr(featurizer, texts, ["20+", "20+"])
    routed = embedding_route_rows(x, texts, 0.3, featurizer)
    ngrams = routed[:, : featurizer.age_offset_]
    assert ngrams[0].nnz > 0 and ngrams[0].sum() == x[0, : featurizer.age_offset_].sum()
    assert ngrams[1].sum() == 0  # the English row keeps only its age feature
    assert routed[1, featurizer.age_offset_ :].sum() == x[1, featurizer.age_offset_ :].sum() > 0


def test_backstop_weak_corpus_reads_real_requests_not_department_vignettes(
    tmp_path: Path,
) -> None:
    from training.config import UrgencyBackstopConfig
    from training.triage.urgency import _weak_corpus
    from triage.text import normalise
    from triage.urgency import UrgencyEngine

    row = _vignette("v1", "sudden crushing chest pain and sweating", "心内科")
    config, data, _ = _with_vignettes(tmp_path, [row], repeat=3)
    settings = UrgencyBackstopConfig(vignettes=[], cblue_max_texts=0, english_corpus=False)
    corpus = _weak_corpus(settings, config, data, UrgencyEngine.default())
    real = data.part("train")
    real = real[real["origin"] == data.source]
    assert corpus.sizes["haodf_train"] == len(real) > 0
    assert normalise(str(row["text"])) not in corpus.texts


def test_merged_members_are_the_averaged_ensemble_in_one_graph(tmp_path: Path) -> None:
    """`merge_members` puts a sentence network and an n-gram network side by side: its logits
    are the mean of theirs, the graph it exports matches it (evidence outputs included), and on
    the embedding-only route (no n-grams) the n-gram network adds nothing."""
    import numpy as np
    import torch

    from training.export import check_parity_by_output
    from training.triage.families import TfidfMlp, _mlp_logits, _mlp_reference, merge_members
    from training.triage.tfidf import feeds_to_csr

    torch.manual_seed(0)
    sentence = TfidfMlp(40, hidden=16, n_labels=3, n_diseases=2, dropout=0.0, dense_dim=6).eval()
    ngrams = TfidfMlp(40, 8, 3, 2, dropout=0.0, biases=False).eval()
    for model in (sentence, ngrams):
        torch.nn.init.normal_(model.bag.weight)
    with torch.no_grad():
        sentence.bias.normal_()
        sentence.head.bias.normal_()
        ngrams.bag.weight[36:] = 0.0  # columns 36-39 play the age features, as the fit zeroes them
    assert ngrams.head.bias is None and not ngrams.bias.requires_grad
    merged = merge_members([sentence, ngrams])
    assert merged.bag.embedding_dim == 24

    rng = np.random.default_rng(1)
    feeds = {
        "ids": rng.integers(0, 40, (5, 6)).astype(np.int64),
        "weights": rng.random((5, 6)).astype(np.float32),
        "dense": rng.normal(size=(5, 6)).astype(np.float32),
    }
    x = feeds_to_csr(feeds, 40)
    expected = (_mlp_logits(sentence, x, feeds["dense"]) + _mlp_logits(ngrams, x)) / 2
    np.testing.assert_allclose(_mlp_logits(merged, x, feeds["dense"]), expected, atol=1e-5)

    # Only an age feature: the n-gram network's logits are exactly zero, the merged model's are
    # half the sentence network's (same ranking; the route's temperature takes the half).
    age_only = {"ids": np.array([[37]]), "weights": np.ones((1, 1), np.float32)}
    age_x = feeds_to_csr(age_only, 40)
    np.testing.assert_array_equal(_mlp_logits(ngrams, age_x), np.zeros((1, 3), np.float32))
    np.testing.assert_allclose(
        _mlp_logits(merged, age_x, feeds["dense"][:1]),
        _mlp_logits(sentence, age_x, feeds["dense"][:1]) / 2,
        atol=1e-6,
    )

    reference = _mlp_reference(
        merged, lambda f: _mlp_logits(merged, feeds_to_csr(f, 40), f["dense"])
    )
    onnx_model, _ = save_and_open(merged.graph("t", 17), tmp_path / "merged.onnx")
    by_output = check_parity_by_output(reference, onnx_model, [feeds], atol=1e-4)
    assert set(by_output) == {"logits", "position_logits", "dense_logits"}
    assert max(by_output.values()) <= 1e-4


def test_ngram_member_fits_without_age_or_biases(demo: tuple[TriageConfig, TriageData]) -> None:
    """The sentence family's n-gram member never reads the age or the embedding and has no
    biases, so a text the embedding-only route scores gets zero logits from it."""
    import numpy as np

    from training.triage.families import _fit_self_trained, _mlp_logits
    from training.triage.tfidf import fit_featurizer, to_csr

    config, data = demo
    train = data.part("train")
    featurizer = fit_featurizer(config, list(train["text"]))
    model_config = config.models[3].model_copy(update={"epochs": 1, "hidden": 16})

    def no_embedding(texts: list[str]) -> np.ndarray:
        raise AssertionError("the n-gram member must not embed")

    model, _ = _fit_self_trained(
        model_config, config, data, featurizer, embed=no_embedding, ngrams_only=True
    )
    assert model.dense is None and model.head.bias is None
    assert not model.bag.weight[featurizer.age_offset_ :].any()
    assert model.bag.weight[: featurizer.age_offset_].abs().sum() > 0
    age_only = to_csr(featurizer, [""], [train["age_bucket"].iloc[0]])
    logits = _mlp_logits(model, age_only)
    assert not logits.any()


def test_backstop_weak_corpus_reads_the_dialect_table_as_serving_does(tmp_path: Path) -> None:
    """With `dialect_ngrams` on, the n-grams' training input is what the served backstop
    computes from the same normalised texts; a Cantonese gold line is rewritten, the rest of
    the (Mandarin) demo corpus is not."""
    from training.config import UrgencyBackstopConfig
    from training.triage.urgency import _weak_corpus
    from triage.predictor import UrgencyBackstop
    from triage.urgency import UrgencyEngine
    from triage.urgency.dialect import NgramDialect

    gold = tmp_path / "gold.jsonl"
    rows = [
        {"text": "阿爸突然讲唔到嘢，半边冇力", "age": 70, "expected_urgency": "emergency"},
        {"text": "嗓子疼两天，不发烧", "age": 30, "expected_urgency": "routine"},
    ]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    config, data, _ = _with_vignettes(tmp_path, [], repeat=1)
    settings = UrgencyBackstopConfig(
        vignettes=[str(gold)], cblue_max_texts=0, english_corpus=False, dialect_ngrams=True
    )
    dialect = NgramDialect.packaged()
    corpus = _weak_corpus(settings, config, data, UrgencyEngine.default(), None, dialect)
    assert corpus.gram_texts is not None and len(corpus.gram_texts) == len(corpus.texts)
    served = UrgencyBackstop(None, None, 0.5, dialect=dialect)  # type: ignore[arg-type]
    assert corpus.gram_texts == list(served.gram_texts(corpus.texts))
    assert corpus.gram_texts[-2] == "阿爸突然说不出嘢,半边没力" != corpus.texts[-2]
    changed = [t for t, g in zip(corpus.texts, corpus.gram_texts, strict=True) if t != g]
    assert changed == [corpus.texts[-2]]
