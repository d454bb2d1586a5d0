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
        "粉吸入剂",
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
        # round 6
        "阴道泡腾片",
        "阴道软胶囊",
        "阴道凝胶",
        "舌下片",
        "乳胶剂",
        "凝胶剂",
        "凝胶贴膏",
        "吸入混悬液",
        "吸入溶液",
        "外用溶液",
        "缓释颗粒",
        "乳剂",
        # inhaler devices written after the brand ("信必可都保" = Symbicort Turbuhaler)
        "都保",
        "准纳器",
        "易纳器",
        "能倍乐",
        "吸乐",
        # round 5: combination packs ("奈玛特韦片/利托那韦片组合包装"), transdermal patches,
        # concentrates and lyophilised powders for injection, prefilled syringes
        "组合包装",
        "透皮贴剂",
        "透皮贴片",
        "贴片",
        "注射用浓溶液",
        "浓溶液",
        "冻干粉",
        "粉针",
        "预充式注射器",
        "预充注射器",
        "预灌封注射器",
        # round 8: oral-mucosa forms ("咪康唑口腔凝胶": 凝胶 alone left "咪康唑口腔")
        "口腔凝胶",
        "口腔贴片",
        "口腔喷雾剂",
        "口颊片",
        # round 9: older and longer form words ("布洛芬冲剂", "复方甘草合剂", "莫米松鼻喷剂",
        # "莫匹罗星软膏剂", "氟比洛芬巴布膏", "沙丁胺醇雾化溶液", "吲哚美辛直肠栓")
        "冲剂",
        "合剂",
        "溶液剂",
        "口服溶液剂",
        "直肠栓",
        "肛门栓",
        "鼻用喷雾剂",
        "鼻喷剂",
        "鼻用凝胶",
        "软膏剂",
        "乳膏剂",
        "眼膏剂",
        "滴眼剂",
        "眼药水",
        "滴耳剂",
        "滴鼻剂",
        "巴布膏",
        "巴布剂",
        "凝胶膏",
        "橡胶膏",
        "雾化溶液",
        "雾化吸入溶液",
        "膜剂",
        "涂膜剂",
        "涂剂",
        "含漱剂",
        "漱口液",
        "泡腾颗粒",
        "肠溶颗粒",
        "干糖浆",
        "控释胶囊",
        # round 10: implants ("醋酸戈舍瑞林缓释植入剂")
        "植入剂",
        "缓释植入剂",
    ],
    key=len,
    reverse=True,
)
# Round 9: "阴道用" (vaginal use: 阴道用乳杆菌活菌胶囊) as 外用/注射用.
_ZH_FORM_PREFIXES = ("注射用", "吸入用", "阴道用", "外用", "口服")
# Infusion vehicles of ready-mixed bags ("左氧氟沙星氯化钠注射液", "利奈唑胺葡萄糖注射液"),
# tried only once the name with its vehicle is unknown; "复方氯化钠注射液" (Ringer's) keeps it.
_ZH_VEHICLES = ("氯化钠注射液", "葡萄糖注射液", "氯化钠", "葡萄糖")
# Directions written after the name: "每周一次", "每日2次", "once weekly", "twice daily".
_DIRECTIONS = re.compile(
    r"(每|一)(日|天|周|晚|早|晨|\d+\s*小时)[一二两三四1234]?次?|睡前|顿服|必要时|"
    r"\b(once|twice|three times|four times)?\s*(a\s+)?"
    r"(daily|weekly|a day|a week|per day|per week)\b|"
    r"\b(once|twice|at bedtime|as needed)\b"
)
# How a dose is given, written after the name: "硝酸甘油片 0.5mg 舌下含服", "胰岛素 皮下注射".
# Dropped as whole words or as a trailing suffix ("...片舌下"), never from inside a name: 口服补液盐
# starts with 口服 and keeps it.
_ZH_ROUTES = re.compile(
    r"(舌下含服|舌下含化|舌下|含服|嚼服|口服|静脉滴注|静滴|静脉注射|静推|静注|肌内注射|肌注|"
    r"皮下注射|皮下|外用|雾化吸入|雾化|吸入|滴眼|鼻喷|睡前服|睡前|"
    # round 7: when to take it and order notes written after the name ("奥美拉唑 20mg qd 餐前",
    # "利伐沙班片 10mg 集采")
    r"餐前|餐后|饭前|饭后|空腹|随餐|餐中|晨起|集采|国采|临时|长期|备用|自备)$"
)
# What a patient's allergy list adds to a drug name: "青霉素过敏", "penicillin allergy".
_ALLERGY_WORDS = re.compile(r"过敏(史|反应)?$|\ballergy\b|\ballergic\b")
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
        # round 6: a doubled acid salt and hydrates ("二盐酸", "五水头孢唑林钠")
        "二盐酸",
        "五水",
        "一水",
        "三水",
    ],
    key=len,
    reverse=True,
)
# "二钠" before "钠" ("培美曲塞二钠", round 6)
_ZH_SALT_SUFFIXES = ("二钠", "钠", "钾", "钙", "镁", "锌", "酯")
# Round 5: salts inside a Chinese combination name ("哌拉西林钠他唑巴坦钠",
# "阿莫西林钠克拉维酸钾", "复方盐酸阿米洛利"): 钠/钾 after a component, unless part of
# 氯化钠/氯化钾/碳酸氢钠 ...; an acid-salt prefix after 复方.
_ZH_INNER_SALT = re.compile(r"(?<=[\u3400-\u9fff])(?<![化酸氢])(钠|钾)(?=[\u3400-\u9fff]|$)")
_EN_FORMS = re.compile(
    r"\b(tablets?|tabs?|capsules?|caps?|injection|injectable|infusion|oral solution|solution|"
    r"suspension|syrup|elixir|drops?|cream|ointment|gel|lotion|patch(es)?|spray|inhaler|"
    r"suppositor(y|ies)|powder|granules|chewable|dispersible|effervescent|film[- ]coated|"
    r"extended[- ]release|delayed[- ]release|modified[- ]release|sustained[- ]release|"
    r"er|xr|sr|cr|xl|la|dr|ec|ir|odt|oral|iv|im|po|sl|sc|sublingual|subcut|subcutaneous|"
    # round 6: release names written after a brand ("Betaloc ZOK", "Depakine Chrono")
    r"zok|chrono|"
    # devices named after the brand ("Symbicort Turbuhaler", "Lantus SoloStar")
    r"turbuhaler|diskus|accuhaler|evohaler|ellipta|respimat|handihaler|breezhaler|"
    r"flexpen|flextouch|solostar|kwikpen|penfill|pen|"
    # round 5: how injectables and patches are written on an order ("Meperidine HCl 50 mg inj",
    # "Duragesic 25 mcg/h patch", "enoxaparin 40 mg prefilled syringe")
    r"inj|injn|amps?|ampoules?|vials?|transdermal|prefilled syringe|pre-filled syringe|syringe|"
    r"for injection|gits|mr|"
    # strength designations: double / single strength ("Bactrim DS", "Septra SS"), forte
    r"ds|ss|forte|"
    # round 9: enteric-coated designations written after a brand ("Azulfidine EN-tabs",
    # "Salazopyrin EN")
    r"en|en tabs|entabs|"
    # frequencies pharmacists append ("metformin 500 bid")
    r"qd|bid|tid|qid|qhs|qod|prn|stat|hs|qam|qpm|q\d+h|nocte|mane|"
    # round 6: every night / every week / twice or three times a week, as Chinese orders write
    r"qn|qw|biw|tiw|"
    # round 7: Chinese order abbreviations of routes (ih = 皮下注射, ivgtt/ivd = 静脉滴注,
    # st = 立即) and "ac"/"pc" (before/after meals)
    r"ih|ivgtt|ivd|iv gtt|ivdrip|st|ac|pc|"
    # and instructions written after a brand ("Tylenol Extra Strength", "Xarelto 20mg with food")
    r"extra strength|maximum strength|with (food|meals)|before meals|after meals|sliding scale|"
    # round 7: the site or device an English order names ("mometasone nasal spray", "timolol
    # eye drops", "budesonide nebuliser solution", "salbutamol MDI 2 puffs"), as the Chinese
    # forms 鼻喷雾剂/滴眼液 are stripped; a DDInter name with its site in brackets
    # ("azelastine (nasal)") still matches as written first
    r"nasal|nose|ophthalmic|eye|ear|otic|topical|vaginal|rectal|inhaled|inhalation|"
    r"nebuli[sz]er|nebuli[sz]ed|nebules?|respules|aqueous|metered|mdi|dpi|hfa|aerosol|"
    r"puffs?|actuations?|sprays|sachets?|pessar(y|ies)|enema|foam|mouthwash|emulsion|"
    r"concentrate|lyophili[sz]ed|pfs|"
    # round 8: skin-care forms written after a topical ("benzoyl peroxide 5% wash")
    r"wash|face wash|body wash|cleanser|shampoo|soap|scrub|paint|liniment|"
    # round 10: release and device names UK/EU brands carry after the brand ("Uniphyllin
    # Continus", "Tegretol Retard", "Losec MUPS", "Omnic OCAS", "Rhinocort Aqua", "Nuelin SA",
    # "Zyprexa Velotab", French "LP"), stripped only after the name as written failed
    r"continus|retard|durules|ocas|mups|aqua|aq|sa|lp|pr|prolonged[- ]release|zoc|velotab|"
    r"quicklets?|melts?|"
    # round 11: Japanese release letters after a brand ("Depakene-R" = retard, "Takepron OD" =
    # orally disintegrating; "od" is also the UK "once daily"), tried after the name as written,
    # so "Humulin R" (regular insulin, a name of its own) is found before any letter goes; and
    # the patch, depot and half-strength words of EU/US brands ("Nitroderm TTS", "Lupron Depot",
    # "Lopresor mite")
    r"r|od|tts|depot|mite|"
    # round 17: UK/Hong Kong frequency abbreviations ("Amiodarone 200mg TDS", "bd", "qds", "om"
    # = every morning; dotted "t.d.s.", "b.i.d."), the short forms and patient words of liquid
    # orders ("250mg/5ml susp", "Tylenol infant drops", "Calpol paediatric"), stripped only
    # after the name as written
    r"bd|bds|tds|qds|om|b i d|t i d|q i d|t d s|q d s|q h s|"
    r"susp|soln|syr|liq|liquid|infants?|children s|childrens|children|"
    r"paediatric|pediatric|kids|junior)\b"
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
    # round 9: salt and ester words written after an English generic ("clopidogrel bisulphate")
    "bisulfate",
    "bisulphate",
    "bitartrate",
    "pamoate",
    "decanoate",
    "medoxomil",
    "cilexetil",
    "proxetil",
    "pivoxil",
    # round 10: more salt, ester and hydrate words of English labels ("clopidogrel hydrogen
    # sulfate", "pantoprazole sodium sesquihydrate", "salmeterol xinafoate", "levofloxacin
    # hemihydrate", "sunitinib malate")
    "hydrogen",
    "dihydrochloride",
    "sesquihydrate",
    "hemihydrate",
    "dihydrate",
    "tetrahydrate",
    "anhydrous",
    "xinafoate",
    "trifenatate",
    "palmitate",
    "semisodium",
    "monosodium",
    "dipotassium",
    "propanediol",
    "malate",
    "tosylate",
    "dimesylate",
    "hemitartrate",
    "hemifumarate",
    "lactate",
    "oxalate",
    "benzoate",
    "ethylsuccinate",
    "stearate",
    "lactobionate",
    "estolate",
    "embonate",
    "nitrate",
    # round 12: the salt written as its formula or element symbol after an English generic
    # ("dextromethorphan HBr", "diclofenac Na", "losartan K", "rosuvastatin Ca"); like every
    # salt word, dropped only once the name as written is unknown ("vitamin k" stays)
    "hbr",
    "na",
    "k",
    "ca",
)
# Round 10: bases and amines sold as counter-ions of a drug ("perindopril arginine", "ketorolac
# tromethamine", "fosfomycin trometamol", "ibuprofen lysine", "diclofenac diethylamine"), dropped
# only after a drug's name: "arginine hydrochloride" keeps its arginine.
_EN_COUNTER_IONS = frozenset(
    ("arginine", "lysine", "tromethamine", "trometamol", "diethylamine", "erbumine", "meglumine")
)
# Strengths and pack sizes: "200mg", "0.3 g", "5mg/5ml", "10万单位", "x 24", "24片/盒".
_STRENGTH = re.compile(
    # Round 5: anti-Xa units of the heparins ("依诺肝素钠注射液 6000AXaIU", "4000 anti-Xa IU",
    # "0.4ml:4000AxaIU") come before plain IU; patch rates per hour ("25 mcg/h", "12μg/72h").
    # Round 6: a ratio of component strengths before the unit ("50/250μg", "50/200mg",
    # "0.25g:0.125g" is two matches) goes with it, or "50/" is left as a bare number.
    r"((\d+(\.\d+)?\s*[/:]\s*)*\d+(\.\d+)?\s*(axa\s*iu|anti\s*-?\s*xa\s*iu|iu\s*axa|axa|抗xa因子国际单位|"
    # round 13: "60K" is 60,000 IU as Indian vitamin D orders write it ("Uprise-D3 60K")
    r"mg|g|mcg|μg|ug|ml|units?|iu|u|meq|mmol|%|毫克|克|微克|毫升|单位|万单位|万u|国际单位|k\b(?:\s*iu\b)?)"
    # per dose / per kg / per m2 / per day, up to two denominators ("15mg/kg/d", "1mg/kg")
    r"(\s*/\s*\d*(\.\d+)?\s*(ml|g|mg|片|粒|袋|支|次|日|天|揿|喷|毫升|kg|m2|m²|d\b|day|dose|"
    # round 7: per spray / puff / actuation / drop ("50 mcg/spray", "100μg/揿")
    r"spray|puff|actuation|inhalation|drop|滴|"
    r"hr?\b|小时)){0,2})"
    # Pack sizes "x 24": the x must not follow a letter, or ATC codes (L04AX01) lose their tail.
    # Round 6: "×"/"*" may follow a unit ("20mg*14粒", "0.25g×24粒/盒").
    # Round 8: a count of doses or days after "×" ("2.5mg q12h×3次", "×7天") is an
    # instruction, not part of the name.
    r"|(((?<![a-z])x|[×*])\s*\d+\s*(片|粒|袋|支|盒|次|剂|天|日|周|板|瓶|"
    # round 16: a pack count in English after "×"/"*" ("10mg*28T", "0.25g*12s", "x 30 tabs")
    r"'?s\b|t\b|tabs?\b|caps?\b|tablets?\b|capsules?\b|pcs?\b|vials?\b|amps?\b)?"
    r"(\s*/\s*(盒|瓶|板))?)"
    r"|(\d+\s*(片|粒|袋|支)\s*/\s*(盒|瓶|板))"
    # round 16: a count of tablets, capsules or pieces written in English after the strength
    # ("20mg 30 tabs", "28's", "14 caps"): a standalone number with its unit word
    r"|((?<![a-z0-9.\-])\d+\s*('s|tabs?|caps?|tablets|capsules|pcs)(?![a-z]))"
    # Round 6: how many units a dose is ("SMZco 2片", "1粒/次", "2 揿"), a standalone number only
    # (never the digits of "b12片" or "654-2片").
    r"|((?<![a-z0-9.\-\u3400-\u9fff])\d+(\.\d+)?\s*(片|粒|袋|支|丸|揿|喷|贴|枚|包)"
    r"(\s*/\s*(次|日|天))?(?![\u3400-\u9fff]))",
    flags=re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
# Round 7: variant characters Chinese prescribers write for the standard ones in drug names
# (异体字/旧字形 and one frequent homophone): "阿斯匹林" for 阿司匹林, "多粘菌素" for 多黏菌素,
# "硫氮卓酮" for 硫氮䓬酮, "开搏通"/"开博通", "毛花甙丙" for 毛花苷丙, "呱替啶" for 哌替啶,
# "潘托拉唑" for 泮托拉唑. Each pair is tried both ways, only after the name as written failed,
# and only a known key resolves, so a fold never invents a drug.
_ZH_VARIANT_PAIRS = (
    ("阿斯", "阿司"),
    ("粘", "黏"),
    ("卓", "䓬"),
    ("搏", "博"),
    ("甙", "苷"),
    ("呱", "哌"),
    ("潘托", "泮托"),
)
# A formula version written without brackets after a Chinese name ("口服补液盐Ⅲ", NFKC "iii").
_ZH_VERSION = re.compile(r"(?<=[\u3400-\u9fff])\s*(iv|i{1,3})$")
# Round 11: the aminoglycoside ending written the other way ("gentamycin", "sisomycin": -micin
# is the Micromonospora-derived spelling, -mycin the Streptomyces one, and prescribers mix them
# up). The misspelling reader (`DrugResolver.read_as`) tries these before its one-edit search,
# which could not take "gentamycin" as "pentamycin" is one edit away too; only a known key is
# read, with a "read as" note like any other misspelling.
_EN_SPELLING_PAIRS = (("mycin", "micin"),)
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


def _strip_zh_routes(key: str) -> str:
    """Drop route words written as their own word or after the name ("硝酸甘油片 舌下含服" ->
    "硝酸甘油片"); a key that is nothing but a route word is kept."""
    words = [w for w in key.split() if not _ZH_ROUTES.fullmatch(w)]
    changed = True
    while changed and words:
        changed = False
        match = _ZH_ROUTES.search(words[-1])
        if match and match.start() > 1:
            words[-1], changed = words[-1][: match.start()], True
    return " ".join(words) or key


def _strip_en_forms(key: str) -> str:
    stripped = " ".join(_EN_FORMS.sub(" ", key).split())
    return stripped or key


def _strip_bare_numbers(key: str) -> str:
    """Drop unit-less strengths that follow a word: "metformin 500", "augmentin 625", "amoxicillin
    0 5" (the key has already turned "0.5" into "0 5") -> the name alone.

    Numbers before the first word stay ("5 fu", "654 2"), as do digits inside a token ("b12",
    "30r"). Two numbers summing to 100 are a premix ratio ("humulin 70/30"), not a strength, and
    Chinese keys keep a single number ("诺和锐 30" is the NovoMix premix, 诺和锐 alone is NovoRapid;
    Chinese prescriptions write strengths with a unit): the key is left alone so that it never
    falls back to one component; a single number of 100 or more is a strength all the same. Two
    or more numbers after a Chinese name are an inhaler's
    strength pair ("舒利迭 50/250", "信必可 160/4.5") and are dropped unless they are a premix
    ratio.
    """
    if _CJK.search(key) and sum(t.isascii() and t.isdigit() for t in key.split()) < 2:
        # Round 5: a single number of 100 or more after a Chinese name is a strength ("钙尔奇D
        # 600", "倍他乐克 100"): no premix ratio is that large.
        words = key.split()
        if len(words) > 1 and words[-1].isascii() and words[-1].isdigit() and int(words[-1]) >= 100:
            return " ".join(words[:-1])
        return key
    tokens: list[str] = []
    numbers: list[str] = []
    for token in key.split():
        if tokens and token.isascii() and token.isdigit() and any(c.isalpha() for c in key):
            numbers.append(token)
        else:
            tokens.append(token)
    if len(numbers) == 2 and sum(int(n) for n in numbers) == 100:
        return key
    return " ".join(tokens)


def _zh_variant_folds(key: str) -> list[str]:
    """`key` with each variant-character pair it contains swapped (_ZH_VARIANT_PAIRS), all
    pairs at once, then each pair alone; [] when it has none or is not Chinese."""
    if not _CJK.search(key):
        return []
    folds = []
    for written, standard in _ZH_VARIANT_PAIRS:
        for a, b in ((written, standard), (standard, written)):
            if a in key:
                folds.append(key.replace(a, b))
    whole = key
    for written, standard in _ZH_VARIANT_PAIRS:
        whole = whole.replace(written, standard)
    return ([whole] if whole != key else []) + folds


def en_spelling_folds(key: str) -> list[str]:
    """`key` with each Latin spelling pair it contains swapped (_EN_SPELLING_PAIRS), both ways;
    [] when it has none."""
    return [
        key.replace(a, b)
        for written, standard in _EN_SPELLING_PAIRS
        for a, b in ((written, standard), (standard, written))
        if a in key
    ]


def _salt_variants(key: str) -> list[str]:
    """`key` without a trailing English salt word, a Chinese acid-salt prefix (盐酸) or a
    trailing 钠/钾/钙/酯, each tried on its own."""
    variants = []
    words = key.split()
    if len(words) > 1 and (words[-1] in _EN_SALTS or words[-1] in _EN_COUNTER_IONS):
        variants.append(
            " ".join(
                w
                for i, w in enumerate(words)
                if w not in _EN_SALTS and not (i and w in _EN_COUNTER_IONS)
            )
        )
    for prefix in _ZH_SALT_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix) + 1:
            variants.append(key[len(prefix) :])
    for suffix in _ZH_SALT_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            variants.append(key[: -len(suffix)])
    acid = _acid_of_anion(words)
    if acid:
        variants.append(acid)
    return variants


# Round 15: an acid drug written as its anion, with or without the cation ("sodium
# hyaluronate", "hyaluronate", "valproate sodium", "calcium folinate", "potassium clavulanate"):
# the "-ate" word becomes "-ic acid", the INN of such drugs. Tried after the name as written
# and its plain salt-stripped forms, so a drug named by its anion ("ibandronate") is found first.
_EN_CATIONS = frozenset(
    ("sodium", "potassium", "calcium", "magnesium", "disodium", "dipotassium", "zinc", "na", "k")
)
_ANION = re.compile(r"^[a-z]{4,}ate$")


def _acid_of_anion(words: list[str]) -> str | None:
    """ "sodium hyaluronate" -> "hyaluronic acid"; None unless the key is one "-ate" word and
    cations."""
    anions = [w for w in words if w not in _EN_CATIONS]
    if len(anions) != 1 or not _ANION.match(anions[0]):
        return None
    return anions[0][:-3] + "ic acid"


# Round 13: a vitamin written short ("Vit B12", "VitD3", "维C", "维B6"): the word "vitamin"/"维生素"
# before a vitamin letter (A-K, then digits), tried only after the name as written.
_VIT_SHORT = re.compile(r"^vit\s*(?=[a-k](?:\d{1,2})?(?:\s|$))")
_ZH_VIT_SHORT = re.compile(r"^维(?=[a-k](?:\d{1,2})?(?:\s|$|[\u4e00-\u9fff]))")
# Round 14: the numbered vitamins written bare, as orders and pharmacists' notes do ("B6 10mg"
# with isoniazid, "B-12 500μg", "D3 800IU", "K1 10mg"): only these letter-number pairs, so no
# other short code ("c", "e", "b5") is taken for a vitamin; and the Chinese clinical shorthand
# V + vitamin ("VB2", "VE", "VD3", "VK1"), of which the abbreviation table held only some.
_BARE_VIT = re.compile(r"^(b|d|k) ?(1|2|3|6|12)$")
_BARE_VIT_PAIRS = frozenset({"b1", "b2", "b3", "b6", "b12", "d2", "d3", "k1"})
_V_VIT = re.compile(r"^v(?=[a-ek](?:\d{1,2})?$)")


def _vitamin_long_form(key: str) -> str | None:
    """ "vit b12" -> "vitamin b12", "维c" -> "维生素c", "b6" -> "vitamin b6"; None when the key
    is not written so."""
    if _VIT_SHORT.match(key):
        return _VIT_SHORT.sub("vitamin ", key, count=1)
    bare = _BARE_VIT.match(key)
    if bare and bare[1] + bare[2] in _BARE_VIT_PAIRS:
        return f"vitamin {bare[1]}{bare[2]}"
    if _V_VIT.match(key):
        return _V_VIT.sub("vitamin ", key, count=1)
    if _ZH_VIT_SHORT.match(key):
        return _ZH_VIT_SHORT.sub("维生素", key, count=1)
    return None


def name_variants(name: str) -> Iterator[str]:
    """Keys to try for a name, most specific first, without repeats.

    Order: as written; without brackets; without unit-less strengths; without dosage forms and
    release or strength suffixes (SR, XL, DS, ...); without salts (Chinese acid-salt prefixes such
    as 盐酸, trailing 钠/钾/钙/酯, English salt words).
    """
    seen: set[str] = set()
    first = name_key(name)
    candidates = [first, " ".join(_BRACKETS.sub(" ", first).split())]
    for key in list(candidates):
        stripped = " ".join(_ALLERGY_WORDS.sub(" ", _DIRECTIONS.sub(" ", key)).split())
        candidates.append(_strip_zh_routes(stripped) or key)
    for key in list(candidates):
        candidates.append(_strip_bare_numbers(key))
    for key in list(candidates):
        versionless = _ZH_VERSION.sub("", key)
        if versionless != key:
            candidates.append(versionless)
    for key in list(candidates):
        # a Chinese form before an English frequency ("阿司匹林肠溶片 qd") goes once the
        # frequency has (round 6)
        candidates.append(_strip_zh_forms(_strip_en_forms(_strip_zh_forms(key))))
    for key in list(candidates):
        # round 9: a live-bacteria product by its organism ("乳杆菌活菌胶囊" -> 乳杆菌), once
        # the name with 活菌 (地衣芽孢杆菌活菌, 双歧杆菌三联活菌) has been tried
        if key.endswith("活菌") and len(key) > 3:
            candidates.append(key[:-2])
    for key in list(candidates):
        # each word of a pack's name ("奈玛特韦片 利托那韦片" -> "奈玛特韦 利托那韦")
        if len(key.split()) > 1 and _CJK.search(key):
            candidates.append(" ".join(_strip_zh_forms(w) for w in key.split()))
    for key in list(candidates):
        for vehicle in _ZH_VEHICLES:
            if (
                key.endswith(vehicle)
                and len(key) > len(vehicle) + 1
                and key[: -len(vehicle)] != "复方"
            ):
                candidates.append(_strip_zh_forms(key[: -len(vehicle)]))
                break
    candidates += [v for key in list(candidates) for v in _salt_variants(key)]
    for key in list(candidates):
        inner = _ZH_INNER_SALT.sub("", key)
        if inner != key and len(inner) > 1:
            candidates.append(inner)
        if key.startswith("复方"):
            for prefix in _ZH_SALT_PREFIXES:
                if key.startswith(prefix, 2) and len(key) > len(prefix) + 3:
                    candidates.append("复方" + key[2 + len(prefix) :])
                    break
    candidates += [long for key in list(candidates) if (long := _vitamin_long_form(key))]
    candidates += [v for key in list(candidates) for v in _zh_variant_folds(key)]
    for key in candidates:
        if key and key not in seen:
            seen.add(key)
            yield key
