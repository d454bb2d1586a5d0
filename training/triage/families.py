"""The triage model families. Each fits on the training split and returns a `Trained` with its
ONNX graph, its preprocessing and a reference function for the parity check.

An architecture is the versioned name a config or manifest gives a model
(``triage.tfidf_mlp.v1``); a family is the code here that trains one architecture.
`ARCHITECTURES` maps each architecture to its family's fit function; a plain dict, no registry
machinery.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from runtime.sentence_encoder import SentenceEncoder
from training.config import BertConfig, LogRegConfig, MlpConfig, TriageConfig, UsemMlpConfig
from training.export import bag_graph
from training.progress import heartbeat, progress
from training.triage.data import TriageData, load_department_vignettes
from training.triage.embeddings import MemoSentenceEncoder
from training.triage.evaluate import calibrate, core_metrics
from training.triage.tfidf import feeds_to_csr, tfidf_preprocessing, to_csr
from training.triage.trained import Feeds, Trained
from triage.features import TfidfFeaturizer, age_bucket
from triage.predictor import TfidfEncoder, TfidfSentenceEncoder, cjk_share
from triage.text import normalise

logger = logging.getLogger(__name__)

# Below this many English complaints, one temperature is too noisy to fit: use validation.
_MIN_ROUTE_CALIBRATION = 20
# torch and onnxruntime round a hidden unit's pre-activation differently by up to ~5e-7 on the
# real data (measured); 20 times that is where the evidence parity stops comparing a row.
_KINK_MARGIN = 1e-5


def fit_logreg(
    model_config: LogRegConfig, config: TriageConfig, data: TriageData, featurizer: TfidfFeaturizer
) -> Trained:
    """(a) The scikit-learn reference: multinomial logistic regression on the TF-IDF features."""
    train = data.part("train")
    x = to_csr(featurizer, list(train["text"]), list(train["age_bucket"]))
    y = np.searchsorted(data.labels, train["department"])
    started = time.perf_counter()
    model = LogisticRegression(C=model_config.C, max_iter=model_config.max_iter)
    # minutes on the real data, with no loop to report from
    with heartbeat(f"{model_config.architecture}: logistic regression fit"):
        model.fit(x, y)
    seconds = time.perf_counter() - started
    # sklearn drops classes absent from training; map its columns back onto all labels.
    coef = np.zeros((featurizer.n_features_, len(data.labels)), dtype=np.float32)
    bias = np.full(len(data.labels), -1e4, dtype=np.float32)
    coef[:, model.classes_] = model.coef_.T
    bias[model.classes_] = model.intercept_
    graph = bag_graph(coef, bias, name="triage_tfidf_logreg", opset=config.export.opset)

    def reference(feeds: Feeds) -> np.ndarray:
        logits = np.full((feeds["ids"].shape[0], len(data.labels)), -1e4)
        logits[:, model.classes_] = model.decision_function(
            feeds_to_csr(feeds, featurizer.n_features_)
        )
        return logits

    return Trained(
        architecture=model_config.architecture,
        onnx_model=graph,
        encoder=TfidfEncoder(featurizer),
        reference=reference,
        preprocessing=tfidf_preprocessing(featurizer),
        files={"vocab.json": _dump_json(featurizer.to_dict())},
        params={
            "C": model_config.C,
            "max_iter": model_config.max_iter,
            "n_iter": int(model.n_iter_.max()),
        },
        train_seconds=seconds,
    )


class TfidfMlp(torch.nn.Module):
    """Embedding bag over weighted sparse features (+ a linear map of a sentence embedding, when
    ``dense_dim`` > 0) -> ReLU -> department and disease heads.

    Without ``biases`` an empty bag gives exactly zero logits: the n-gram member of the
    sentence family (see `fit_usem_mlp`) then adds nothing on the embedding-only route."""

    def __init__(
        self,
        n_features: int,
        hidden: int,
        n_labels: int,
        n_diseases: int,
        dropout: float,
        dense_dim: int = 0,
        biases: bool = True,
    ) -> None:
        super().__init__()
        self.bag = torch.nn.EmbeddingBag(n_features, hidden, mode="sum", sparse=True)
        torch.nn.init.normal_(self.bag.weight, std=0.01)
        self.dense = torch.nn.Linear(dense_dim, hidden, bias=False) if dense_dim else None
        self.bias = torch.nn.Parameter(torch.zeros(hidden), requires_grad=biases)
        self.dropout = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(hidden, n_labels, bias=biases)
        self.disease_head = torch.nn.Linear(hidden, max(n_diseases, 1), bias=biases)

    def hidden(
        self,
        ids: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        dense: torch.Tensor | None = None,
    ) -> torch.Tensor:
        pre = self.bag(ids, offsets, per_sample_weights=weights) + self.bias
        if self.dense is not None:
            assert dense is not None
            pre = pre + self.dense(dense)
        return torch.relu(pre)

    def forward(
        self,
        ids: torch.Tensor,
        offsets: torch.Tensor,
        weights: torch.Tensor,
        dense: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.dropout(self.hidden(ids, offsets, weights, dense))
        return self.head(hidden), self.disease_head(hidden)

    def pre_activation(
        self, ids: torch.Tensor, weights: torch.Tensor, dense: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The hidden units' input before the ReLU, from padded feeds [batch, positions]."""
        pre = self.bag(ids, per_sample_weights=weights) + self.bias
        return pre if self.dense is None or dense is None else pre + self.dense(dense)

    def evidence(
        self, ids: torch.Tensor, weights: torch.Tensor, dense: torch.Tensor | None = None
    ) -> dict[str, torch.Tensor]:
        """The graph's evidence outputs (see `bag_graph`) from padded feeds [batch, positions]:
        each n-gram position's part of the logits, and the embedding's, through the hidden
        units active for the row. The parity check compares them with the graph's."""
        weighted = self.bag.weight[ids] * weights.unsqueeze(-1)  # [batch, positions, hidden]
        dense_part = None if self.dense is None or dense is None else self.dense(dense)
        active = (self.pre_activation(ids, weights, dense) > 0).to(weighted.dtype)
        head = self.head.weight.T
        parts = {"position_logits": (weighted * active.unsqueeze(1)) @ head}
        if dense_part is not None:
            parts["dense_logits"] = (dense_part * active) @ head
        return parts

    def graph(self, name: str, opset: int, evidence: bool = True) -> onnx.ModelProto:
        """The ONNX graph, with the evidence outputs the doctor's page reads (``evidence``; the
        urgency backstop's network has one logit and no page to explain)."""
        return bag_graph(
            self.bag.weight.detach().numpy(),
            self.bias.detach().numpy(),
            self.head.weight.detach().numpy().T,
            _bias_or_zeros(self.head),
            name=name,
            opset=opset,
            dense_weight=None if self.dense is None else self.dense.weight.detach().numpy().T,
            evidence=evidence,
        )


def _bias_or_zeros(layer: torch.nn.Linear) -> np.ndarray:
    bias = layer.bias
    return np.zeros(layer.out_features, np.float32) if bias is None else bias.detach().numpy()


def merge_members(members: list[TfidfMlp]) -> TfidfMlp:
    """One TfidfMlp whose logits are the mean of the members' logits.

    The members' hidden layers sit side by side (the bags, biases and embedding maps are
    concatenated along the hidden axis, a member without an embedding input gets zero columns)
    and the heads are concatenated and divided by the member count, so the merged model is the
    averaged ensemble exactly and exports as the same single graph, evidence outputs included
    (they are linear in the head)."""
    first = members[0]
    dense_dim = max(0 if m.dense is None else m.dense.in_features for m in members)
    merged = TfidfMlp(
        first.bag.num_embeddings,
        sum(m.bag.embedding_dim for m in members),
        first.head.out_features,
        first.disease_head.out_features,
        first.dropout.p,
        dense_dim,
    )
    scale = 1.0 / len(members)

    def dense_weight(member: TfidfMlp) -> torch.Tensor:
        if member.dense is None:
            return torch.zeros(member.bag.embedding_dim, dense_dim)
        return member.dense.weight.detach()

    def head_bias(heads: list[torch.nn.Linear]) -> torch.Tensor:
        return scale * torch.stack([torch.from_numpy(_bias_or_zeros(h)) for h in heads]).sum(0)

    with torch.no_grad():
        merged.bag.weight.copy_(torch.cat([m.bag.weight for m in members], dim=1))
        merged.bias.copy_(torch.cat([m.bias for m in members]))
        if merged.dense is not None:
            merged.dense.weight.copy_(torch.cat([dense_weight(m) for m in members], dim=0))
        for name in ("head", "disease_head"):
            heads = [getattr(m, name) for m in members]
            target = getattr(merged, name)
            target.weight.copy_(scale * torch.cat([h.weight for h in heads], dim=1))
            target.bias.copy_(head_bias(heads))
    merged.eval()
    return merged


@dataclass
class MlpInputs:
    """What one MLP fit sees: sparse n-gram features, labels and, for the sentence family, the
    embeddings and how often to drop a row's n-grams (its age feature, at columns >=
    ``age_offset``, always stays)."""

    x: sparse.csr_matrix
    y: torch.Tensor
    y_disease: torch.Tensor
    dense: np.ndarray | None = None
    ngram_dropout: float = 0.0
    age_offset: int = 0
    ngrams_only: bool = False  # the sentence family's n-gram member: no age, no biases


def _without_age(x: sparse.csr_matrix, age_offset: int) -> sparse.csr_matrix:
    """`x` with the age features (columns >= `age_offset`) removed, for the n-gram member."""
    x = x.copy()
    x.data[x.indices >= age_offset] = 0.0
    x.eliminate_zeros()
    return x


def _bag_inputs(x: sparse.csr_matrix, dense: np.ndarray | None = None) -> tuple[torch.Tensor, ...]:
    inputs = (
        torch.from_numpy(x.indices.astype(np.int64)),
        torch.from_numpy(x.indptr[:-1].astype(np.int64)),
        torch.from_numpy(x.data.astype(np.float32)),
    )
    return inputs if dense is None else (*inputs, torch.from_numpy(dense))


def _zero_ngrams(x: sparse.csr_matrix, rows: np.ndarray, age_offset: int) -> sparse.csr_matrix:
    """A copy of `x` with the n-gram features (columns below `age_offset`, not the age) of the
    marked rows zeroed; `x` itself when no row is marked."""
    if not rows.any():
        return x
    x = x.copy()
    row_of_entry = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    x.data[rows[row_of_entry] & (x.indices < age_offset)] = 0.0
    return x


def drop_ngrams(
    x: sparse.csr_matrix, rate: float, age_offset: int, rng: np.random.Generator
) -> sparse.csr_matrix:
    """Zero the n-gram features (not the age) of a random `rate` share of rows: those rows teach
    the model to classify from the sentence embedding alone, as it must for English."""
    return _zero_ngrams(x, rng.random(x.shape[0]) < rate, age_offset)


def embedding_route_rows(
    x: sparse.csr_matrix, texts: list[str], min_cjk_share: float, featurizer: TfidfFeaturizer
) -> sparse.csr_matrix:
    """Zero the n-grams of the training rows that inference scores from the embedding alone
    (too few CJK characters: English vignettes), so they train the route they will take."""
    embedding_only = np.array([cjk_share(t) < min_cjk_share for t in texts], dtype=bool)
    return _zero_ngrams(x, embedding_only, featurizer.age_offset_)


def _train_mlp(
    model_config: MlpConfig | UsemMlpConfig,
    seed: int,
    inputs: MlpInputs,
    n_labels: int,
    n_diseases: int,
) -> TfidfMlp:
    """Fit one TfidfMlp; rows with disease -100 (pseudo-labelled) skip the disease loss."""
    torch.manual_seed(seed)
    model = TfidfMlp(
        inputs.x.shape[1],
        model_config.hidden,
        n_labels,
        n_diseases,
        model_config.dropout,
        0 if inputs.dense is None else inputs.dense.shape[1],
        biases=not inputs.ngrams_only,
    )
    optimizers = _mlp_optimizers(model, model_config.lr)
    disease_weight = (
        model_config.disease_loss_weight
        if n_diseases > 0 and model_config.disease_loss_weight > 0
        else 0.0
    )
    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    model.train()
    for epoch in range(model_config.epochs):
        order = torch.randperm(inputs.x.shape[0], generator=generator).numpy()
        # An epoch on the real data runs for minutes: the batch loop reports, not the epochs.
        batches = progress(
            range(0, len(order), model_config.batch_size),
            f"mlp epoch {epoch + 1}/{model_config.epochs}",
        )
        total = 0.0
        for start in batches:
            index = order[start : start + model_config.batch_size]
            loss = _mlp_loss(model, inputs, index, disease_weight, rng)
            for optimizer in optimizers:
                optimizer.zero_grad()
            loss.backward()
            for optimizer in optimizers:
                optimizer.step()
            value = loss.item()
            total += value * len(index)
            batches.set_postfix(loss=f"{value:.3f}")
        logger.info("mlp epoch %d: train loss %.4f", epoch + 1, total / len(order))
    model.eval()
    return model


def _mlp_optimizers(model: TfidfMlp, lr: float) -> list[torch.optim.Optimizer]:
    # The bag holds ~20M weights of which a batch touches a few thousand: sparse updates keep an
    # epoch at seconds instead of minutes.
    dense_params = [p for n, p in model.named_parameters() if n != "bag.weight"]
    return [
        torch.optim.SparseAdam([model.bag.weight], lr=lr),
        torch.optim.Adam(dense_params, lr=lr),
    ]


def _mlp_loss(
    model: TfidfMlp,
    inputs: MlpInputs,
    index: np.ndarray,
    disease_weight: float,
    rng: np.random.Generator,
) -> torch.Tensor:
    """The department loss of one batch, plus `disease_weight` times the disease loss when the
    batch has rows with a known disease (a weight of 0 leaves the disease head untrained)."""
    batch = inputs.x[index]
    if inputs.ngram_dropout > 0:
        batch = drop_ngrams(batch, inputs.ngram_dropout, inputs.age_offset, rng)
    dense = None if inputs.dense is None else inputs.dense[index]
    logits, disease_logits = model(*_bag_inputs(batch, dense))
    loss = torch.nn.functional.cross_entropy(logits, inputs.y[index])
    batch_diseases = inputs.y_disease[index]
    if disease_weight > 0 and bool((batch_diseases >= 0).any()):
        loss = loss + disease_weight * torch.nn.functional.cross_entropy(
            disease_logits, batch_diseases, ignore_index=-100
        )
    return loss


def _mlp_logits(
    model: TfidfMlp, x: sparse.csr_matrix, dense: np.ndarray | None = None
) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate(
            [
                model(
                    *_bag_inputs(x[i : i + 1024], None if dense is None else dense[i : i + 1024])
                )[0].numpy()
                for i in range(0, x.shape[0], 1024)
            ]
        )


def _mlp_reference(
    model: TfidfMlp, logits: Callable[[Feeds], np.ndarray]
) -> Callable[[Feeds], dict[str, np.ndarray]]:
    """The parity reference of an MLP graph: its logits and its evidence outputs.

    The evidence of a row with a hidden unit within `_KINK_MARGIN` of 0 is masked (not
    compared): there torch and onnxruntime may round the unit to different sides of the ReLU,
    which moves that unit's share between sources (the logits stay continuous and are compared).
    """

    def reference(feeds: Feeds) -> dict[str, np.ndarray]:
        ids, weights = torch.from_numpy(feeds["ids"]), torch.from_numpy(feeds["weights"])
        dense = None if "dense" not in feeds else torch.from_numpy(feeds["dense"])
        with torch.no_grad():
            parts = model.evidence(ids, weights, dense)
            on_kink = (model.pre_activation(ids, weights, dense).abs() < _KINK_MARGIN).any(dim=1)
        if on_kink.any():
            logger.info("evidence parity: %d rows on a ReLU's kink not compared", on_kink.sum())
        expected = {"logits": logits(feeds)}
        for name, part in parts.items():
            rows = on_kink.numpy().reshape(-1, *[1] * (part.dim() - 1))
            expected[name] = np.ma.masked_array(part.numpy(), np.broadcast_to(rows, part.shape))
        return expected

    return reference


def _probabilities(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
    return probabilities


def _fit_self_trained(
    model_config: MlpConfig | UsemMlpConfig,
    config: TriageConfig,
    data: TriageData,
    featurizer: TfidfFeaturizer,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    ngrams_only: bool = False,
) -> tuple[TfidfMlp, int]:
    """Fit a teacher on the labelled rows, pseudo-label the unlabelled requests it is sure of,
    and fit a fresh student on both (returns the student and the pseudo-labelled row count).

    `ngrams_only` fits the sentence family's n-gram member: n-grams alone (no embedding, no
    age, no n-gram dropout) and no biases, so that a text without n-grams gets zero logits."""
    if ngrams_only:
        embed = None
    inputs = _labelled_inputs(model_config, data, featurizer, embed)
    if ngrams_only:
        inputs.x = _without_age(inputs.x, featurizer.age_offset_)
        inputs.ngram_dropout, inputs.ngrams_only = 0.0, True
    n_diseases = len(data.diseases) if model_config.disease_loss_weight > 0 else 0
    model = _train_mlp(model_config, config.seed, inputs, len(data.labels), n_diseases)
    threshold = model_config.self_training_threshold
    if threshold is not None and len(data.unlabeled):
        pseudo_rows = _add_pseudo_labels(inputs, model, threshold, data, featurizer, embed)
        model = _train_mlp(model_config, config.seed, inputs, len(data.labels), n_diseases)
    else:
        pseudo_rows = 0
    if ngrams_only:
        # The age rows were never trained (no row carries them) but start random: zero them so
        # the member ignores age at inference too.
        with torch.no_grad():
            model.bag.weight[featurizer.age_offset_ :] = 0.0
    return model, pseudo_rows


def _labelled_inputs(
    model_config: MlpConfig | UsemMlpConfig,
    data: TriageData,
    featurizer: TfidfFeaturizer,
    embed: Callable[[list[str]], np.ndarray] | None,
) -> MlpInputs:
    """The training split as MLP inputs; rows without a known disease get -100."""
    train = data.part("train")
    disease_index = {d: i for i, d in enumerate(data.diseases)}
    x = to_csr(featurizer, list(train["text"]), list(train["age_bucket"]))
    if embed is not None and isinstance(model_config, UsemMlpConfig):
        x = embedding_route_rows(x, list(train["text"]), model_config.min_cjk_share, featurizer)
    return MlpInputs(
        x=x,
        y=torch.from_numpy(np.searchsorted(data.labels, train["department"]).astype(np.int64)),
        y_disease=torch.tensor(
            [disease_index.get(d, -100) for d in train["disease"]], dtype=torch.int64
        ),
        dense=None if embed is None else embed(list(train["text"])),
        ngram_dropout=getattr(model_config, "ngram_dropout", 0.0),
        age_offset=featurizer.age_offset_,
    )


def _add_pseudo_labels(
    inputs: MlpInputs,
    teacher: TfidfMlp,
    threshold: float,
    data: TriageData,
    featurizer: TfidfFeaturizer,
    embed: Callable[[list[str]], np.ndarray] | None,
) -> int:
    """Append the unlabelled requests the teacher labels with top probability >= `threshold`
    to `inputs` (departments only: a pseudo label says nothing of the disease); returns how
    many."""
    unlabeled_texts = list(data.unlabeled["text"])
    x_unlabeled = to_csr(featurizer, unlabeled_texts, list(data.unlabeled["age_bucket"]))
    if inputs.ngrams_only:
        x_unlabeled = _without_age(x_unlabeled, inputs.age_offset)
    dense_unlabeled = None if embed is None else embed(unlabeled_texts)
    probabilities = _probabilities(_mlp_logits(teacher, x_unlabeled, dense_unlabeled))
    keep = probabilities.max(axis=1) >= threshold
    pseudo_rows = int(keep.sum())
    logger.info(
        "self-training: %d of %d unlabelled requests pseudo-labelled", pseudo_rows, len(keep)
    )
    inputs.x = sparse.vstack([inputs.x, x_unlabeled[keep]]).tocsr()
    inputs.y = torch.cat(
        [inputs.y, torch.from_numpy(probabilities[keep].argmax(axis=1).astype(np.int64))]
    )
    inputs.y_disease = torch.cat(
        [inputs.y_disease, torch.full((pseudo_rows,), -100, dtype=torch.int64)]
    )
    if inputs.dense is not None and dense_unlabeled is not None:
        inputs.dense = np.vstack([inputs.dense, dense_unlabeled[keep]])
    return pseudo_rows


def fit_mlp(
    model_config: MlpConfig, config: TriageConfig, data: TriageData, featurizer: TfidfFeaturizer
) -> Trained:
    """(c) PyTorch TF-IDF MLP, jointly trained on the disease directions when the data has them,
    then self-trained once on the unlabelled requests it labels confidently.

    Self-training: a teacher fitted on the labelled rows labels the unlabelled requests; those
    with a top probability >= `self_training_threshold` join the labelled rows (without a disease
    label) and a fresh student is fitted on both. 5-fold CV on haodf train+validation gave
    0.8679 vs 0.8646 accuracy for the teacher alone (+0.3 points, 4 folds of 5).
    """
    started = time.perf_counter()
    model, pseudo_rows = _fit_self_trained(model_config, config, data, featurizer)
    seconds = time.perf_counter() - started

    def logits(feeds: Feeds) -> np.ndarray:
        return _mlp_logits(model, feeds_to_csr(feeds, featurizer.n_features_))

    return Trained(
        architecture=model_config.architecture,
        onnx_model=model.graph("triage_tfidf_mlp", config.export.opset),
        encoder=TfidfEncoder(featurizer),
        reference=_mlp_reference(model, logits),
        preprocessing=tfidf_preprocessing(featurizer),
        files={"vocab.json": _dump_json(featurizer.to_dict())},
        params={
            **model_config.model_dump(),
            "joint_disease_head": model_config.disease_loss_weight > 0 and bool(data.diseases),
            "pseudo_labelled_rows": pseudo_rows,
        },
        train_seconds=seconds,
        eager_model=model,
    )


def _fit_sentence_networks(
    model_config: UsemMlpConfig,
    config: TriageConfig,
    data: TriageData,
    featurizer: TfidfFeaturizer,
    embed: Callable[[list[str]], np.ndarray],
) -> tuple[TfidfMlp, int, int | None]:
    """The sentence network, merged with its n-gram network when `ngram_member` is set; returns
    the model and each network's pseudo-labelled row count (None without an n-gram network).

    The n-gram network is fitted on the n-grams alone (no embedding, no age, no biases) and the
    two networks' logits are averaged in one graph (`merge_members`). On haodf validation the
    pair beat the better of its two networks by 0.6-1.5 points in each of five seed pairings,
    while a second sentence network (another seed or n-gram dropout) added nothing: the
    n-gram-only network errs differently. An empty bag gives it zero logits, so on the
    embedding-only route (English) it leaves the ranking alone and the route's own temperature
    absorbs the halving."""
    model, pseudo_rows = _fit_self_trained(model_config, config, data, featurizer, embed=embed)
    if not model_config.ngram_member:
        return model, pseudo_rows, None
    ngram_member, ngram_member_rows = _fit_self_trained(
        model_config, config, data, featurizer, embed=embed, ngrams_only=True
    )
    return merge_members([model, ngram_member]), pseudo_rows, ngram_member_rows


def fit_usem_mlp(
    model_config: UsemMlpConfig,
    config: TriageConfig,
    data: TriageData,
    featurizer: TfidfFeaturizer,
) -> Trained:
    """(d) The TF-IDF MLP with the multilingual sentence embedding as a second input.

    The embedding (runtime.usem3.v1, frozen) carries meaning past haodf's exact characters and
    across languages: trained on Chinese only, it places "my chest hurts when I breathe" near
    "呼吸时胸痛". Whole n-gram bags are dropped from `ngram_dropout` of the training rows so the
    embedding alone also classifies; texts with few CJK characters take that route at inference
    (`TfidfSentenceEncoder`), with their own temperature and abstain threshold fitted here on
    English complaints (`english_calibration_paths`: our dev split and the retired first
    holdout) or, without them, on the validation split with the n-grams dropped.

    With `ngram_member` a second, n-gram-only network joins it (`_fit_sentence_networks`).
    """
    sentences = MemoSentenceEncoder(
        SentenceEncoder.pinned(threads=torch.get_num_threads()).load(),
        Path(config.output_dir) / "cache",
    )
    started = time.perf_counter()
    model, pseudo_rows, ngram_member_rows = _fit_sentence_networks(
        model_config, config, data, featurizer, sentences.encode
    )
    seconds = time.perf_counter() - started
    encoder = TfidfSentenceEncoder(featurizer, sentences, model_config.min_cjk_share)

    def logits(feeds: Feeds) -> np.ndarray:
        return _mlp_logits(model, feeds_to_csr(feeds, featurizer.n_features_), feeds["dense"])

    route = _calibrate_embedding_route(model_config, config, data, encoder, logits)
    sentences.save()
    return Trained(
        architecture=model_config.architecture,
        onnx_model=model.graph("triage_tfidf_usem_mlp", config.export.opset),
        encoder=encoder,
        reference=_mlp_reference(model, logits),
        preprocessing={
            **tfidf_preprocessing(featurizer),
            "kind": "char_tfidf_sentence",
            "sentence_encoder": sentences.describe(),
            "min_cjk_share": model_config.min_cjk_share,
        },
        files={"vocab.json": _dump_json(featurizer.to_dict())},
        params={
            **model_config.model_dump(),
            "joint_disease_head": model_config.disease_loss_weight > 0 and bool(data.diseases),
            "pseudo_labelled_rows": pseudo_rows,
            "ngram_member_pseudo_labelled_rows": ngram_member_rows,
            "embedding_route_calibration": route.source,
        },
        train_seconds=seconds,
        eager_model=model,
        postprocessing={"embedding_route": route.manifest_entry()},
        extra_metrics={f"embedding_route_{k}": v for k, v in route.metrics.items()},
    )


@dataclass
class RouteCalibration:
    """The embedding-only route's own temperature and abstain threshold, where they were fitted
    and the route's metrics there."""

    temperature: float
    threshold: float
    source: str
    metrics: dict[str, float]

    def manifest_entry(self) -> dict[str, Any]:
        """The manifest's postprocessing.embedding_route."""
        return {
            "temperature": self.temperature,
            "abstain_threshold": self.threshold,
            "calibrated_on": self.source,
        }


def _calibrate_embedding_route(
    model_config: UsemMlpConfig,
    config: TriageConfig,
    data: TriageData,
    encoder: TfidfSentenceEncoder,
    logits: Callable[[Feeds], np.ndarray],
) -> RouteCalibration:
    """Calibrate the texts that reach the model without n-grams (see fit_usem_mlp)."""
    route_feeds, route_labels, route_source = _route_calibration_set(model_config, data, encoder)
    route_y = np.searchsorted(data.labels, route_labels)
    temperature, threshold, route_probabilities = calibrate(
        logits(route_feeds),
        route_y,
        config.calibration.target_selective_accuracy,
        config.calibration.max_abstain_rate,
    )
    return RouteCalibration(
        temperature, threshold, route_source, core_metrics(route_probabilities, route_y)
    )


def _route_calibration_set(
    model_config: UsemMlpConfig, data: TriageData, encoder: TfidfSentenceEncoder
) -> tuple[Feeds, list[str], str]:
    """Feeds and departments that calibrate the embedding-only route, and where they came from."""
    paths = [Path(p) for p in model_config.english_calibration_paths]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        logger.warning("English calibration files not found, left out: %s", ", ".join(missing))
    rows = [row for p in paths if p.is_file() for row in load_department_vignettes(p, data.labels)]
    texts = [normalise(r.text) for r in rows]
    keep = [i for i, routed in enumerate(encoder.ngram_route(texts)) if not routed]
    if len(keep) >= _MIN_ROUTE_CALIBRATION:
        feeds = encoder([texts[i] for i in keep], [age_bucket(rows[i].age) for i in keep])
        files = ", ".join(str(p) for p in paths if p.is_file())
        source = f"{files} ({len(keep)} complaints on the embedding-only route)"
        return feeds, [rows[i].department for i in keep], source
    if paths:
        logger.warning("too few texts take the embedding-only route; using validation")
    validation = data.part("validation")
    feeds = encoder(list(validation["text"]), list(validation["age_bucket"]))
    feeds["weights"] = feeds["weights"] * (feeds["ids"] >= encoder.featurizer.age_offset_)
    return feeds, list(validation["department"]), "validation split with the n-grams dropped"


def fit_bert_family(
    model_config: BertConfig, config: TriageConfig, data: TriageData, featurizer: TfidfFeaturizer
) -> Trained:
    """(b) The transformer family: `ARCHITECTURES`' entry for training.triage.bert (which needs
    no TF-IDF featurizer); imported lazily because transformers is slow to import."""
    from training.triage.bert import train_bert_classifier

    return train_bert_classifier(model_config, config, data)


def _dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


ARCHITECTURES: dict[str, Callable[..., Trained]] = {
    "triage.tfidf_logreg.v1": fit_logreg,
    "triage.tfidf_mlp.v1": fit_mlp,
    "triage.tfidf_usem_mlp.v1": fit_usem_mlp,
    "triage.bert_classifier.v1": fit_bert_family,
}
