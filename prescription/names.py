"""Drug-name normalisation ("prescription.names.v1"), shared by the KB builder and the resolver.

People write drug names with strengths, dosage forms and salts: "布洛芬缓释胶囊 0.3g",
"Amlodipine besylate 5 mg tablets", "盐酸二甲双胍片". `name_key` reduces a name to a lookup key;
`name_variants` yields progressively stripped keys (form, then salt) that the resolver tries in
order, so a salt is only dropped when the name with it is not known.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Longest first, so "缓释胶囊" is stripped whole rather than leaving "缓释".
_ZH_FORMS = sorted(
    [
        "缓释胶囊",
        "缓释片",
        "控释片",
        "肠溶片",
        "肠溶胶囊",
        "分散片",
        "泡腾片",
        "咀嚼片",
        "含片",
        "口崩片",
        "口腔崩解片",
        "薄膜衣片",
        "糖衣片",
        "双层片",
        "软胶囊",
        "硬胶囊",
        "胶囊剂",
        "片剂",
        "胶囊",
        "颗粒剂",
        "颗粒",
        "干混悬剂",
        "混悬液",
        "混悬剂",
        "口服溶液",
        "口服液",
        "口服乳剂",
        "糖浆",
        "滴剂",
        "注射液",
        "注射剂",
        "粉针剂",
        "冻干粉针",
        "输液",
        "滴眼液",
        "眼用凝胶",
        "眼膏",
        "滴耳液",
        "滴鼻液",
        "鼻喷雾剂",
        "喷雾剂",
        "气雾剂",
        "吸入气雾剂",
        "吸入粉雾剂",
        "吸入用溶液",
        "吸入剂",
        "粉雾剂",
        "软膏",
        "乳膏",
        "霜剂",
        "凝胶",
        "贴剂",
        "贴膏",
        "透皮贴",
        "栓剂",
        "栓",
        "散剂",
        "散",
        "丸剂",
        "丸",
        "溶液",
        "酊剂",
        "搽剂",
        "洗剂",
        "笔芯",
        "特充",
        "预填充注射笔",
        "注射笔",
        "片",
        "针",
        # descriptors left once a form is stripped: "混悬滴剂" -> "混悬", "缓释微丸" -> "缓释"
        "混悬滴剂",
        "口服混悬液",
        "混悬",
        "缓释",
        "控释",
        "肠溶",
        "滴丸",
        "微丸",
        "胶丸",
        "含漱液",
        "阴道栓",
        "阴道片",
        "乳剂",
    ],
    key=len,
    reverse=True,
)
_ZH_FORM_PREFIXES = ("注射用", "吸入用", "外用", "口服")
_ZH_SALT_PREFIXES = sorted(
    [
        "盐酸",
        "硫酸",
        "硫酸氢",
        "马来酸",
        "苯磺酸",
        "甲磺酸",
        "磷酸",
        "酒石酸",
        "琥珀酸",
        "富马酸",
        "枸橼酸",
        "醋酸",
        "乳酸",
        "氢溴酸",
        "门冬氨酸",
        "甲苯磺酸",
        "苯甲酸",
        "草酸",
        "葡萄糖酸",
    ],
    key=len,
    reverse=True,
)
_ZH_SALT_SUFFIXES = ("钠", "钾", "钙", "镁", "锌", "酯")
_EN_FORMS = re.compile(
    r"\b(tablets?|tabs?|capsules?|caps?|injection|injectable|infusion|oral solution|solution|"
    r"suspension|syrup|elixir|drops?|cream|ointment|gel|lotion|patch(es)?|spray|inhaler|"
    r"suppositor(y|ies)|powder|granules|chewable|dispersible|effervescent|film[- ]coated|"
    r"extended[- ]release|delayed[- ]release|modified[- ]release|sustained[- ]release|"
    r"er|xr|sr|cr|xl|la|dr|ec|ir|odt|oral|iv|im|po)\b"
)
_EN_SALTS = (
    "hydrochloride",
    "hcl",
    "sodium",
    "potassium",
    "calcium",
    "magnesium",
    "besylate",
    "besilate",
    "maleate",
    "mesylate",
    "mesilate",
    "tartrate",
    "succinate",
    "fumarate",
    "citrate",
    "sulfate",
    "sulphate",
    "phosphate",
    "acetate",
    "bromide",
    "hydrobromide",
    "dihydrate",
    "monohydrate",
    "trihydrate",
    "hyclate",
    "axetil",
    "disodium",
    "dipropionate",
    "propionate",
    "valerate",
)
# Strengths and pack sizes: "200mg", "0.3 g", "5mg/5ml", "10万单位", "x 24", "24片/盒".
_STRENGTH = re.compile(
    r"(\d+(\.\d+)?\s*(mg|g|mcg|μg|ug|ml|iu|u|%|毫克|克|微克|毫升|单位|万单位|万u|国际单位)"
    r"(\s*/\s*\d*(\.\d+)?\s*(ml|g|mg|片|粒|袋|支|次|日|天|揿|喷|毫升))?)"
    # Pack sizes "x 24": the x must not follow a letter, or ATC codes (L04AX01) lose their tail.
    r"|((?<![a-z])[x×*]\s*\d+\s*(片|粒|袋|支|盒)?)|(\d+\s*(片|粒|袋|支)\s*/\s*(盒|瓶|板))",
    flags=re.IGNORECASE,
)
_BRACKETS = re.compile(r"[\(\[（【].*?[\)\]）】]")
_PUNCT = re.compile(r"[\s\-_,.;:'\"`·、，。；：/®™]+")


def name_key(name: str) -> str:
    """The lookup key of a name as written: NFKC, lower case, no strengths, single spaces.

    Brackets are kept here (DDInter names such as "adapalene (topical)" carry meaning in them);
    `name_variants` drops them as a later fallback.
    """
    text = unicodedata.normalize("NFKC", name).lower().replace("（", "(").replace("）", ")")
    text = _STRENGTH.sub(" ", text)
    return " ".join(_PUNCT.sub(" ", text).split())


def _strip_zh_forms(key: str) -> str:
    changed = True
    while changed and key:
        changed = False
        for prefix in _ZH_FORM_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix) + 1:
                key, changed = key[len(prefix) :], True
        for form in _ZH_FORMS:
            if key.endswith(form) and len(key) > len(form) + 1:
                key, changed = key[: -len(form)].strip(), True
                break
    return key


def _strip_en_forms(key: str) -> str:
    stripped = " ".join(_EN_FORMS.sub(" ", key).split())
    return stripped or key


def name_variants(name: str) -> Iterator[str]:
    """Keys to try for a name, most specific first, without repeats.

    Order: as written; without brackets; without dosage forms; without salts (Chinese acid-salt
    prefixes such as 盐酸, trailing 钠/钾/钙/酯, English salt words).
    """
    seen: set[str] = set()
    first = name_key(name)
    candidates = [first, " ".join(_BRACKETS.sub(" ", first).split())]
    for key in list(candidates):
        candidates.append(_strip_en_forms(_strip_zh_forms(key)))
    for key in list(candidates):
        words = key.split()
        if len(words) > 1 and words[-1] in _EN_SALTS:
            candidates.append(" ".join(w for w in words if w not in _EN_SALTS))
        for prefix in _ZH_SALT_PREFIXES:
            if key.startswith(prefix) and len(key) > len(prefix) + 1:
                candidates.append(key[len(prefix) :])
        for suffix in _ZH_SALT_SUFFIXES:
            if key.endswith(suffix) and len(key) > len(suffix) + 1:
                candidates.append(key[: -len(suffix)])
    for key in candidates:
        if key and key not in seen:
            seen.add(key)
            yield key
