"""SASRec: a causal transformer over a user's item sequence, trained with full softmax CE.

Kang & McAuley (2018) trained SASRec with one sampled negative per positive and binary
cross-entropy; Klenitskiy & Vasilev ("Turning Dross Into Gold Loss: is BERT4Rec really better
than SASRec?", RecSys 2023) showed that the same network trained with cross-entropy over *all*
items is much stronger. That is what this module does: every position of a user's sequence
predicts the next item with a softmax over the whole catalogue.

Layout of a model input (shared by training, `score_batch` and the ONNX graph): one int64 row of
`max_len` item indices, left-padded with the padding index `n_items`, oldest item first, so the
last column is always the most recent item. Positional embeddings are indexed by column, which
keeps "the most recent item" at one fixed position whatever the sequence length.

Ta-Feng-style baskets are flattened: a user's baskets in time order, each basket's items in the
order `Baskets` stores them, make one sequence.
"""

from __future__ import annotations

import copy
import itertools
import logging
import math
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn import functional as F

from recommend.features import sequence_items, sequence_row
from training.export import check_parity, save_and_open
from training.layers import SeededDropout
from training.progress import progress
from training.recommend.data import Baskets

logger = logging.getLogger(__name__)

Validation = tuple[list[np.ndarray], list[np.ndarray], np.ndarray]

# The training logits are [tokens, n_items] float32; with the softmax and its gradient about
# three such tensors live at once. A batch whose logits would exceed this many floats is split
# into micro-batches (gradients accumulated, same loss), so a step stays under ~1 GB whatever
# the catalogue size or sequence lengths.
_MAX_LOGITS = 2**26
# Rows scored at once at inference/validation: [rows, n_items] float32 stays small.
_SCORE_ROWS = 1024
_K = 10


class _Block(nn.Module):
    """A pre-LN transformer block: x + attention(LN(x)), then x + feed-forward(LN(x)).

    The feed-forward layer is hidden -> hidden (as in SASRec's point-wise convolutions): the
    Amazon sets are small, and a 4x wider layer only adds capacity to overfit.
    """

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.hidden = hidden
        # Python constants, not tensor-derived values, so the ONNX trace holds no guesses.
        self.scale = 1.0 / math.sqrt(hidden // heads)
        self.norm_attention = nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm_ffn = nn.LayerNorm(hidden)
        self.ffn_in = nn.Linear(hidden, hidden)
        self.ffn_out = nn.Linear(hidden, hidden)
        self.attention_dropout = SeededDropout(dropout)
        self.residual_dropout = SeededDropout(dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """x [B, L, D], allowed [B, 1, L, L] (query attends to key) -> [B, L, D]."""
        batch, length = x.shape[0], x.shape[1]
        q, k, v = self.qkv(self.norm_attention(x)).split(self.hidden, dim=2)
        q, k, v = (t.reshape(batch, length, self.heads, -1).transpose(1, 2) for t in (q, k, v))
        weights = (q @ k.transpose(-2, -1)) * self.scale
        # `allowed` always holds the diagonal, so every row keeps one finite entry and the
        # softmax never sees a row of -inf (which would give NaN for left padding).
        weights = weights.masked_fill(~allowed, float("-inf")).softmax(dim=-1)
        mixed = (self.attention_dropout(weights) @ v).transpose(1, 2).reshape(batch, length, -1)
        x = x + self.residual_dropout(self.out(mixed))
        ffn = self.ffn_out(F.relu(self.ffn_in(self.norm_ffn(x))))
        return x + self.residual_dropout(ffn)


class _SASRecNet(nn.Module):
    """Item + position embeddings, causal blocks, a final LayerNorm, shared output embeddings."""

    causal: torch.Tensor
    diagonal: torch.Tensor
    popularity: torch.Tensor

    def __init__(
        self, n_items: int, max_len: int, hidden: int, layers: int, heads: int, dropout: float
    ) -> None:
        super().__init__()
        self.n_items = n_items
        self.max_len = max_len
        self.hidden = hidden
        self.item = nn.Embedding(n_items + 1, hidden, padding_idx=n_items)
        self.position = nn.Embedding(max_len, hidden)
        self.embedding_dropout = SeededDropout(dropout)
        self.blocks = nn.ModuleList(_Block(hidden, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)
        self.register_buffer("causal", torch.tril(torch.ones(max_len, max_len, dtype=torch.bool)))
        self.register_buffer("diagonal", torch.eye(max_len, dtype=torch.bool))
        # Scores for a sequence of padding only (no history, empty cart): the item popularity
        # (log frequency in training), set by `fit`. A transformer's output for padding alone
        # carries no information, and popularity is the sensible cold-start ranking.
        self.register_buffer("popularity", torch.zeros(n_items))
        self._initialise()

    def _initialise(self) -> None:
        # Small normal initialisation (GPT-style): nn.Embedding's N(0, 1) default makes the
        # initial logits over 10^4 items huge and the first epochs unstable.
        for module in self.modules():
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        with torch.no_grad():
            self.item.weight[self.n_items].zero_()

    def set_dropout_generator(self, generator: torch.Generator | None) -> None:
        """Point every dropout layer at `generator` (None after training: generators don't copy)."""
        for module in self.modules():
            if isinstance(module, SeededDropout):
                module.generator = generator

    def hidden_states(self, seq: torch.Tensor) -> torch.Tensor:
        """seq int64 [B, W] left-padded, W <= max_len -> hidden states [B, W, D].

        The W columns are the last W of a max_len row: a batch whose rows are all shorter than
        max_len may drop its leading all-padding columns and get the same states, because
        padding keys are masked and positions are counted from the right.
        """
        width = seq.shape[1]
        real = seq != self.n_items
        positions = self.position.weight[self.max_len - width :]
        # sqrt(hidden) scaling as in SASRec/Transformer: item identity should dominate position.
        x = self.item(seq) * math.sqrt(self.hidden) + positions
        x = self.embedding_dropout(x)
        causal = self.causal[:width, :width]
        diagonal = self.diagonal[:width, :width]
        # Causal, keys masked where they are padding, but a position may always see itself.
        allowed = (causal & real[:, None, None, :]) | diagonal
        for block in self.blocks:
            x = block(x, allowed)
        return self.norm(x)

    def logits(self, states: torch.Tensor) -> torch.Tensor:
        """Hidden states [..., D] -> scores over the catalogue [..., n_items]."""
        return states @ self.item.weight[: self.n_items].T

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        """seq int64 [B, max_len] -> scores [B, n_items] for the item after the last column."""
        scores = self.logits(self.hidden_states(seq)[:, -1])
        empty = (seq == self.n_items).all(dim=1, keepdim=True)
        return torch.where(empty, self.popularity.expand_as(scores), scores)


class _Export(nn.Module):
    """What the ONNX graph holds: item_seq -> scores, always in eval mode."""

    def __init__(self, net: _SASRecNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, item_seq: torch.Tensor) -> torch.Tensor:
        return self.net(item_seq)


class SASRec:
    """Sequential recommender: a causal transformer trained with softmax CE over all items.

    Args:
        max_len: items of a sequence the model sees (the most recent ones).
        hidden: embedding and hidden size.
        layers: transformer blocks.
        heads: attention heads (must divide `hidden`).
        dropout: dropout on embeddings, attention weights and residual branches.
        epochs: most passes over the users.
        batch_size: users per optimisation step.
        lr: Adam learning rate.
        weight_decay: Adam (L2) weight decay.
        patience: epochs without a better validation NDCG@10 before stopping.
        max_seconds: stop training after this many seconds (checked after every batch);
            None for no limit.
        seed: seeds initialisation, shuffling and dropout.

    Attributes (after `fit`):
        net_: the trained torch network (eval mode), holding the best validation epoch.
        n_items_: catalogue size; the padding index equals it.
        item_ids_: index -> item id, as in the training `Baskets`.
        popularity_: log frequency of each item in the training sequences [n_items]; the
            scores an empty sequence gets.
        history_: one dict per epoch: epoch, loss, seconds and (with validation) ndcg, hr.
        best_epoch_: the epoch whose weights were kept (the last one without validation).
        epochs_: epochs run (a partial last epoch counts, when `max_seconds` cut it).
        fit_seconds_: training wall time.
    """

    def __init__(
        self,
        max_len: int = 50,
        hidden: int = 64,
        layers: int = 2,
        heads: int = 2,
        dropout: float = 0.2,
        epochs: int = 200,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 5,
        max_seconds: float | None = None,
        seed: int = 0,
    ) -> None:
        self.max_len = max_len
        self.hidden = hidden
        self.layers = layers
        self.heads = heads
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.max_seconds = max_seconds
        self.seed = seed

    # ----------------------------------------------------------------------------------- fit

    def fit(self, data: Baskets, validation: Validation | None = None) -> SASRec:
        """Train on every user's sequence (all positions predict the next item, causal attention).

        Args:
            data: the training interactions; each user's baskets, flattened in time order, make
                one sequence. Users with fewer than two items teach nothing and are skipped.
            validation: (carts, histories, targets): early stopping on validation NDCG@10 (full
                ranking, history and cart items excluded), evaluated each epoch; the best
                epoch's weights are kept. Without it, the last epoch's weights are kept.

        Training stops after `patience` epochs without improvement, after `epochs` epochs or
        after `max_seconds` of training, whichever comes first.

        Raises:
            ValueError: on inconsistent parameters, or when no user has two items.
        """
        if self.hidden % self.heads:
            raise ValueError(f"hidden {self.hidden} is not a multiple of heads {self.heads}")
        if self.max_len < 1 or self.batch_size < 1:
            raise ValueError("max_len and batch_size must be >= 1")
        started = time.perf_counter()
        n_items = data.n_items
        sequences = user_sequences(data)
        inputs, targets, lengths = self._training_rows(sequences, n_items)
        if not len(lengths):
            raise ValueError("no user has two or more items to learn a transition from")
        counts = np.bincount(np.concatenate(sequences), minlength=n_items).astype(np.float64)
        self.n_items_ = n_items
        self.item_ids_ = list(data.item_ids)
        self.popularity_ = np.log((counts + 1.0) / (counts.sum() + n_items)).astype(np.float32)

        with torch.random.fork_rng(devices=[]):
            # Parameter initialisation draws from the global generator: seed it inside a fork
            # so a fit neither depends on nor disturbs the caller's random state. Shuffling and
            # dropout draw from `generator`.
            torch.manual_seed(self.seed)
            generator = torch.Generator().manual_seed(self.seed)
            net = _SASRecNet(
                n_items, self.max_len, self.hidden, self.layers, self.heads, self.dropout
            )
            net.popularity.copy_(torch.from_numpy(self.popularity_))
            net.set_dropout_generator(generator)
            self.net_ = net
            try:
                self._train(net, inputs, targets, lengths, validation, generator)
            finally:
                net.set_dropout_generator(None)
        self.net_ = net.eval()
        self.fit_seconds_ = time.perf_counter() - started
        logger.info(
            "sasrec: %d sequences, %d items, %d epochs, best epoch %d, %.1f s",
            len(lengths),
            n_items,
            self.epochs_,
            self.best_epoch_,
            self.fit_seconds_,
        )
        return self

    def _training_rows(
        self, sequences: list[np.ndarray], n_items: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Left-padded inputs s[:-1] and targets s[1:] (last max_len of each), and lengths."""
        usable = [s for s in sequences if len(s) >= 2]
        inputs = np.full((len(usable), self.max_len), n_items, dtype=np.int64)
        targets = np.full((len(usable), self.max_len), n_items, dtype=np.int64)
        lengths = np.zeros(len(usable), dtype=np.int64)
        for row, sequence in enumerate(usable):
            inputs[row] = sequence_row(sequence[:-1], self.max_len, n_items)
            targets[row] = sequence_row(sequence[1:], self.max_len, n_items)
            lengths[row] = min(len(sequence) - 1, self.max_len)
        return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(lengths)

    def _train(
        self,
        net: _SASRecNet,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        lengths: torch.Tensor,
        validation: Validation | None,
        generator: torch.Generator,
    ) -> None:
        """The optimisation loop; leaves `net` with the best validation epoch's weights."""
        optimizer = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        started = time.perf_counter()
        best_ndcg, best_state, stale = -1.0, copy.deepcopy(net.state_dict()), 0
        self.history_: list[dict[str, float]] = []
        self.best_epoch_ = 0
        self.epochs_ = 0
        out_of_time = False
        for epoch in range(1, self.epochs + 1):
            loss, out_of_time = self._epoch(
                net, optimizer, (inputs, targets, lengths), generator, epoch, started
            )
            self.epochs_ = epoch
            record = {
                "epoch": float(epoch),
                "loss": loss,
                "seconds": time.perf_counter() - started,
            }
            if validation is None:
                self.best_epoch_ = epoch
            else:
                net.eval()
                record.update(self.evaluate(*validation, k=_K))
                if record["ndcg"] > best_ndcg:
                    best_ndcg, best_state, stale = (
                        record["ndcg"],
                        copy.deepcopy(net.state_dict()),
                        0,
                    )
                    self.best_epoch_ = epoch
                else:
                    stale += 1
            self.history_.append(record)
            logger.info(
                "sasrec epoch %d: loss %.4f%s, %.0f s",
                epoch,
                record["loss"],
                f", val NDCG@{_K} {record['ndcg']:.4f}" if validation is not None else "",
                record["seconds"],
            )
            if out_of_time:
                logger.info("sasrec: stopped after %.0f s (max_seconds)", record["seconds"])
                break
            if validation is not None and stale >= self.patience:
                logger.info("sasrec: no better validation NDCG for %d epochs; stopped", stale)
                break
        if validation is not None:
            net.load_state_dict(best_state)

    def _epoch(
        self,
        net: _SASRecNet,
        optimizer: torch.optim.Optimizer,
        rows: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
        generator: torch.Generator,
        epoch: int,
        started: float,
    ) -> tuple[float, bool]:
        """One pass over the shuffled batches of (inputs, targets, lengths); returns the mean
        loss per token and whether `max_seconds` (counted from `started`) cut it short."""
        inputs, targets, lengths = rows
        net.train()
        total_loss, total_tokens = 0.0, 0
        out_of_time = False
        bar = progress(self._batches(lengths, generator), f"sasrec epoch {epoch}")
        for batch in bar:
            loss, tokens = self._step(net, optimizer, inputs[batch], targets[batch], lengths[batch])
            total_loss += loss * tokens
            total_tokens += tokens
            bar.set_postfix(loss=f"{loss:.3f}")
            if self.max_seconds is not None and time.perf_counter() - started > self.max_seconds:
                out_of_time = True
                break
        bar.close()
        return total_loss / max(total_tokens, 1), out_of_time

    def _batches(self, lengths: torch.Tensor, generator: torch.Generator) -> list[torch.Tensor]:
        """Shuffled batches of rows of similar length.

        Most sequences are far shorter than max_len, so a random batch is mostly padding. Users
        are shuffled, then sorted by length within pools of 64 batches and cut into batches whose
        order is shuffled again: each batch is a random draw among users of similar length, and
        the transformer runs on a few columns instead of max_len.
        """
        order = torch.randperm(len(lengths), generator=generator)
        pool = 64 * self.batch_size
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[torch.argsort(lengths[chunk], stable=True)]
            batches += list(chunk.split(self.batch_size))
        shuffle = torch.randperm(len(batches), generator=generator)
        return [batches[int(i)] for i in shuffle]

    def _step(
        self,
        net: _SASRecNet,
        optimizer: torch.optim.Optimizer,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        lengths: torch.Tensor,
    ) -> tuple[float, int]:
        """One Adam step on a batch; returns (mean loss per token, tokens)."""
        # Rows shorter than the batch's longest need none of the leading all-padding columns.
        width = int(lengths.max())
        inputs, targets = inputs[:, -width:], targets[:, -width:]
        tokens = int(lengths.sum())
        # Micro-batches of rows bound the [tokens, n_items] logits; summed losses divided by
        # the batch's token count make the accumulated gradient the full batch's.
        per_chunk = max(1, _MAX_LOGITS // max(width * net.n_items, 1))
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for start in range(0, len(inputs), per_chunk):
            chunk_inputs = inputs[start : start + per_chunk]
            chunk_targets = targets[start : start + per_chunk]
            real = chunk_targets != net.n_items
            # Logits only where a target exists: padding is most of a row on these data sets,
            # and the catalogue-wide product is the bulk of the compute.
            states = net.hidden_states(chunk_inputs)[real]
            loss = F.cross_entropy(net.logits(states), chunk_targets[real], reduction="sum")
            (loss / tokens).backward()
            total += float(loss.detach())
        optimizer.step()
        return total / tokens, tokens

    # ------------------------------------------------------------------------------ inference

    def encode_sequence(self, history: np.ndarray, cart: np.ndarray) -> np.ndarray:
        """The int64 [max_len] row `score_batch` and the ONNX graph use (padding = n_items).

        Args:
            history: item indices, oldest first.
            cart: items already in the cart (a set: its distinct items, ascending, follow the
                history).

        Returns:
            The last max_len items of history + cart, left-padded with n_items: the predictor's
            encoding (`recommend.features.sequence_items` and `sequence_row`).

        Raises:
            ValueError: when an item index is outside [0, n_items).
        """
        n_items = self._fitted_items()
        items = sequence_items(history, cart)
        if len(items) and (items.min() < 0 or items.max() >= n_items):
            raise ValueError(
                f"item indices must lie in [0, {n_items}); got {items.min()}..{items.max()}"
            )
        return sequence_row(items, self.max_len, n_items)

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] float32 for the next item of each history + cart.

        `ages` (baskets ago of each history item) is part of the shared recommender contract;
        the sequence order already carries it, so it is not used.

        The model's input for row i is histories[i] (item indices, oldest first) followed by
        carts[i] (its distinct items, ascending), truncated to the last max_len items. Nothing
        is excluded: items already in the history or cart keep their scores (callers mask them
        as their policy says).

        An empty history and empty cart give the item popularity (log frequency in training),
        identical in the ONNX graph, which returns it for an all-padding row.
        """
        if len(carts) != len(histories):
            raise ValueError(f"{len(carts)} carts but {len(histories)} histories")
        if not len(carts):
            return np.zeros((0, self._fitted_items()), dtype=np.float32)
        rows = np.stack([self.encode_sequence(h, c) for h, c in zip(histories, carts, strict=True)])
        return self.score_rows(rows)

    def score_rows(self, rows: np.ndarray) -> np.ndarray:
        """Scores [B, n_items] float32 for already encoded int64 rows [B, max_len].

        Each row is computed at the full max_len width, as the ONNX graph does, so a row's
        scores do not depend on the other rows of the batch (beyond float rounding, ~1e-6).
        """
        return self._forward_rows(rows, trim=False)

    def _forward_rows(self, rows: np.ndarray, trim: bool) -> np.ndarray:
        """Eval-mode scores in chunks; `trim` drops each chunk's all-padding leading columns.

        Trimming gives the same scores up to float rounding (padding keys are masked, positions
        count from the right) and is several times faster on short sequences: evaluation uses
        it, `score_rows` does not.
        """
        n_items = self._fitted_items()
        was_training = self.net_.training
        self.net_.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(rows), _SCORE_ROWS):
                chunk = np.ascontiguousarray(rows[start : start + _SCORE_ROWS], dtype=np.int64)
                if trim:
                    width = max(1, int((chunk != n_items).sum(axis=1).max()))
                    chunk = np.ascontiguousarray(chunk[:, -width:])
                out.append(self.net_(torch.from_numpy(chunk)).numpy().astype(np.float32))
        self.net_.train(was_training)
        return np.concatenate(out) if out else np.zeros((0, n_items), dtype=np.float32)

    def evaluate(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        targets: np.ndarray,
        k: int = _K,
    ) -> dict[str, float]:
        """HR@k and NDCG@k with a full ranking, the history and cart items excluded.

        The rank of a target is the number of items scored strictly higher; a target that is
        itself in the history or cart is excluded too and so counts as a miss.

        Returns:
            {"hr": hit rate, "ndcg": mean 1/log2(rank + 2) over targets ranked < k}.
        """
        if not len(carts) == len(histories) == len(targets):
            raise ValueError("carts, histories and targets must have the same length")
        targets = np.asarray(targets, dtype=np.int64)
        seen = [
            np.concatenate([np.asarray(h, np.int64).ravel(), np.asarray(c, np.int64).ravel()])
            for h, c in zip(histories, carts, strict=True)
        ]
        rows = np.stack([self.encode_sequence(h, c) for h, c in zip(histories, carts, strict=True)])
        # Similar lengths side by side, so trimmed chunks are narrow.
        order = np.argsort((rows != self.n_items_).sum(axis=1), kind="stable")
        hits, gains = 0.0, 0.0
        for start in range(0, len(order), _SCORE_ROWS):
            index = order[start : start + _SCORE_ROWS]
            scores = self._forward_rows(rows[index], trim=True)
            lengths = [len(seen[i]) for i in index]
            row_index = np.repeat(np.arange(len(index)), lengths)
            if len(row_index):
                scores[row_index, np.concatenate([seen[i] for i in index])] = -np.inf
            target_scores = scores[np.arange(len(index)), targets[index]]
            ranks = (scores > target_scores[:, None]).sum(axis=1)
            hit = (ranks < k) & np.isfinite(target_scores)
            hits += float(hit.sum())
            gains += float((1.0 / np.log2(ranks[hit] + 2.0)).sum())
        count = max(len(targets), 1)
        return {"hr": hits / count, "ndcg": gains / count}

    # ---------------------------------------------------------------------------------- export

    def to_onnx(self, opset: int = 17) -> onnx.ModelProto:
        """One graph: input `item_seq` int64 [batch, max_len] (left-padded with the padding index
        n_items; the last column is the most recent item) -> output `scores` float32
        [batch, n_items] (the popularity for an all-padding row, as `score_batch`)."""
        n_items = self._fitted_items()
        wrapper = _Export(copy.deepcopy(self.net_)).eval()
        example = torch.full((2, self.max_len), n_items, dtype=torch.int64)
        example[0, -1] = 0
        with (
            tempfile.TemporaryDirectory(prefix="sasrec-onnx-") as folder,
            warnings.catch_warnings(),
        ):
            # The tracer warns that nn.Embedding's padding_idx check becomes a constant: true,
            # and harmless, since the input width is fixed at max_len.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            path = Path(folder) / "sasrec.onnx"
            torch.onnx.export(
                wrapper,
                (example,),
                str(path),
                input_names=["item_seq"],
                output_names=["scores"],
                dynamic_axes={"item_seq": {0: "batch"}, "scores": {0: "batch"}},
                opset_version=opset,
                dynamo=False,
            )
            graph = onnx.load(str(path))
        onnx.checker.check_model(graph)
        return graph

    def _fitted_items(self) -> int:
        if not hasattr(self, "net_"):
            raise RuntimeError("SASRec is not fitted; call fit first")
        return int(self.n_items_)


def user_sequences(data: Baskets) -> list[np.ndarray]:
    """Each user's items as one int64 sequence: baskets in time order, items as stored.

    Returns:
        One array per user that has baskets, in user-index order.
    """
    per_user = data.user_baskets()
    sequences = []
    for user in sorted(per_user):
        baskets = per_user[user]
        starts, stops = data.indptr[baskets], data.indptr[baskets + 1]
        sequences.append(
            np.concatenate([data.indices[a:b] for a, b in zip(starts, stops, strict=True)]).astype(
                np.int64
            )
        )
    return sequences


def check_sasrec_parity(model: SASRec, path: Path, n: int = 64, atol: float = 1e-4) -> float:
    """Export `model` to `path` and compare the ONNX scores with PyTorch's on n sequences.

    The sequences are random: lengths from 0 (all padding) to beyond max_len (truncated), so
    short left-padded rows are covered; they are fed in batches of different sizes (1, then
    the rest split unevenly) because the graph must not depend on the batch size.

    Returns:
        The largest absolute difference.

    Raises:
        ParityError: when it exceeds `atol`.
    """
    n_items = model._fitted_items()
    rng = np.random.default_rng(model.seed)
    lengths = rng.integers(0, model.max_len + 5, size=max(n, 3))
    lengths[:3] = [0, 1, model.max_len]
    rows = np.stack(
        [
            model.encode_sequence(rng.integers(0, n_items, size=int(length)), np.zeros(0, np.int64))
            for length in lengths
        ]
    )
    onnx_model, _ = save_and_open(model.to_onnx(), path)
    cuts = sorted({0, 1, min(len(rows), 1 + (len(rows) - 1) // 3), len(rows)})
    feeds = [{"item_seq": rows[a:b]} for a, b in itertools.pairwise(cuts) if b > a]

    def reference(feed: dict[str, Any]) -> np.ndarray:
        return model.score_rows(feed["item_seq"])

    return check_parity(reference, onnx_model, feeds, atol)
