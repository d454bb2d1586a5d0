"""The one-screen summaries of batch output files (prescription and recommend)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prescription import summary as rx
from recommend import summary as carts

MODEL = {"name": "m", "version": "v1"}


def test_summaries_mark_interruptive_alerts_suppressions_and_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    check = {
        "id": "a",
        "alerts": [
            {
                "type": "interaction",
                "severity": "major",
                "drugs": ["x", "y"],
                "source": "knowledge_base",
                "interruptive": True,
            }
        ],
        "pairs": [{}],
        "unresolved": ["zz"],
        "model": MODEL,
    }
    lines = rx.summarise(check)
    assert (
        lines[1].strip().startswith("! major")
        and "x + y" in lines[1]
        and "unresolved: zz" in lines[2]
    )
    cart = {
        "id": "c",
        "recommendations": [{"item_id": "i1", "score": 1.5, "reason": "popular"}],
        "suppressed": [{"item_id": "i2", "reason": "duplicates ibuprofen"}],
        "unknown_items": ["q"],
        "model": MODEL,
    }
    text = "\n".join(carts.summarise(cart))
    assert "+ i1" in text and "x i2" in text and "unknown items: q" in text
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps(cart) + "\n" + json.dumps({"id": "bad", "error": "line 2: k: too big"}) + "\n"
    )
    assert carts.main([str(out)]) == 0
    printed = capsys.readouterr().out
    assert "bad: ERROR line 2: k: too big" in printed
    with pytest.raises(SystemExit) as usage:  # a bad invocation: exit 3, one error line
        rx.main([])
    assert usage.value.code == 3
    assert capsys.readouterr().err.startswith("error: the following arguments are required: FILE")
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text(json.dumps(cart) + "\n[1]\n{}\n")
    assert carts.main([str(garbage)]) == 1  # lines that are not output lines: shown, exit 1
    captured = capsys.readouterr()
    assert "line 2: not an output line (expected a JSON object" in captured.out
    assert "line 3: not an output line (missing field 'id')" in captured.out
    assert captured.err == f"error: 2 line(s) of {garbage} are not output lines\n"
