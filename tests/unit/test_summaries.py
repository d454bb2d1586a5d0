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


def test_summary_shows_alerts_in_chinese_and_english_and_french_only_as_labelled_source() -> None:
    french_mech = "Risque majoré de rhabdomyolyse par diminution du métabolisme hépatique."
    french_mgmt = "Contre-indication"
    base = {"severity": "contraindicated", "source": "knowledge_base", "interruptive": True}
    french_only = {
        **base,
        "type": "interaction",
        "drugs": ["simvastatin", "clarithromycin"],
        "message": french_mech,
        "management": french_mgmt,
        "evidence": f"ansm (2023): contraindicated - {french_mech} - {french_mgmt}",
    }
    bilingual = {
        **base,
        "type": "interaction",
        "drugs": ["sildenafil", "nitroglycerin"],
        "message": "sildenafil + nitroglycerin: contraindicated combination - hypotension.",
        "management": "Do not combine.",
        "evidence": "ansm (2023): contraindicated - Risque d'hypotension grave - CI",
        "message_en": "sildenafil + nitroglycerin: contraindicated combination - hypotension.",
        "management_en": "Do not combine.",
        "message_zh": "西地那非与硝酸甘油合用：禁止合用——严重低血压。",
        "management_zh": "禁止合用。",
    }
    check = {
        "id": "fr",
        "alerts": [french_only, bilingual],
        "pairs": [{}],
        "unresolved": [],
        "model": MODEL,
    }
    lines = rx.summarise(check)
    assert lines[1].strip().startswith("! contraindicated") and "simvastatin" in lines[1]
    zh_line, en_line, source_line = lines[2], lines[3], lines[4]
    assert zh_line.strip().startswith("中:") and "禁止合用" in zh_line and "横纹肌溶解" in zh_line
    assert en_line.strip().startswith("EN:") and "contraindicated combination" in en_line
    assert "rhabdomyolysis" in en_line and "Do not combine" in en_line
    assert source_line.strip() == f"来源原文 (ANSM, français): {french_mech} - {french_mgmt}"
    # The French text appears only behind its label; never as the alert's own line.
    assert [line for line in lines if "métabolisme" in line] == [source_line]
    # An alert with the checker's own Chinese and English text: 3 lines, no source text.
    assert lines[5].strip().startswith("! contraindicated") and "sildenafil" in lines[5]
    assert lines[6] == "    中: 西地那非与硝酸甘油合用：禁止合用——严重低血压。禁止合用。"
    assert lines[7].startswith("    EN: sildenafil + nitroglycerin") and lines[7].endswith(
        "Do not combine."
    )
    assert len(lines) == 8 and not any("Risque" in line for line in lines[5:])
