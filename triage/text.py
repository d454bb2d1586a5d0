"""The one text normaliser for triage ("triage.text.v1"), shared by training and inference.

Torch-free: this module must never import torch, transformers, sklearn, pandas or mlflow.
"""

from __future__ import annotations

import re
import unicodedata

NORMALISER_NAME = "triage.text.v1"

# haodf intake requests join the form's fields with ';' (complaint; description; title; help
# wanted). Fields the patient left blank arrive as the literal string "nan" from the export.
FIELD_SEPARATOR = ";"
_MISSING_FIELD = {"nan", "none", "null"}
_WHITESPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Normalise one complaint: NFKC (full-width to half-width), lower case, one space per run.

    Fields joined by ';' are kept in place so field positions still mean the same thing; a field
    that holds only a missing-value marker ("nan") becomes empty.

    Args:
        text: the complaint as the patient typed it.

    Returns:
        The normalised text.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    # NFKC maps the full-width '；' to ';' so both separators split the same way.
    fields = [_WHITESPACE.sub(" ", field).strip() for field in text.split(FIELD_SEPARATOR)]
    fields = ["" if field in _MISSING_FIELD else field for field in fields]
    return FIELD_SEPARATOR.join(fields)


def with_age_prefix(text: str, bucket: str) -> str:
    """Prefix a normalised text with its age bucket, how sequence models see age ('age 20+;...')."""
    return f"age {bucket}{FIELD_SEPARATOR}{text}"
