"""(b) A small BERT-style classifier built with Hugging Face transformers.

No hub: the model starts from a config and a WordPiece tokenizer trained with `tokenizers` on the
corpus (Chinese characters become single tokens, as BERT-Chinese does), optionally masked-LM
pretrained on the unlabelled requests. `base_model:` may name a local checkpoint folder instead
(config.json + weights + tokenizer.json or vocab.txt).
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import BertConfig as HfBertConfig
from transformers import BertForMaskedLM, BertForSequenceClassification

from runtime.text import TextEncoder
from training.config import BertConfig, TriageConfig
from training.progress import progress
from training.triage.data import TriageData
from training.triage.trained import Feeds, Trained
from triage.predictor import WordPieceEncoder
from triage.text import with_age_prefix

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Train a BERT WordPiece tokenizer on the corpus (texts already normalised)."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, min_frequency=2, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer)
    _add_post_processor(tokenizer)
    return tokenizer


def _add_post_processor(tokenizer: Tokenizer) -> None:
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[
            ("[CLS]", tokenizer.token_to_id("[CLS]")),
            ("[SEP]", tokenizer.token_to_id("[SEP]")),
        ],
    )
    tokenizer.decoder = decoders.WordPiece()


def load_checkpoint_tokenizer(base: Path) -> Tokenizer:
    """The tokenizer of a local checkpoint: its tokenizer.json, else a WordPiece from vocab.txt."""
    if (base / "tokenizer.json").is_file():
        return Tokenizer.from_file(str(base / "tokenizer.json"))
    if (base / "vocab.txt").is_file():
        vocab = {
            token: i
            for i, token in enumerate((base / "vocab.txt").read_text(encoding="utf-8").splitlines())
        }
        tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
        tokenizer.normalizer = normalizers.BertNormalizer(
            clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True
        )
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        _add_post_processor(tokenizer)
        return tokenizer
    raise FileNotFoundError(f"base model {base}: no tokenizer.json or vocab.txt")


def check_tokenizer_parity(base: Path, tokenizer: Tokenizer, texts: list[str]) -> None:
    """The checkpoint's Hugging Face tokenizer and our `tokenizers` one must give the same ids."""
    from transformers import AutoTokenizer

    hf = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    for text in texts:
        expected = hf(text)["input_ids"]
        actual = tokenizer.encode(text).ids
        if list(expected) != list(actual):
            raise RuntimeError(
                f"tokenizer ids differ on {text[:40]!r}: HF {expected[:12]} vs {actual[:12]}"
            )


class LogitsOnly(torch.nn.Module):
    """Wraps a sequence classifier so the exported graph has one output, 'logits'."""

    def __init__(self, model: BertForSequenceClassification) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def _batches(n: int, size: int, generator: torch.Generator) -> list[np.ndarray]:
    order = torch.randperm(n, generator=generator).numpy()
    return [order[i : i + size] for i in range(0, n, size)]


def _mask_tokens(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    tokenizer: Tokenizer,
    p: float,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT masking: of the chosen p of real tokens, 80% [MASK], 10% random, 10% unchanged."""
    special = torch.tensor([tokenizer.token_to_id(t) for t in SPECIAL_TOKENS])
    candidates = (attention_mask == 1) & ~torch.isin(input_ids, special)
    chosen = (torch.rand(input_ids.shape, generator=generator) < p) & candidates
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    roll = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    mask_id = tokenizer.token_to_id("[MASK]")
    assert mask_id is not None, "tokenizer has no [MASK] token"
    masked[chosen & (roll < 0.8)] = mask_id
    random_ids = torch.randint(
        len(SPECIAL_TOKENS), tokenizer.get_vocab_size(), input_ids.shape, generator=generator
    )
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = random_ids[swap]
    return masked, labels


def _schedule(
    optimizer: torch.optim.Optimizer, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, total_steps // 10)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min(
            (step + 1) / warmup, max(0.0, (total_steps - step) / (total_steps - warmup + 1))
        ),
    )


def _step(
    model: torch.nn.Module,
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
) -> float:
    """One optimiser step with gradient clipping; returns the loss."""
    optimizer.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    return loss.item()


def pretrain_mlm(
    hf_config: HfBertConfig,
    encoder: TextEncoder,
    tokenizer: Tokenizer,
    texts: list[str],
    model_config: BertConfig,
    seed: int,
) -> BertForMaskedLM:
    """Masked-LM pretraining of the encoder on unlabelled complaints."""
    assert model_config.pretrain is not None
    settings = model_config.pretrain
    model = BertForMaskedLM(hf_config)
    generator = torch.Generator().manual_seed(seed)
    texts = texts[: settings.max_texts]
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=0.01)
    total = settings.epochs * math.ceil(len(texts) / settings.batch_size)
    scheduler = _schedule(optimizer, total)
    model.train()
    for epoch in range(settings.epochs):
        # An epoch over the unlabelled requests runs for many minutes: the batches report.
        batches = progress(
            _batches(len(texts), settings.batch_size, generator),
            f"mlm epoch {epoch + 1}/{settings.epochs}",
        )
        for index in batches:
            feeds = encoder.encode([texts[i] for i in index])
            input_ids = torch.from_numpy(feeds["input_ids"])
            attention_mask = torch.from_numpy(feeds["attention_mask"])
            masked, labels = _mask_tokens(
                input_ids, attention_mask, tokenizer, settings.mask_probability, generator
            )
            loss = model(input_ids=masked, attention_mask=attention_mask, labels=labels).loss
            batches.set_postfix(loss=f"{_step(model, loss, optimizer, scheduler):.3f}")
    return model


def fine_tune(
    model: BertForSequenceClassification,
    encoder: TextEncoder,
    texts: list[str],
    y: torch.Tensor,
    model_config: BertConfig,
    seed: int,
) -> None:
    """The classification training loop: AdamW with warm-up and linear decay, in place."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=model_config.lr, weight_decay=0.01)
    total = model_config.epochs * math.ceil(len(texts) / model_config.batch_size)
    scheduler = _schedule(optimizer, total)
    model.train()
    for epoch in range(model_config.epochs):
        # An epoch on the real data runs for many minutes: the batches report.
        batches = progress(
            _batches(len(texts), model_config.batch_size, generator),
            f"bert epoch {epoch + 1}/{model_config.epochs}",
        )
        for index in batches:
            feeds = encoder.encode([texts[i] for i in index])
            out = model(
                input_ids=torch.from_numpy(feeds["input_ids"]),
                attention_mask=torch.from_numpy(feeds["attention_mask"]),
                labels=y[index],
            )
            batches.set_postfix(loss=f"{_step(model, out.loss, optimizer, scheduler):.3f}")


def export_onnx(model: BertForSequenceClassification, path: Path, feeds: Feeds, opset: int) -> None:
    """Export ids + mask -> logits with dynamic batch and sequence axes."""
    wrapper = LogitsOnly(model).eval()
    args = (torch.from_numpy(feeds["input_ids"]), torch.from_numpy(feeds["attention_mask"]))
    torch.onnx.export(
        wrapper,
        args,
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"},
        },
        opset_version=opset,
        dynamo=False,
    )


def train_bert_classifier(
    model_config: BertConfig, config: TriageConfig, data: TriageData
) -> Trained:
    """Train (or fine-tune a local checkpoint) and export the transformer classifier.

    Steps: tokenizer and model (a local checkpoint's, else new ones) -> masked-LM pretraining
    (new models only, when configured) -> fine-tuning -> ONNX export.
    """
    train = data.part("train")
    workdir = Path(tempfile.mkdtemp(prefix="triage-bert-"))
    texts = [with_age_prefix(t, b) for t, b in zip(train["text"], train["age_bucket"], strict=True)]
    started = time.perf_counter()
    if model_config.base_model:
        tokenizer, model, max_length = _from_checkpoint(model_config, len(data.labels), texts)
    else:
        tokenizer, model, max_length = _from_scratch(model_config, data)
    tokenizer_path = workdir / "tokenizer.json"
    tokenizer.save(str(tokenizer_path))
    encoder = TextEncoder(tokenizer_path, max_length)
    pretrain = model_config.pretrain
    if pretrain is not None and pretrain.epochs > 0 and not model_config.base_model:
        _pretrain_encoder(model, encoder, tokenizer, data, model_config, config.seed)
    y = torch.from_numpy(np.searchsorted(data.labels, train["department"]).astype(np.int64))
    fine_tune(model, encoder, texts, y, model_config, config.seed)
    seconds = time.perf_counter() - started
    model.eval()
    export_onnx(model, workdir / "model.onnx", encoder.encode(texts[:2]), config.export.opset)
    model.eval()  # the exporter restores the wrapper's mode; the reference must not use dropout
    return _trained(model_config, model, tokenizer, encoder, workdir, seconds)


def _from_checkpoint(
    model_config: BertConfig, n_labels: int, texts: list[str]
) -> tuple[Tokenizer, BertForSequenceClassification, int]:
    """A local checkpoint's tokenizer (checked against its Hugging Face one) and model, with a
    new classification head; the max length fits its position embeddings."""
    assert model_config.base_model
    base = Path(model_config.base_model)
    tokenizer = load_checkpoint_tokenizer(base)
    check_tokenizer_parity(base, tokenizer, texts[:20])
    model = BertForSequenceClassification.from_pretrained(
        str(base),
        num_labels=n_labels,
        local_files_only=True,
        ignore_mismatched_sizes=True,
    )
    return tokenizer, model, min(model_config.max_length, model.config.max_position_embeddings)


def _from_scratch(
    model_config: BertConfig, data: TriageData
) -> tuple[Tokenizer, BertForSequenceClassification, int]:
    """A WordPiece tokenizer trained on every request we have and a new, randomly initialised
    model of the configured size."""
    tokenizer = train_tokenizer(
        list(data.part("train")["text"]) + list(data.unlabeled["text"]), model_config.vocab_size
    )
    hf_config = HfBertConfig(  # type: ignore[call-arg]  # num_labels goes through **kwargs
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=model_config.hidden_size,
        num_hidden_layers=model_config.num_layers,
        num_attention_heads=model_config.num_heads,
        intermediate_size=model_config.intermediate_size,
        max_position_embeddings=model_config.max_length,
        hidden_dropout_prob=model_config.dropout,
        attention_probs_dropout_prob=model_config.dropout,
        pad_token_id=tokenizer.token_to_id("[PAD]"),
        num_labels=len(data.labels),
    )
    return tokenizer, BertForSequenceClassification(hf_config), model_config.max_length


def _pretrain_encoder(
    model: BertForSequenceClassification,
    encoder: TextEncoder,
    tokenizer: Tokenizer,
    data: TriageData,
    model_config: BertConfig,
    seed: int,
) -> None:
    """Masked-LM pretrain on the unlabelled and training requests (shuffled, so `max_texts`
    draws from both) and copy the encoder weights into `model`."""
    corpus = list(data.unlabeled["text"]) + list(data.part("train")["text"])
    rng = np.random.default_rng(seed)
    corpus = [corpus[i] for i in rng.permutation(len(corpus))]
    mlm = pretrain_mlm(model.config, encoder, tokenizer, corpus, model_config, seed)
    model.bert.load_state_dict(mlm.bert.state_dict(), strict=False)


def _trained(
    model_config: BertConfig,
    model: BertForSequenceClassification,
    tokenizer: Tokenizer,
    encoder: TextEncoder,
    workdir: Path,
    seconds: float,
) -> Trained:
    """The fitted transformer as a `Trained` family: its graph and tokenizer (model.onnx and
    tokenizer.json in `workdir`), preprocessing, reference and eager model."""
    max_length = encoder.max_length

    def reference(feeds: Feeds) -> np.ndarray:
        with torch.no_grad():
            return model(
                input_ids=torch.from_numpy(feeds["input_ids"]),
                attention_mask=torch.from_numpy(feeds["attention_mask"]),
            ).logits.numpy()

    def save_eager(folder: Path) -> None:
        model.save_pretrained(str(folder), safe_serialization=True)
        tokenizer.save(str(folder / "tokenizer.json"))
        (folder / "preprocessing.json").write_text(json.dumps({"max_length": max_length}))

    params: dict[str, Any] = {k: v for k, v in model_config.model_dump().items() if k != "pretrain"}
    params.update(
        vocab_size_actual=tokenizer.get_vocab_size(),
        n_parameters=sum(p.numel() for p in model.parameters()),
        mlm_pretrain=model_config.pretrain.model_dump() if model_config.pretrain else None,
    )
    return Trained(
        architecture=model_config.architecture,
        onnx_model=onnx.load(str(workdir / "model.onnx")),
        encoder=WordPieceEncoder(encoder),
        reference=reference,
        preprocessing={
            "kind": "wordpiece",
            "normaliser": "triage.text.v1",
            "max_length": max_length,
            "truncation": "right",
            "padding": "longest in batch",
            "age": "text prefix 'age <bucket>;'",
        },
        files={"tokenizer.json": workdir / "tokenizer.json"},
        params=params,
        train_seconds=seconds,
        eager_model=model,
        save_eager=save_eager,
    )
