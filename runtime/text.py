"""TextEncoder: a `tokenizers` tokenizer with truncation and padding pinned by the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer


class TextEncoder:
    """Turns texts into padded input_ids / attention_mask arrays for a BERT-style graph.

    Args:
        tokenizer_path: the bundle's tokenizer.json.
        max_length: sequences are truncated to this many tokens (special tokens included).
    """

    def __init__(self, tokenizer_path: str | Path, max_length: int) -> None:
        self.max_length = max_length
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()
        pad_id = self.tokenizer.token_to_id("[PAD]")
        self.pad_id = 0 if pad_id is None else pad_id

    def encode(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Encode a batch, padded to its longest sequence.

        Returns:
            {"input_ids": int64 [B, L], "attention_mask": int64 [B, L]}
        """
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        input_ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(encodings), width), dtype=np.int64)
        for i, encoding in enumerate(encodings):
            input_ids[i, : len(encoding.ids)] = encoding.ids
            attention_mask[i, : len(encoding.ids)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}


def is_cjk(char: str) -> bool:
    """Whether a character is a CJK unified ideograph (basic block or extension A)."""
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
