"""Round 16: the character -> toneless pinyin table the resolver reads same-syllable slips with,
and each traditional character's simplified form (Hong Kong and Taiwan script).

Built at KB build time with pypinyin (a train extra) and OpenCC (the t2s converter the triage
normaliser already uses); the torch-free resolver reads only the table:
every character of the bundle's Chinese names plus the CJK Unified Ideographs block, so a slip
character outside drug names (昔 written for 西 in 阿莫昔林) still has its syllables. Each
character keeps its first _MAX_READINGS readings as pypinyin lists them (the common ones first:
吡 bi/pi, 泛 fan/feng), toneless, ü written "v" (氯 lv); rarer readings are left out (泛's third,
fa, read 泛昔洛韦 famciclovir as 伐昔洛韦 valaciclovir in the leave-one-drug-out run), and so are
characters pypinyin has no reading for.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import opencc
from pypinyin import Style, pinyin

from prescription.resolver import PINYIN_FILE, is_cjk

# The CJK Unified Ideographs block (U+4E00..U+9FFF): the characters a pinyin input method offers.
_CJK_BLOCK = range(0x4E00, 0xA000)
_MAX_READINGS = 2

# Traditional characters of drug names OpenCC's t2s leaves as they are (variants): 醯
# (對乙醯氨基酚), 甯 (a variant of 寧); the other three of round 16's first list (託, 痠, 綫) it
# converts itself, and they stay here in case a later OpenCC drops them.
_EXTRA_SIMPLIFIED = {"託": "托", "醯": "酰", "痠": "酸", "綫": "线", "甯": "宁"}

__all__ = ["PINYIN_FILE", "pinyin_csv", "simplified_table", "syllable_table"]


def simplified_table() -> dict[str, str]:
    """Traditional character -> its simplified form (Hong Kong and Taiwan script: 華法林,
    頭孢呋辛, 腸溶片): OpenCC's t2s, character by character over the CJK block (a maintained
    converter; hanziconv's 2016 map, tried first, also mapped simplified characters to rare
    variants: 脊 -> 嵴, 呼 -> 唿), then _EXTRA_SIMPLIFIED; characters the same in both scripts,
    or that convert to more than one character, are left out."""
    converter = opencc.OpenCC("t2s")
    table = {chr(code): converter.convert(chr(code)) for code in _CJK_BLOCK}
    table.update(_EXTRA_SIMPLIFIED)
    return {t: s for t, s in table.items() if t != s and len(s) == 1}


def syllable_table(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Character -> its toneless readings, for the CJK block and every character of `names`."""
    chars = {chr(code) for code in _CJK_BLOCK}
    chars |= {ch for name in names for ch in name if is_cjk(ch)}
    table: dict[str, tuple[str, ...]] = {}
    for ch in sorted(chars):
        readings = pinyin(ch, style=Style.NORMAL, heteronym=True)[0]
        kept = tuple(dict.fromkeys(r for r in readings if r.isascii() and r.isalpha()))
        kept = kept[:_MAX_READINGS]
        if kept:
            table[ch] = kept
    return table


def pinyin_csv(names: Iterable[str]) -> str:
    """The tables as the bundle's zh_pinyin.csv text: char, syllables joined by "|", and the
    simplified form of a traditional character ("" for the others)."""
    simplified = simplified_table()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["char", "syllables", "simplified"])
    for ch, readings in syllable_table(names).items():
        writer.writerow([ch, "|".join(readings), simplified.get(ch, "")])
    return out.getvalue()
