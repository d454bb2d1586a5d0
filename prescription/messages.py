"""Alert messages in the reader's language (Chinese and English), templated from the mechanism and
the grade (torch-free).

Source text (ANSM's French mechanism and management, DrugBank sentences) never becomes the message:
it stays in the alert's `evidence`. The message says what the two drugs do together and how
serious it is; the management line says what to do, by mechanism and grade. Templates are
deliberately conservative: no line tells the prescriber that a graded interaction is fine.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GRADE_EN = {
    "contraindicated": "contraindicated combination",
    "major": "major interaction",
    "moderate": "moderate interaction",
    "minor": "minor interaction",
}
GRADE_ZH = {
    "contraindicated": "禁止合用",
    "major": "严重相互作用",
    "moderate": "中度相互作用",
    "minor": "轻度相互作用",
}

# mechanism key -> (English effect, Chinese effect)
MECHANISMS: dict[str, tuple[str, str]] = {
    "bleeding": ("additive bleeding risk", "出血风险叠加增加"),
    "anticoagulant_level": (
        "the anticoagulant effect (INR or drug level) rises, with a risk of bleeding",
        "抗凝作用增强（INR或血药浓度升高），有出血风险",
    ),
    "antiplatelet_dapt": (
        "dual antiplatelet therapy: intended after ACS or stenting, with an added bleeding risk",
        "双联抗血小板治疗：急性冠脉综合征或支架术后的预期联合用药，出血风险增加",
    ),
    "serotonin": (
        "risk of serotonin syndrome (agitation, hyperthermia, clonus)",
        "有5-羟色胺综合征风险（激越、高热、肌阵挛）",
    ),
    "qt": (
        "additive QT prolongation: risk of torsades de pointes",
        "QT间期延长作用叠加，有尖端扭转型室速风险",
    ),
    "statin_myopathy": (
        "statin levels rise: risk of myopathy and rhabdomyolysis",
        "他汀类药物浓度升高，有肌病及横纹肌溶解风险",
    ),
    "nitrate_hypotension": (
        "severe, possibly fatal hypotension (cGMP-mediated vasodilation adds up)",
        "严重甚至致命的低血压（cGMP介导的血管扩张作用叠加）",
    ),
    "digoxin_toxicity": (
        "digoxin levels rise: risk of digoxin toxicity and bradycardia",
        "地高辛血药浓度升高，有洋地黄中毒及心动过缓风险",
    ),
    "lithium_toxicity": (
        "lithium clearance falls: risk of lithium toxicity",
        "锂清除减少，有锂中毒风险",
    ),
    "methotrexate_toxicity": (
        "methotrexate toxicity (bone-marrow suppression, mucositis) rises",
        "甲氨蝶呤毒性（骨髓抑制、黏膜炎）增加",
    ),
    "theophylline_toxicity": (
        "theophylline levels rise: risk of seizures and arrhythmia",
        "茶碱血药浓度升高，有惊厥及心律失常风险",
    ),
    "hyperkalemia": ("risk of hyperkalaemia", "有高钾血症风险"),
    "cyp_inhibition": (
        "the second drug's levels rise (enzyme or transporter inhibition): risk of toxicity",
        "药酶或转运体受抑制，血药浓度升高，有中毒风险",
    ),
    "level_increase": (
        "blood levels of one drug may rise: more adverse effects",
        "一种药物的血药浓度可能升高，不良反应增加",
    ),
    "reduced_effect": (
        "the effect of one drug may be reduced",
        "一种药物的疗效可能降低",
    ),
    "cns_depression": (
        "additive sedation and respiratory depression",
        "镇静及呼吸抑制作用叠加",
    ),
    "hypotension": ("additive blood-pressure lowering: hypotension", "降压作用叠加，有低血压风险"),
    "hypoglycemia": ("risk of hypoglycaemia", "有低血糖风险"),
    # round 8: glycyrrhizin (liquorice, 复方甘草酸苷, 异甘草酸镁) with potassium-losing diuretics
    "hypokalemia": ("additive potassium loss: hypokalaemia", "排钾作用叠加，有低钾血症风险"),
    "nephrotoxicity": ("additive kidney toxicity", "肾毒性叠加"),
    "anticoagulant_bridging": (
        "a parenteral anticoagulant with a vitamin K antagonist: the overlap while warfarin takes "
        "effect is intended, with an added bleeding risk",
        "肠外抗凝药与维生素K拮抗剂合用：华法林起效前的重叠为预期治疗，出血风险增加",
    ),
    "precipitation": (
        "the two drugs form an insoluble precipitate (ceftriaxone-calcium) in the blood, lungs "
        "and kidneys",
        "两药在血液、肺及肾脏中形成不溶性沉淀（头孢曲松-钙）",
    ),
    # Round 7: a combination whose interaction is the point of a standard regimen (leucovorin
    # potentiating fluorouracil in FOLFOX/FOLFIRI): said as intended, never as a hazard.
    "intended_regimen": (
        "an intended combination of a standard regimen: the interaction is its purpose, and "
        "toxicity rises with it",
        "标准方案中的预期联用：相互作用即用药目的，毒性随之增加",
    ),
    # Round 9: disulfiram with metronidazole (acute psychosis, confusion; metronidazole label) and
    # with ethanol-containing medicines (the disulfiram-alcohol reaction).
    "psychosis": (
        "acute psychotic reactions and confusion",
        "可致急性精神病性反应和意识混乱",
    ),
    "disulfiram_reaction": (
        "disulfiram-alcohol reaction: flushing, vomiting, tachycardia, hypotension",
        "双硫仑样反应：潮红、呕吐、心动过速、低血压",
    ),
    "duplicate": ("two drugs of the same class: duplicate therapy", "同类药物重复用药"),
    "generic": ("the two drugs interact", "两药存在相互作用"),
}

# (mechanism key or "*", level or "*") -> (English management, Chinese management); most specific
# first: (key, level), (key, "*"), ("*", level).
MANAGEMENT: dict[tuple[str, str], tuple[str, str]] = {
    ("*", "contraindicated"): (
        "Do not combine; choose an alternative to one of the drugs.",
        "禁止合用，请换用其中一药的替代药物。",
    ),
    ("*", "major"): (
        "Avoid the combination; if it is essential, adjust the dose and monitor closely.",
        "避免合用；确需合用时调整剂量并密切监测。",
    ),
    ("*", "moderate"): (
        "Use with caution: monitor the patient and adjust the dose if needed.",
        "谨慎合用：监测患者情况，必要时调整剂量。",
    ),
    ("*", "minor"): (
        "Be aware of the interaction; usually no change is needed.",
        "注意此相互作用，一般无需调整。",
    ),
    ("bleeding", "major"): (
        "Avoid if possible; if combined, use the lowest doses, add gastroprotection and watch for "
        "bleeding (INR where relevant).",
        "尽量避免；必须合用时用最低剂量，加用胃黏膜保护并监测出血（必要时监测INR）。",
    ),
    ("anticoagulant_level", "*"): (
        "Check INR (or anticoagulant effect) within 3-7 days and adjust the anticoagulant dose; "
        "prefer a non-interacting alternative.",
        "3-7天内复查INR（或抗凝效果）并调整抗凝药剂量；尽量选用无相互作用的替代药物。",
    ),
    ("antiplatelet_dapt", "*"): (
        "Intended when indicated (after ACS or stenting): keep aspirin at 75-100 mg/day, for the "
        "planned duration, and consider a PPI if bleeding risk is high.",
        "有适应证时为预期联合（急性冠脉综合征或支架术后）：阿司匹林维持75-100 mg/日，"
        "按计划疗程使用，出血风险高时考虑加用质子泵抑制剂。",
    ),
    ("serotonin", "major"): (
        "Avoid; if essential, start low and monitor for agitation, tremor, hyperthermia and "
        "clonus.",
        "避免合用；确需合用时从小剂量开始，监测激越、震颤、高热及肌阵挛。",
    ),
    ("serotonin", "contraindicated"): (
        "Do not combine; respect the washout period (2 weeks, 5 weeks after fluoxetine).",
        "禁止合用；换药时遵守洗脱期（2周，氟西汀停药后需5周）。",
    ),
    ("qt", "*"): (
        "Avoid; if essential, check a baseline ECG and potassium/magnesium and monitor QTc.",
        "避免合用；确需合用时查基线心电图及血钾、血镁，并监测QTc。",
    ),
    ("qt", "contraindicated"): (
        "Do not combine; choose a drug without QT effect.",
        "禁止合用；请选用不延长QT间期的药物。",
    ),
    ("statin_myopathy", "contraindicated"): (
        "Do not combine: pause the statin during the course, or use a statin not metabolised by "
        "CYP3A4 (pravastatin, rosuvastatin).",
        "禁止合用：疗程期间暂停该他汀，或换用不经CYP3A4代谢的他汀（普伐他汀、瑞舒伐他汀）。",
    ),
    ("statin_myopathy", "*"): (
        "Limit the statin dose or pause it; report muscle pain; consider pravastatin or "
        "rosuvastatin.",
        "限制他汀剂量或暂停；出现肌痛及时报告；可考虑普伐他汀或瑞舒伐他汀。",
    ),
    ("nitrate_hypotension", "*"): (
        "Do not combine; no nitrate within 24 h of sildenafil/vardenafil or 48 h of tadalafil.",
        "禁止合用；西地那非/伐地那非24小时内、他达拉非48小时内不得使用硝酸酯类药物。",
    ),
    ("digoxin_toxicity", "*"): (
        "Reduce the digoxin dose (often by half), check digoxin levels and heart rate.",
        "减少地高辛剂量（通常减半），监测地高辛血药浓度及心率。",
    ),
    ("lithium_toxicity", "*"): (
        "Avoid; if essential, check lithium levels within 5-7 days and watch for tremor and "
        "confusion.",
        "避免合用；确需合用时5-7天内复查血锂浓度，注意震颤及意识混乱。",
    ),
    ("methotrexate_toxicity", "*"): (
        "Avoid; if essential, monitor full blood count, renal function and mouth ulcers.",
        "避免合用；确需合用时监测血常规、肾功能及口腔溃疡。",
    ),
    ("theophylline_toxicity", "*"): (
        "Avoid or reduce the theophylline dose and monitor theophylline levels.",
        "避免合用，或减少茶碱剂量并监测茶碱血药浓度。",
    ),
    ("hyperkalemia", "*"): (
        "Check potassium and creatinine before and within a week of starting; avoid potassium "
        "supplements.",
        "用药前及开始后一周内检查血钾和肌酐；避免补钾。",
    ),
    ("hyperkalemia", "contraindicated"): (
        "Do not combine unless hypokalaemia is documented and potassium is closely monitored.",
        "除非确诊低钾血症并密切监测血钾，否则禁止合用。",
    ),
    ("hypokalemia", "*"): (
        "Check potassium before and during the course; prefer a glycyrrhizin-free product.",
        "用药前后监测血钾；优先选择不含甘草酸的药品。",
    ),
    ("reduced_effect", "*"): (
        "Monitor the response; a dose change or an alternative may be needed.",
        "监测疗效，可能需要调整剂量或换药。",
    ),
    ("anticoagulant_bridging", "*"): (
        "Overlap for at least 5 days and until the INR is >= 2 on two checks 24 h apart, then stop "
        "the parenteral anticoagulant; check INR and bleeding.",
        "重叠至少5天且INR连续两次（间隔24小时）≥2后停用肠外抗凝药；监测INR及出血。",
    ),
    ("intended_regimen", "*"): (
        "Intended: check both doses against the regimen protocol and the cycle's blood counts.",
        "预期联用：按化疗方案核对两药剂量，并核查本周期血常规。",
    ),
    ("precipitation", "contraindicated"): (
        "Do not give: in neonates ceftriaxone is contraindicated with any IV calcium, even by "
        "separate lines; use cefotaxime.",
        "禁止使用：新生儿使用头孢曲松时禁止同时静脉补钙（即使分开输液通路）；改用头孢噻肟。",
    ),
    ("precipitation", "*"): (
        "Never mix or give through the same line; flush the line between the two infusions.",
        "不得混合或经同一通路输注；两药输注之间冲管。",
    ),
    ("duplicate", "*"): (
        "Use one drug of the class.",
        "同类药物只用一种。",
    ),
}

# Keyword (accent-free, lower case; French and English) -> mechanism key, first match wins.
_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("torsade", "qt"),
    ("qt", "qt"),
    ("serotonin", "serotonin"),
    ("rhabdomyolys", "statin_myopathy"),
    ("myopath", "statin_myopathy"),
    ("hyperkali", "hyperkalemia"),
    ("hyperkalemia", "hyperkalemia"),
    ("lithium", "lithium_toxicity"),
    ("digoxin", "digoxin_toxicity"),
    ("methotrexate", "methotrexate_toxicity"),
    ("theophyllin", "theophylline_toxicity"),
    ("hemorrag", "bleeding"),
    ("bleeding", "bleeding"),
    ("saignement", "bleeding"),
    ("anticoagul", "anticoagulant_level"),
    ("depression respiratoire", "cns_depression"),
    ("respiratory depression", "cns_depression"),
    ("sedati", "cns_depression"),
    ("cns depress", "cns_depression"),
    ("hypoglyc", "hypoglycemia"),
    ("nephrotox", "nephrotoxicity"),
    ("insuffisance renale", "nephrotoxicity"),
    ("hypotens", "hypotension"),
    ("diminution de l'efficacite", "reduced_effect"),
    ("efficacy of", "reduced_effect"),
    ("can be decreased", "reduced_effect"),
    ("augmentation des concentrations", "level_increase"),
    ("serum concentration", "level_increase"),
    ("metabolism", "level_increase"),
)


@dataclass(frozen=True)
class Messages:
    """An alert's text in both languages."""

    message_en: str
    message_zh: str
    management_en: str
    management_zh: str


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@functools.lru_cache(maxsize=65536)
def _text_key(text: str) -> str | None:
    # The KB's mechanism texts are a finite set, so each is read once per process.
    plain = _plain(text)
    for word, key in _KEYWORDS:
        if word in plain:
            return key
    return None


def mechanism_key(texts: Iterable[str]) -> str:
    """The mechanism key of source texts (French or English), "generic" when none matches."""
    for text in texts:
        key = _text_key(text)
        if key is not None:
            return key
    return "generic"


def management(key: str, level: str) -> tuple[str, str]:
    """(English, Chinese) management line for a mechanism and a grade. A contraindicated grade
    without its own line for the mechanism gets the generic "do not combine" line, never a
    mechanism's monitoring advice."""
    order = [(key, level), (key, "*"), ("*", level)]
    if level == "contraindicated":
        order = [(key, level), ("*", level)]
    for candidate in order:
        if candidate in MANAGEMENT:
            return MANAGEMENT[candidate]
    return MANAGEMENT[("*", "moderate")]


def zh_names(aliases: Mapping[str, tuple[tuple[str, ...], str, str]]) -> dict[str, str]:
    """Canonical drug -> its shortest Chinese generic name, from the resolver's alias table."""
    best: dict[str, tuple[bool, int, str]] = {}
    for key, (ingredients, kind, source) in aliases.items():
        if kind != "zh_generic" or len(ingredients) != 1:
            continue
        # The 通用名 (generic name) row first: 阿司匹林, not the older 醋柳酸.
        rank = ("通用名" not in source, len(key), key)
        if ingredients[0] not in best or rank < best[ingredients[0]]:
            best[ingredients[0]] = rank
    return {drug: rank[2] for drug, rank in best.items()}


SOURCE_NAMES = {
    "curated_override": ("the reviewed pair table", "药师审核药对表"),
    "ansm": ("ANSM (France)", "法国ANSM"),
    "ddinter": ("DDInter", "DDInter"),
    "drugbank_ddi86": ("DrugBank", "DrugBank"),
}


def source_names(source: str) -> tuple[str, str]:
    """(English, Chinese) display name of a knowledge source."""
    return SOURCE_NAMES.get(source, (source, source))


def interaction_messages(
    a: str,
    b: str,
    level: str,
    key: str,
    *,
    zh: Mapping[str, str] | None = None,
    note_en: str = "",
    note_zh: str = "",
) -> Messages:
    """The message and management of an interaction alert, from its mechanism key and grade.

    Args:
        a, b: the canonical drug names (shown in English; Chinese names from `zh` when known).
        level: the grade shown (contraindicated, major, moderate, minor).
        key: the mechanism key (MECHANISMS), e.g. from the override table or `mechanism_key`.
        zh: canonical drug -> Chinese name.
        note_en, note_zh: an extra sentence (e.g. which source graded it, dose context).
    """
    zh = zh or {}
    effect_en, effect_zh = MECHANISMS.get(key, MECHANISMS["generic"])
    a_zh, b_zh = zh.get(a, a), zh.get(b, b)
    message_en = f"{a} + {b}: {GRADE_EN.get(level, level)} - {effect_en}."
    message_zh = f"{a_zh}与{b_zh}合用：{GRADE_ZH.get(level, level)}——{effect_zh}。"
    if note_en:
        message_en += f" {note_en}"
    if note_zh:
        message_zh += note_zh
    manage_en, manage_zh = management(key, level)
    return Messages(message_en, message_zh, manage_en, manage_zh)


# Chinese lines for the alert types whose English text is written elsewhere in the checker.
_TYPE_ZH = {
    "duplicate_therapy": "{drugs}：重复用药（同一成分或同类药物）。",
    "dose": "{drugs}：剂量超过说明书或指南上限。",
    "contraindication": "{drugs}：与患者情况（妊娠、哺乳、年龄或疾病）存在禁忌或需慎用。",
    "allergy": "{drugs}：患者有相关过敏史，可能发生过敏或交叉过敏。",
    "unknown_drug": "{drugs}：药品名称未能识别，未进行审核。",
    "name_read_as": "{drugs}：药品名称有误，已按最接近的已知药品审核。",
    "interaction": "{drugs}：存在相互作用。",
}
_TYPE_MANAGEMENT_ZH = {
    "duplicate_therapy": "只保留一种药品，或核对合计日剂量。",
    "dose": "降低剂量或给药频次；核对患者体重和年龄。",
    "contraindication": "请核对禁忌，选择替代药物或按说明书调整。",
    "allergy": "避免使用；如必须使用，请先评估过敏风险并密切监测。",
    "unknown_drug": "请核对名称或改用通用名；该药需人工审核。",
    "name_read_as": "请确认药品并更正处方上的名称。",
    "interaction": "请药师审核后再签署。",
}


def fallback_zh(alert_type: str, drugs: list[str], zh: Mapping[str, str]) -> tuple[str, str]:
    """A Chinese message and management line for an alert that has only English text."""
    names = "、".join(zh.get(d, d) for d in drugs)
    template = _TYPE_ZH.get(alert_type.split(":")[0], "{drugs}：请审核。")
    return template.format(drugs=names), _TYPE_MANAGEMENT_ZH.get(alert_type, "请药师审核。")


# English lines for the alert types, for a reader of an alert that carries no English text of its
# own (the summary of an older output file, or one whose only text is the source's French).
_TYPE_EN = {
    "duplicate_therapy": "{drugs}: duplicate therapy (same ingredient or same class).",
    "dose": "{drugs}: dose above the label or guideline limit.",
    "contraindication": (
        "{drugs}: contraindicated or to be used with caution for this patient (pregnancy, "
        "breastfeeding, age or condition)."
    ),
    "allergy": "{drugs}: the patient has a relevant allergy; risk of (cross-)allergy.",
    "unknown_drug": "{drugs}: drug name not recognised; not checked.",
    "name_read_as": "{drugs}: misspelt name, checked as the closest known drug.",
    "interaction": "{drugs}: the drugs interact.",
}
_TYPE_MANAGEMENT_EN = {
    "duplicate_therapy": "Keep one product, or check the total daily dose.",
    "dose": "Lower the dose or frequency; check the patient's weight and age.",
    "contraindication": "Check the contraindication; choose an alternative or adjust per label.",
    "allergy": "Avoid; if essential, assess the allergy risk first and monitor closely.",
    "unknown_drug": "Check the name or use the generic name; this drug needs a manual review.",
    "name_read_as": "Confirm the drug and correct the name on the prescription.",
    "interaction": "Pharmacist review before signing.",
}

# Accent-free French words that are rare in English clinical text.
_FRENCH_WORD_LIST = (
    "de du des le la les et avec risque par pour une aux ou est sont chez lors peut deconseillee "
    "precaution emploi compte majore diminution augmentation concentrations plasmatiques effet "
    "effets traitement"
)
_FRENCH_WORDS = frozenset(_FRENCH_WORD_LIST.split())
_FRENCH_ACCENTS = frozenset("éèêëàâçùûüôîïœÉÈÊÀÇ")


def looks_french(text: str) -> bool:
    """Whether a source text reads as French (ANSM's wording): a French accent, or at least two
    distinct French words. Empty text is not French."""
    if any(c in _FRENCH_ACCENTS for c in text):
        return True
    words = set(re.findall(r"[a-z]+", _plain(text)))
    return len(words & _FRENCH_WORDS) >= 2


def alert_messages(
    alert_type: str,
    severity: str,
    drugs: list[str],
    texts: Iterable[str] = (),
    *,
    zh: Mapping[str, str] | None = None,
) -> Messages:
    """Chinese and English text of an alert from its type, grade and drugs alone (the source texts,
    French or English, only choose the mechanism key of an interaction; they are never quoted)."""
    zh = zh or {}
    base = alert_type.split(":")[0]
    if base == "interaction" and len(drugs) == 2:
        return interaction_messages(drugs[0], drugs[1], severity, mechanism_key(texts), zh=zh)
    message_zh, management_zh = fallback_zh(base, drugs, zh)
    names = ", ".join(drugs)
    message_en = _TYPE_EN.get(base, "{drugs}: please review.").format(drugs=names)
    management_en = _TYPE_MANAGEMENT_EN.get(base, "Pharmacist review.")
    return Messages(message_en, message_zh, management_en, management_zh)
