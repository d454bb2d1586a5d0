"""The learned drug-drug interaction model: P(interaction) and severity for pairs the KB lacks.

Public API:
    InteractionModel: shared drug encoder (+ per-drug ID embedding for training drugs) and a
        symmetric pair network with an interaction head and a severity head; `fit`, `predict`,
        `to_onnx`, `reference`. Its constructor defaults are those of
        `training.config.InteractionModelConfig`.

Where the rest lives: the drug features, pairs and splits in `drug_features`, the severity scale
in `severity`, the ATC class-pair prior the severity head is pooled with in `class_prior`, the
per-novelty-group calibration in `calibration`, the hand-built ONNX graph and its parity check
in `pair_graph`, held-out metrics in `pair_metrics`.

Severity training is class-weighted on purpose (a missed "major" costs more than a false one), and
calibration is temperature scaling on a validation slice, pooled with the class-pair prior, so the
severity probabilities are calibrated in spread but keep the deliberate lean towards rarer, graver
levels.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass

import numpy as np
import onnx
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from torch import nn

from training.layers import SeededDropout
from training.prescription.calibration import calibrate_groups
from training.prescription.class_prior import PRIOR_FLOOR, ClassPairPrior
from training.prescription.drug_features import DrugFeatures
from training.prescription.pair_graph import pair_graph
from training.prescription.severity import SEVERITIES, level_codes
from training.progress import progress

logger = logging.getLogger(__name__)

Labelled = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # a, b, y, severity code


@dataclass
class _SparseRows:
    """Rows of the drug feature matrix as flat non-zero entries (CSR-like).

    Attributes:
        columns: column of each entry, int64 [nnz].
        offsets: first entry of each row, int64 [n_rows].
        values: value of each entry, float32 [nnz].
        entry_row: row of each entry, int64 [nnz].
        entry_block: feature block (ATC, categories, enzymes, fingerprint) of each entry.
    """

    columns: torch.Tensor
    offsets: torch.Tensor
    values: torch.Tensor
    entry_row: torch.Tensor
    entry_block: torch.Tensor

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, feature_names: list[str]) -> _SparseRows:
        """Non-zero entries of `matrix`, with blocks read from the feature-name prefixes."""
        # ATC levels 1-4 form one block: a drug either has an ATC code or not.
        prefixes = [name.split(":", 1)[0].rstrip("1234") for name in feature_names]
        block_ids = {p: i for i, p in enumerate(dict.fromkeys(prefixes))}
        column_block = np.array([block_ids[p] for p in prefixes], dtype=np.int64)
        rows, columns = np.nonzero(matrix)
        counts = np.bincount(rows, minlength=matrix.shape[0])
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return cls(
            columns=torch.from_numpy(columns.astype(np.int64)),
            offsets=torch.from_numpy(offsets),
            values=torch.from_numpy(matrix[rows, columns].astype(np.float32)),
            entry_row=torch.from_numpy(rows.astype(np.int64)),
            entry_block=torch.from_numpy(column_block[columns]),
        )


class _PairNet(nn.Module):
    """Drug encoder + symmetric pair trunk + two heads.

    The encoder's first layer is an embedding bag over the non-zero features (~2% of the
    columns), several times faster than a dense or torch.sparse product on CPU. All training
    drugs are encoded at every step: the encoder is shared, which is what lets a new drug borrow
    from seen drugs with similar features.
    """

    def __init__(
        self, n_features: int, n_drugs: int, hidden: int, embed_dim: int, dropout: float, nnz: float
    ) -> None:
        super().__init__()
        bound = 1.0 / np.sqrt(max(nnz, 1.0))  # fan-in = active features, not all columns
        self.feature_weight = nn.Parameter(torch.empty(n_features, hidden).uniform_(-bound, bound))
        self.feature_bias = nn.Parameter(torch.zeros(hidden))
        self.encoder_out = nn.Linear(hidden, embed_dim)
        self.drug_id = nn.Embedding(n_drugs, embed_dim)
        nn.init.normal_(self.drug_id.weight, std=0.01)  # start as a small correction
        self.dropout = SeededDropout(dropout)
        self.trunk = nn.Linear(2 * embed_dim, hidden)
        self.interaction = nn.Linear(hidden, 1)
        self.severity = nn.Linear(hidden, len(SEVERITIES))

    def encode(self, rows: _SparseRows, values: torch.Tensor | None = None) -> torch.Tensor:
        """Feature-only encodings [n_rows, embed_dim]; `values` overrides the entries (dropout)."""
        hidden = nn.functional.embedding_bag(
            rows.columns,
            self.feature_weight,
            rows.offsets,
            mode="sum",
            per_sample_weights=rows.values if values is None else values,
        )
        return self.encoder_out(self.dropout(torch.relu(hidden + self.feature_bias)))

    def pair(self, e_a: torch.Tensor, e_b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Interaction logit [B] and severity logits [B, 3]; symmetric in (a, b) by construction."""
        z = torch.cat([e_a + e_b, e_a * e_b], dim=1)
        hidden = self.dropout(torch.relu(self.trunk(z)))
        return self.interaction(hidden).squeeze(1), self.severity(hidden)


class InteractionModel(BaseEstimator):  # type: ignore[misc]
    """Learned DDI model: P(interaction) and a severity distribution for any featured drug pair.

    Args:
        hidden: width of the encoder's hidden layer and of the pair trunk.
        embed_dim: size of a drug encoding.
        dropout: dropout in the encoder and the trunk.
        id_drop: probability of dropping a drug's ID embedding for one training example, so the
            encoder alone must carry the signal (that is all a new drug will have).
        feature_drop: dropout on the input features at each step; without it the 1,024
            fingerprint bits act as a second drug ID and the encoder memorises drugs instead of
            learning what generalises to new ones.
        block_drop: probability of removing a whole block (ATC, categories, enzymes,
            fingerprint) of one drug at each step, so the encoder copes with drugs that lack a
            block (a third of the non-DDInter drugs have no ATC code).
        epochs: passes over the training pairs (the best epoch on validation is kept).
        batch_size: pairs per step.
        lr: peak AdamW learning rate (one-cycle schedule).
        weight_decay: AdamW weight decay.
        class_weight_power: severity class weights are (n / (3 * n_class)) ** power; 1 is full
            re-balancing, 0 none. Higher favours major/minor recall over moderate precision.
        severity_loss_weight: weight of the severity loss next to the interaction loss.
        val_fraction: share of the remaining pairs and negatives, drawn at random, kept for
            validation when `fit` gets no validation set (calibrates pairs of two seen drugs).
        val_drug_fraction: share of the training drugs held out with all their pairs when `fit`
            gets no validation set (calibrates pairs with a drug the model has not seen).
        min_calibration: graded validation pairs a novelty group needs for its own calibration;
            below it the group borrows the calibration of the group with one fewer new drug.
        prior_alpha: smoothing of the ATC class-pair prior the severity head is pooled with.
        prior_level: ATC level of that prior's classes (smoothed level by level up to 2).
        calibration_class_weighted: fit the calibration with the training class weights (keeps
            the lean towards major and minor) instead of plain likelihood.
        seed: seeds initialisation, dropout, shuffling and the validation slice.
    """

    def __init__(
        self,
        hidden: int = 256,
        embed_dim: int = 64,
        dropout: float = 0.2,
        id_drop: float = 0.5,
        feature_drop: float = 0.2,
        block_drop: float = 0.25,
        epochs: int = 20,
        batch_size: int = 2048,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        class_weight_power: float = 0.75,
        severity_loss_weight: float = 1.0,
        val_fraction: float = 0.05,
        val_drug_fraction: float = 0.1,
        min_calibration: int = 100,
        prior_alpha: float = 1.0,
        prior_level: int = 4,
        calibration_class_weighted: bool = False,
        seed: int = 0,
    ) -> None:
        self.hidden = hidden
        self.embed_dim = embed_dim
        self.dropout = dropout
        self.id_drop = id_drop
        self.feature_drop = feature_drop
        self.block_drop = block_drop
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.class_weight_power = class_weight_power
        self.severity_loss_weight = severity_loss_weight
        self.val_fraction = val_fraction
        self.val_drug_fraction = val_drug_fraction
        self.min_calibration = min_calibration
        self.prior_alpha = prior_alpha
        self.prior_level = prior_level
        self.calibration_class_weighted = calibration_class_weighted
        self.seed = seed

    # ----------------------------------------------------------------- training
    def fit(
        self,
        features: DrugFeatures,
        pairs: pd.DataFrame,
        negatives: pd.DataFrame,
        validation: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    ) -> InteractionModel:
        """Train both heads, keep the best epoch, calibrate each novelty group on validation.

        Args:
            features: drug features; pair indices are rows of it.
            pairs: positives (a, b, level); "unknown" levels train only the interaction head.
            negatives: unlisted pairs (a, b).
            validation: (positives, negatives) for early stopping and calibration. Default: the
                pairs of `val_drug_fraction` of the drugs plus a random `val_fraction` of the
                rest, all held out from training (see `_validation_split`).
        """
        started = time.perf_counter()
        rng = np.random.default_rng(self.seed)
        if validation is None:
            pairs, negatives, val_pairs, val_negatives = _validation_split(
                pairs, negatives, self.val_fraction, self.val_drug_fraction, rng
            )
        else:
            val_pairs, val_negatives = validation
        a, b, y, level = _labelled_pairs(features, pairs, negatives)
        val = _labelled_pairs(features, val_pairs, val_negatives)
        # The class-pair prior sees exactly the model's training pairs, so the validation pairs
        # that weigh the two against each other are new to both.
        self.prior_ = ClassPairPrior(self.prior_alpha, self.prior_level, backoff=True).fit(
            features, pairs, negatives
        )
        self.names_ = list(features.names)
        self.feature_names_ = list(features.feature_names)
        self.seen_ = np.zeros(len(features.names), dtype=bool)
        self.seen_[a] = True
        self.seen_[b] = True
        self.class_weights_ = _class_weights(level, self.class_weight_power)
        every_drug = _SparseRows.from_matrix(features.matrix, self.feature_names_)
        self.net_ = self._fit_net(features.matrix, every_drug, (a, b, y, level), val)
        with torch.no_grad():
            self.drug_embedding_ = self._embeddings(every_drug)
        self._calibrate(val)
        self.fit_seconds_ = time.perf_counter() - started
        logger.info(
            "interaction model: %d pairs + %d negatives, %d drugs seen, best epoch %d, %.1f s",
            len(pairs),
            len(negatives),
            int(self.seen_.sum()),
            self.best_epoch_,
            self.fit_seconds_,
        )
        return self

    def _fit_net(
        self, matrix: np.ndarray, every_drug: _SparseRows, train: Labelled, val: Labelled
    ) -> _PairNet:
        """A new net trained on `train` (early-stopped on `val`), in eval mode."""
        a, b, y, level = train
        # Only drugs of training pairs are encoded during training (about half the table).
        active = np.flatnonzero(self.seen_)
        training_drugs = _SparseRows.from_matrix(matrix[active], self.feature_names_)
        local = np.full(len(self.seen_), -1, dtype=np.int64)
        local[active] = np.arange(len(active))
        with torch.random.fork_rng(devices=[]):
            # nn.Linear initialises from the global generator: seed it inside a fork so fitting
            # neither depends on nor disturbs the caller's random state. Everything else
            # (shuffling, dropout and ID-drop masks) draws from `generator`.
            torch.manual_seed(self.seed)
            generator = torch.Generator().manual_seed(self.seed)
            net = self._new_net(matrix, active)
            net.dropout.generator = generator
            self.history_ = self._train(
                net,
                every_drug,
                training_drugs,
                (local[a], local[b], a, b, y, level),
                val,
                generator,
            )
            net.dropout.generator = None  # generators do not pickle; inference needs none
        return net.eval()

    def _new_net(self, matrix: np.ndarray, active: np.ndarray) -> _PairNet:
        """An initialised net; `active` are the rows of the training drugs."""
        nnz = float((matrix != 0).sum(axis=1).mean())
        net = _PairNet(
            matrix.shape[1], len(self.names_), self.hidden, self.embed_dim, self.dropout, nnz
        )
        # A column no training drug has never gets a gradient: its random initial weights
        # would reach only unseen drugs, as seed-dependent noise. Zero: an unseen feature
        # contributes nothing.
        untrained = torch.from_numpy(~matrix[active].any(axis=0))
        with torch.no_grad():
            net.feature_weight[untrained] = 0.0
        return net

    def _train(
        self,
        net: _PairNet,
        every_drug: _SparseRows,
        training_drugs: _SparseRows,
        train: tuple[np.ndarray, ...],
        val: Labelled,
        generator: torch.Generator,
    ) -> list[dict[str, float]]:
        """The optimisation loop; leaves `net` holding the best validation epoch's weights.

        Args:
            net: the network to train.
            every_drug: features of all drugs (for validation).
            training_drugs: features of the drugs of training pairs only.
            train: local rows (into `training_drugs`) a, b; global rows a, b; labels y, level.
            val: global rows a, b; labels y, level.
            generator: the seeded source of shuffling and dropout masks.
        """
        examples = tuple(torch.from_numpy(x) for x in train)
        n_examples = len(examples[0])
        class_weights = torch.from_numpy(self.class_weights_)
        optimizer = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        steps = self.epochs * ((n_examples + self.batch_size - 1) // self.batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.lr, total_steps=max(steps, 1), pct_start=0.1
        )
        best_loss, best_state, history = float("inf"), copy.deepcopy(net.state_dict()), []
        self.best_epoch_ = 0
        epochs = progress(range(1, self.epochs + 1), "interaction model: epochs")
        for epoch in epochs:
            net.train()
            order = torch.randperm(n_examples, generator=generator)
            total = 0.0
            batches = range(0, len(order), self.batch_size)
            for start in progress(batches, f"interaction model: epoch {epoch}/{self.epochs}"):
                rows = order[start : start + self.batch_size]
                batch = tuple(x[rows] for x in examples)
                loss = self._batch_loss(net, training_drugs, batch, class_weights, generator)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total += float(loss.detach()) * len(rows)
            val_loss = self._validation_loss(net, every_drug, val, class_weights)
            history.append({"epoch": epoch, "train_loss": total / n_examples, "val_loss": val_loss})
            logger.debug("epoch %d: train %.4f val %.4f", epoch, total / n_examples, val_loss)
            epochs.set_postfix(train_loss=f"{total / n_examples:.4f}", val_loss=f"{val_loss:.4f}")
            if val_loss < best_loss:
                best_loss, self.best_epoch_ = val_loss, epoch
                best_state = copy.deepcopy(net.state_dict())
        net.load_state_dict(best_state)
        return history

    def _batch_loss(
        self,
        net: _PairNet,
        training_drugs: _SparseRows,
        batch: tuple[torch.Tensor, ...],
        class_weights: torch.Tensor,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Loss of one batch (local a, local b, a, b, y, level) under feature, block and ID drop."""
        local_a, local_b, a, b, y, level = batch
        encoded = net.encode(training_drugs, self._drop_features(training_drugs, generator))
        sides = []
        for side, local_side in ((a, local_a), (b, local_b)):
            # An ID-dropped drug is seen as a new drug would be: by its features alone.
            keep = torch.rand(len(side), generator=generator) >= self.id_drop
            sides.append(encoded[local_side] + keep.unsqueeze(1) * net.drug_id(side))
        logit, severity_logits = net.pair(sides[0], sides[1])
        return self._loss(logit, severity_logits, y, level, class_weights)

    def _validation_loss(
        self, net: _PairNet, every_drug: _SparseRows, val: Labelled, class_weights: torch.Tensor
    ) -> float:
        """The training loss on the validation pairs, without dropout."""
        net.eval()
        with torch.no_grad():
            embedding = self._embeddings(every_drug, net)
            val_logits = _pair_logits(net, embedding, val[0], val[1])
            return float(self._loss(*val_logits, *_labels(val), class_weights))

    def _drop_features(self, rows: _SparseRows, generator: torch.Generator) -> torch.Tensor:
        """Entry values after entry and block dropout.

        Kept values are scaled by 1 / P(kept) so the encoder sees the same expected input at
        training and inference time.
        """
        n_rows = len(rows.offsets)
        n_blocks = int(rows.entry_block.max()) + 1 if len(rows.entry_block) else 1
        block_kept = torch.rand(n_rows, n_blocks, generator=generator) >= self.block_drop
        keep = block_kept[rows.entry_row, rows.entry_block]
        keep &= torch.rand(rows.values.shape, generator=generator) >= self.feature_drop
        scale = 1.0 / ((1.0 - self.feature_drop) * (1.0 - self.block_drop))
        return rows.values * keep * scale

    def _loss(
        self,
        logit: torch.Tensor,
        severity_logits: torch.Tensor,
        y: torch.Tensor,
        level: torch.Tensor,
        class_weights: torch.Tensor,
    ) -> torch.Tensor:
        """BCE on interaction + class-weighted CE on the graded positives."""
        loss = nn.functional.binary_cross_entropy_with_logits(logit, y)
        graded = level >= 0
        if bool(graded.any()):
            loss = loss + self.severity_loss_weight * nn.functional.cross_entropy(
                severity_logits[graded], level[graded], weight=class_weights
            )
        return loss

    def _embeddings(self, rows: _SparseRows, net: _PairNet | None = None) -> torch.Tensor:
        """Every drug's final encoding: features + (for training drugs) its ID embedding."""
        net = net if net is not None else self.net_
        seen = torch.from_numpy(self.seen_).unsqueeze(1)
        return net.encode(rows) + seen * net.drug_id.weight

    def _group(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Novelty group of each pair: how many of its drugs have no ID embedding (0, 1, 2)."""
        unseen = ~self.seen_
        return unseen[np.asarray(a)].astype(np.int64) + unseen[np.asarray(b)]

    def _calibrate(self, val: Labelled) -> None:
        """Per novelty group: Platt scaling of the interaction logit; for severity, a
        temperature and a pooling weight with the hierarchical ATC class-pair prior (see
        `training.prescription.calibration`)."""
        a, b = val[0], val[1]
        with torch.no_grad():
            logits = _pair_logits(self.net_, self.drug_embedding_, a, b)
        class_weights = (
            torch.from_numpy(self.class_weights_) if self.calibration_class_weighted else None
        )
        calibration = calibrate_groups(
            self._group(a, b),
            logits,
            torch.from_numpy(self._log_prior(a, b)),
            _labels(val),
            class_weights,
            self.min_calibration,
        )
        self.interaction_scale_ = calibration.interaction_scale
        self.interaction_shift_ = calibration.interaction_shift
        self.severity_inverse_temperature_ = calibration.severity_inverse_temperature
        self.severity_prior_weight_ = calibration.severity_prior_weight

    def _log_prior(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """log P(severity | class pair) [B, 3], floored like the ONNX graph floors it."""
        _, prior = self.prior_.predict(a, b)
        return np.log(np.maximum(prior, PRIOR_FLOOR)).astype(np.float32)

    # ---------------------------------------------------------------- inference
    def predict(self, a_idx: np.ndarray, b_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated P(interaction) [B] and severity probabilities [B, 3] (SEVERITIES order).

        Args:
            a_idx: rows of the fitted `DrugFeatures` (int).
            b_idx: rows of the other drug of each pair.
        """
        a, b = np.asarray(a_idx, dtype=np.int64), np.asarray(b_idx, dtype=np.int64)
        group = self._group(a, b)
        with torch.no_grad():
            logit, severity_logits = _pair_logits(self.net_, self.drug_embedding_, a, b)
        p = _sigmoid(
            logit.numpy() * self.interaction_scale_[group] + self.interaction_shift_[group]
        )
        pooled = severity_logits.numpy() * self.severity_inverse_temperature_[group, None] + (
            self.severity_prior_weight_[group, None] * self._log_prior(a, b)
        )
        severity = _softmax(pooled)
        return p.astype(np.float32), severity.astype(np.float32)

    def to_onnx(self, opset: int = 17) -> onnx.ModelProto:
        """One graph: drug_a, drug_b int64 [batch] -> p_interaction [batch], severity [batch, 3]
        (built by `training.prescription.pair_graph.pair_graph`)."""
        return pair_graph(self, opset)


def _class_weights(level: np.ndarray, power: float) -> np.ndarray:
    """Severity class weights (n / (3 * n_class)) ** power over the graded pairs, float32 [3]."""
    graded = level[level >= 0]
    counts = np.bincount(graded, minlength=len(SEVERITIES)).astype(np.float64)
    weights = (counts.sum() / (len(SEVERITIES) * np.maximum(counts, 1.0))) ** power
    return weights.astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


def _validation_split(
    pairs: pd.DataFrame,
    negatives: pd.DataFrame,
    fraction: float,
    drug_fraction: float,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train pairs, train negatives, validation pairs, validation negatives).

    Validation = every pair touching `drug_fraction` of the drugs (so some validation pairs
    have one or two drugs the model never saw, like a prescription with a drug outside
    DDInter) + a random `fraction` of the other pairs (pairs of two seen drugs).
    """
    drugs = np.array(sorted(set(pairs["a"]) | set(pairs["b"])), dtype=object)
    held = set(rng.choice(drugs, size=round(drug_fraction * len(drugs)), replace=False).tolist())
    parts: list[tuple[pd.DataFrame, pd.DataFrame]] = []
    for frame in (pairs, negatives):
        touches = np.asarray(frame["a"].isin(held) | frame["b"].isin(held))
        rest, sliced = _slice(frame[~touches].reset_index(drop=True), fraction, rng)
        parts.append((rest, pd.concat([frame[touches], sliced], ignore_index=True)))
    return parts[0][0], parts[1][0], parts[0][1], parts[1][1]


def _slice(
    frame: pd.DataFrame, fraction: float, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rest, slice) with `fraction` of the rows in the slice, seeded."""
    order = rng.permutation(len(frame))
    n = round(fraction * len(frame))
    return (
        frame.iloc[np.sort(order[n:])].reset_index(drop=True),
        frame.iloc[np.sort(order[:n])].reset_index(drop=True),
    )


def _labelled_pairs(
    features: DrugFeatures, pairs: pd.DataFrame, negatives: pd.DataFrame
) -> Labelled:
    """Index arrays a, b, interaction label y (float32) and severity code (-1 = none)."""
    a = np.concatenate([features.indices(pairs["a"]), features.indices(negatives["a"])])
    b = np.concatenate([features.indices(pairs["b"]), features.indices(negatives["b"])])
    y = np.concatenate([np.ones(len(pairs)), np.zeros(len(negatives))]).astype(np.float32)
    level = np.concatenate([level_codes(pairs["level"]), np.full(len(negatives), -1)])
    return a, b, y, level.astype(np.int64)


def _labels(
    examples: Labelled,
) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(examples[2]), torch.from_numpy(examples[3])


def _pair_logits(
    net: _PairNet, embedding: torch.Tensor, a: np.ndarray, b: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    a_t = torch.from_numpy(np.asarray(a, dtype=np.int64))
    b_t = torch.from_numpy(np.asarray(b, dtype=np.int64))
    return net.pair(embedding[a_t], embedding[b_t])
