"""DrugResolver: a drug name as written -> canonical ingredients (torch-free).

Names resolve through the bundle's alias table: canonical and DrugBank names, WHO INN names,
ATC codes, English brand names and synonyms, the project's Chinese names, and combination
products, which explode into their ingredients. On top of the bundle's table, the resolver reads
the curated abbreviations the bundle ships (curated_abbreviations.csv, from
prescription/curated/abbreviations.csv: SMZ-TMP, HCTZ, ASA, KCl, bare "lithium" ...; bundles
built before it shipped fall back to the package's copy); a curated abbreviation wins over a
bundle alias with the same key, and is only used when the bundle knows its ingredients. A name
that does not resolve is reported with suggestions, never dropped. A name that does not resolve
as a whole but is written as components ("A/B", "A + B", "A with B") resolves to their union
when every component resolves (round 5).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from prescription.names import en_spelling_folds, name_key, name_variants

_MAX_SUGGESTIONS = 3
# Longest Chinese generic name tried as one part of a run-together combination (round 7).
_MAX_ZH_PART = 12
_CJK = re.compile(r"[\u3400-\u9fff]+")
_CACHE_SIZE = 100_000
# fuzz.ratio (0-100, 2 * matching characters / both lengths), 75 as difflib's 0.75 cutoff was
# before; 3-character keys get a lower one that still lets one wrong character through (_cutoff).
_SUGGESTION_CUTOFF = 75.0
# Round 8: the misspelling reader (`DrugResolver.read_as`). A name that resolves no other way is
# read as a known drug when exactly one drug's names are within one edit (substitution,
# insertion, deletion or swap of two neighbours) and the edit is a readable slip (`_readable`).
# Shortest names it tries: 3 Chinese characters (华法令), 6 letters (amoxicilin); shorter
# English names are one edit from too many real drugs.
_MIN_ZH_READ = 3
_MIN_LATIN_READ = 6
_LATIN_KEY = re.compile(r"[a-z][a-z \-']*[a-z]")
# Round 9: brackets around a brand written after the generic ("氯雷他定片（开瑞坦）") split words.
_BRACKET_CHARS = re.compile(r"[()\[\]{}【】]")
# Characters Chinese prescribers write for one another in drug names (homophones and similar
# shapes in handwriting and pinyin input): 奥美拉挫, 氯呲格雷, 阿托伐他丁, 华法令, 美沙拉秦. A
# substitution within one of these pairs is the likeliest slip, so it wins over any other edit
# at the same distance, and it is the only edit allowed in a 3-character name.
_ZH_CONFUSABLE = frozenset(
    frozenset(pair)
    for pair in (
        "挫唑",
        "坐唑",
        "哇唑",
        "呲吡",
        "比吡",
        "丁汀",
        "令林",
        "琳林",
        "匹司",
        "斯司",
        "秦嗪",
        "定啶",
        "米咪",
        "脒咪",
        "洛络",
        "铜酮",
        "芬酚",
        "胺氨",
        "莎沙",
        "昔西",
        "伟韦",
        "泮潘",
        "哌呱",
        "塞噻",
        "密嘧",
        "奎喹",
        "卞苄",
        "黄磺",
        "甙苷",
        "粘黏",
        "卓䓬",
        "搏博",
        "喏诺",
        "孢胞",
        "菌茵",
        "霉梅",
        "酯脂",
        "坦担",
        "伐法",
        "氟弗",
        "胍瓜",
        "醇淳",
        "宁柠",
        "发法",
        # round 9: homophones written for one another (曲马朵 for 曲马多, 阿齐霉素 for 阿奇霉素)
        "朵多",
        "齐奇",
        # same sound or shape, each checked by a leave-one-drug-out run over the bundle's
        # Chinese names (README, round 9): none turns one drug into another
        "萘奈",
        "硝消",
        "苯笨",
        "依伊",
        "利力",
        "氯绿",
        "吗码",
        "啉林",
        "卡咔",
        "咖卡",
        "尼妮",
        "瑞锐",
        "普谱",
        "替蒂",
        "维唯",
        "福复",
        "拉啦",
        "曲屈",
        "索锁",
        "帕怕",
        "噁恶",
        "包孢",
        "录氯",
        "发伐",
        "分芬",
        "安氨",
        "安胺",
        "新星",
        "新辛",
        "苏舒",
        "进净",
        "尿脲",
        "减碱",
        "赛塞",
        "斑班",
        "酶霉",
        "由油",
        "儿尔",
        "耳尔",
        "伦仑",
        "龙隆",
        "污肟",
        # round 10: more slips of the same kinds (氯吡咯雷, 甲疏咪唑, 甲氨喋呤, 阿仑磷酸钠,
        # 西地那菲, 颉沙坦, 波尼松, 夫塞米, 引哚美辛 ...); the round-9 leave-one-drug-out run over
        # the bundle's 2,196 Chinese names found no drug read as another with them
        "格咯",
        "本苯",
        "立力",
        "立利",
        "缬颉",
        "泼波",
        "呋夫",
        "吲引",
        "茶荼",
        "贝倍",
        "埃艾",
        "巯疏",
        "巯琉",
        "酞肽",
        "培倍",
        "钠纳",
        "哌派",
        "刚钢",
        "蝶喋",
        "膦磷",
        "必比",
        "非菲",
        "奈耐",
        "铵胺",
        "冬东",
        "净静",
        "罗洛",
        "嘌漂",
        "橼缘",
        "斯施",
        # round 12: homophones and look-alikes of a new writer's slips (哌咪清 for 哌迷清,
        # 氯扎平 for 氯氮平: -za- of clozapine/olanzapine written as pinyin, 拜糖平 for 拜唐苹,
        # 托布霉素 for 妥布霉素, 吲朵美辛, 甲硫达嗪, 已/己/乙); the leave-one-drug-out run over the
        # bundle's Chinese names (README, round 12) found no drug read as another with them
        "迷咪",
        "迷米",
        "氮扎",
        "苹平",
        "糖唐",
        "乙已",
        "已己",
        "乙己",
        "奥澳",
        "哚朵",
        "哒达",
        "西希",
        "溴嗅",
        "克可",
        "妥托",
        "酮同",
        "泰太",
        "司斯",
        "氧养",
        "布步",
        "螺罗",
        # round 12, the same kind from pharmacy practice: 铝炭酸镁, 异烟井, 丙茂酸钠, 拉米夫丁,
        # 蒙托石, 左匹克隆, 甘晶胰岛素, 多盘立酮, 流糖铝
        "碳炭",
        "肼井",
        "戊茂",
        "定丁",
        "脱托",
        "佐左",
        "精晶",
        "潘盘",
        "硫流",
        # round 13: pinyin-input homophones a new writer used (伏立康座 for 伏立康唑, 维立得 for
        # 韦立得, 痛惊宁) and their kind (百优解, 达卢那韦, 西替利琴, 阿托伐它汀, 易烟肼, 青氯噻嗪,
        # 氯吡哥雷, 他克默司); the leave-one-drug-out run over the bundle's Chinese names finds no
        # drug read as another with them (README, round 13)
        "座唑",
        "佐唑",
        "维韦",
        "忧优",
        "痉惊",
        "萍平",
        "琴嗪",
        "易异",
        "氢青",
        "芦卢",
        "福氟",
        "他它",
        "格哥",
        "那纳",
        "莫默",
        # round 14: a fresh writer's 氯吡各雷 (各 for 格) and the same kind of
        # pinyin-input slips in other common names (氯吡葛雷, 蕾贝拉唑, 伏立抗唑,
        # 硝苯帝平, 胺典酮, 盼托拉唑, 阿托伐他亭, 氢氯赛嗪, 利托那威, 陀布霉素,
        # 纱丁胺醇, 尼福达); the leave-one-drug-out run over the bundle's Chinese
        # names finds no drug read as another with them (README, round 14)
        "各格",
        "各哥",
        "葛格",
        "雷蕾",
        "康抗",
        "地帝",
        "碘典",
        "泮盼",
        "汀亭",
        "噻赛",
        "韦威",
        "妥陀",
        "沙纱",
        "伲尼",
        # round 15: a fresh writer's 氯匹格雷 (匹 for 吡, pi for bi) and 左氧佛沙星 (佛 for 氟,
        # fo for fu), and the same kind of near-homophone pinyin slips (b/p, f/h, o/u, a
        # rare character for a drug-name one) in other common names: 吡格列酮 -> 匹格列酮, 扶康唑,
        # 头泡, 飞洛地平, 左氧氟砂星, 阿立哌作, 西替利芹, 阿托伐他听, 罗红霉素 -> 落红霉素, 碳酸盖,
        # 轻氯噻嗪, 强氯喹, 舍区林, 格烈齐特, 骨化三纯, 坎底沙坦, 别票醇, 浦伐他汀, 培 -> 陪; the
        # leave-one-drug-out run over the bundle's Chinese names finds no drug read as another
        # with them (README, round 15)
        "匹吡",
        "匹比",
        "批吡",
        "佛氟",
        "扶氟",
        "肤呋",
        "飞非",
        "砂沙",
        "作唑",
        "芹嗪",
        "听汀",
        "她他",
        "落洛",
        "按胺",
        "钙盖",
        "轻氢",
        "强羟",
        "泡孢",
        "区曲",
        "烈列",
        "纯醇",
        "底地",
        "陪培",
        "票嘌",
        "浦普",
    )
)
ABBREVIATIONS = Path(__file__).resolve().parent / "curated" / "abbreviations.csv"
ABBREVIATIONS_FILE = "curated_abbreviations.csv"  # its name inside a bundle
# Round 16: the bundle's character -> toneless pinyin table (training/prescription/pinyin.py),
# read by `DrugResolver.read_by_sound`; a bundle built before it shipped reads no slip by sound.
PINYIN_FILE = "zh_pinyin.csv"
# A same-syllable reading may change one character of a name up to this many characters long,
# two characters of a longer one (阿莫昔林 one, 左氧佛杀星 two).
_SOUND_ONE_DIFF_MAX_LEN = 4
_NO_SOUND: frozenset[str] = frozenset()
# Round 17: a Chinese name typed as its toneless pinyin where no Chinese input method is at hand
# ("huafalin" for 华法林, "xinfatating" for 辛伐他汀): letters only, at least this many, spaces
# between syllables allowed; ü may be typed "v" or "u" (氯 lv/lu). Names of _MIN_ZH_READ
# characters or more are indexed, each spelling at most _PINYIN_MAX_SPELLINGS ways (characters
# with two readings).
_PINYIN_WRITTEN = re.compile(r"[a-z]+( [a-z]+)*")
_MIN_PINYIN_LETTERS = 6
_PINYIN_MAX_SPELLINGS = 16

Aliases = dict[str, tuple[tuple[str, ...], str, str]]
Syllables = dict[str, frozenset[str]]
# How components of one product are written between them (round 5): "/", "+", "&", "、", the
# English words "with", "and", "plus", and a hyphen between two words.
# A hyphen between two letters ("piperacillin-tazobactam") separates components only here, where
# every part must resolve ("co-amoxiclav" and "5-FU" resolve as a whole first).
_COMPONENT_SEPARATORS = re.compile(
    r"\s*(?:/|\+|＋|&|、)\s*|\s+(?:with|and|plus)\s+|(?<=[a-z])-(?=[a-z])", re.IGNORECASE
)


def is_cjk(ch: str) -> bool:
    """Whether one character is a CJK ideograph (the resolver's Chinese script)."""
    return bool(_CJK.fullmatch(ch))


def load_characters(path: Path) -> tuple[Syllables, dict[str, str]]:
    """The bundle's zh_pinyin.csv, read once: character -> its toneless syllables, and
    traditional character -> its simplified form."""
    syllables: Syllables = {}
    simplified: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            syllables[row["char"]] = frozenset(row["syllables"].split("|"))
            if row.get("simplified"):
                simplified[row["char"]] = row["simplified"]
    return syllables, simplified


def load_abbreviations(path: Path = ABBREVIATIONS) -> Aliases:
    """The curated abbreviation table: name key -> (canonical ingredients, kind, source)."""
    table: Aliases = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = name_key(row["abbreviation"])
            if key:
                ingredients = tuple(sorted(row["ingredients"].split("|")))
                table[key] = (ingredients, row["kind"], row["source"])
    return table


@dataclass(frozen=True)
class Resolution:
    """How one written name resolved.

    Attributes:
        written: the name as given.
        ingredients: canonical ingredient names (several for a combination product); empty when
            the name did not resolve.
        matched: the alias key that matched.
        kind: what kind of alias matched (canonical, zh_generic, zh_brand, combination, ...).
        source: where that alias comes from.
        suggestions: close known names, when unresolved.
    """

    written: str
    ingredients: tuple[str, ...]
    matched: str = ""
    kind: str = ""
    source: str = ""
    suggestions: tuple[str, ...] = ()

    @property
    def resolved(self) -> bool:
        """Whether the name resolved to at least one ingredient."""
        return bool(self.ingredients)


class DrugResolver:
    """Alias-table lookups with dosage-form and salt stripping.

    Args:
        aliases: alias key -> (ingredients, kind, source).
        abbreviations: curated keys tried before `aliases`, same shape, ingredients named as the
            canonical drugs; None reads prescription/curated/abbreviations.csv, {} uses none.
            Rows whose ingredients `aliases` does not know are left out (the demo drug list is
            small).
    """

    def __init__(
        self,
        aliases: Aliases,
        abbreviations: Aliases | None = None,
        syllables: Syllables | None = None,
        simplified: dict[str, str] | None = None,
    ) -> None:
        self.aliases = aliases
        # round 16: character -> toneless pinyin ({}: no reading by sound), and traditional
        # character -> simplified ({}: traditional script is not folded)
        self.syllables = syllables or {}
        self._simplify = str.maketrans(simplified or {})
        self._sound_pools: dict[int, list[str]] | None = None
        self._fuzzy: Syllables | None = None
        # round 17: pinyin spelling -> Chinese keys, built on the first pinyin name
        self._pinyin: dict[str, tuple[str, ...]] | None = None
        if abbreviations is None:
            abbreviations = load_abbreviations()
        self.abbreviations = self._known(abbreviations)
        self._suggestion_keys: list[str] | None = None
        # read_as's pools, Chinese and Latin keys apart, built on the first misspelling
        self._read_pools: dict[tuple[bool, int], list[str]] | None = None
        self._clinical_drugs: set[str] | None = None
        # Per instance, so the cache goes with the bundle's resolver; least recently used names
        # are dropped at the bound (the same few hundred names make up most prescriptions).
        self._cached_resolve: Callable[[str], Resolution] = functools.lru_cache(
            maxsize=_CACHE_SIZE
        )(self._resolve)

    def _known(self, abbreviations: Aliases) -> Aliases:
        """Abbreviations whose every ingredient is a single-drug key of the alias table, with the
        ingredients spelled as that table resolves them."""
        known: Aliases = {}
        for key, (ingredients, kind, source) in abbreviations.items():
            resolved = [self.aliases.get(name_key(name)) for name in ingredients]
            if all(entry is not None and len(entry[0]) == 1 for entry in resolved):
                names = tuple(sorted({entry[0][0] for entry in resolved if entry is not None}))
                known[key] = (names, kind, source)
        return known

    @classmethod
    def from_table(
        cls,
        path: Path,
        abbreviations: Aliases | None = None,
        syllables: Syllables | None = None,
        simplified: dict[str, str] | None = None,
    ) -> DrugResolver:
        """Load the bundle's aliases.csv (key, ingredients, kind, source)."""
        aliases: Aliases = {}
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            ik, ii, ikind, isrc = (
                header.index(c) for c in ("key", "ingredients", "kind", "source")
            )
            for row in reader:
                aliases[row[ik]] = (tuple(row[ii].split("|")), row[ikind], row[isrc])
        return cls(aliases, abbreviations, syllables, simplified)

    def resolve(self, written: str) -> Resolution:
        """Resolve one name; unresolved names carry up to three suggestions.

        Results are cached (least recently used first out, at most _CACHE_SIZE names).
        """
        return self._cached_resolve(written)

    def _resolve(self, written: str) -> Resolution:
        entry_key = self._lookup(written)
        if entry_key is not None:
            key, entry = entry_key
            return Resolution(written, entry[0], key, entry[1], entry[2])
        # round 16: Hong Kong / Taiwan script (華法林, 頭孢呋辛鈉, 腸溶片) is the same name
        folded = written.translate(self._simplify)
        if folded != written:
            found = self._cached_resolve(folded)
            if found.resolved:
                return dataclasses.replace(found, written=written)
        split = (
            self._split_combination(written)
            or self._split_concatenated(written)
            or self._brand_and_generic(written)
        )
        if split is not None:
            return split
        read = self.read_as(written) or self.read_by_sound(written) or self.read_by_pinyin(written)
        if read is not None:
            return read
        return Resolution(written, (), suggestions=self.suggest(written))

    def resolve_exact(self, written: str) -> tuple[str, ...]:
        """Round 15: the ingredients of a name found by its variants alone (forms, salts,
        abbreviations and alternative names), without splitting it or reading a misspelling;
        () when not found (the KB build reads drugstandards' generic names so)."""
        found = self._lookup(written)
        return found[1][0] if found else ()

    def _lookup(self, written: str) -> tuple[str, tuple[tuple[str, ...], str, str]] | None:
        for key in name_variants(written):
            entry = self.abbreviations.get(key) or self.aliases.get(key)
            if entry is not None:
                return key, entry
        return None

    def _split_combination(self, written: str) -> Resolution | None:
        """A product written as its components ("amlodipine/atorvastatin", "APAP + codeine",
        "Tylenol with Codeine", "奈玛特韦片/利托那韦片", "氨氯地平、阿托伐他汀"): the union of the
        components when every one of them resolves by itself, else None (never a partial
        product: a component that does not resolve leaves the whole name unresolved)."""
        # strengths split off by "/" ("5/10mg") are not components
        parts = [p for p in _COMPONENT_SEPARATORS.split(written) if _has_name(name_key(p))]
        if len(parts) < 2:
            return None
        ingredients: set[str] = set()
        keys: list[str] = []
        for part in parts:
            found = self._lookup(part)
            if found is None:
                return None
            keys.append(found[0])
            ingredients.update(found[1][0])
        return Resolution(
            written, tuple(sorted(ingredients)), " + ".join(keys), "split_combination", "components"
        )

    def _split_concatenated(self, written: str) -> Resolution | None:
        """Round 7: a Chinese fixed-dose combination written as its generic names run together,
        as NMPA names them ("恩曲他滨利匹韦林丙酚替诺福韦片", "索磷布韦维帕他韦片",
        "阿巴卡韦拉米夫定片"): the union of the components when the whole name (dosage form and
        salts stripped) is covered by two or more known Chinese single-ingredient names, fewest
        parts first. Only tried once every other lookup failed, so a known single name (氨氯地平)
        is never split, and a name with any unknown stretch stays unresolved."""
        for key in name_variants(written):
            if not _CJK.fullmatch(key) or len(key) < 4:
                continue
            parts = self._segment(key)
            if parts:
                ingredients = sorted({d for part in parts for d in self.aliases[part][0]})
                return Resolution(
                    written,
                    tuple(ingredients),
                    " + ".join(parts),
                    "split_combination",
                    "components run together",
                )
        return None

    def _segment(self, key: str) -> list[str] | None:
        """The fewest known single-ingredient Chinese keys (2+ characters) that spell `key`
        end to end, at least two of them; None when there is no such cover."""
        best: list[list[str] | None] = [[]] + [None] * len(key)
        for end in range(2, len(key) + 1):
            for start in range(max(0, end - _MAX_ZH_PART), end - 1):
                before, part = best[start], key[start:end]
                entry = self.aliases.get(part) if before is not None else None
                if entry is None or len(entry[0]) != 1 or before is None:
                    continue
                if best[end] is None or len(before) + 1 < len(best[end] or []):
                    best[end] = [*before, part]
        parts = best[len(key)]
        return parts if parts is not None and len(parts) >= 2 else None

    def _brand_and_generic(self, written: str) -> Resolution | None:
        """Round 9: one drug written as several words, as Chinese orders do: a brand with the
        generic name ("泰诺林 对乙酰氨基酚缓释片", "赛治 甲巯咪唑片", "白加黑 氨酚伪麻美芬片"),
        or the name followed by a note ("伊曲康唑胶囊 冲击疗法", "甲氨蝶呤片 每次4片").

        The words that resolve must name one product: equal ingredients, or nested ones (a brand
        family and the one product the generic names: the smaller set, what was written, wins).
        Words that do not resolve are left unread only when they hold Chinese (a brand or an
        instruction: 冲击疗法, 每次4片); an unknown English word may be a drug, and a bare number
        or letter names a product ("Humulin 70/30", "Humulin N", "诺和锐 30"), so then the name
        stays unresolved. None when nothing resolves or two words name different drugs (two
        drugs on one line are not collapsed into one)."""
        words = _BRACKET_CHARS.sub(" ", name_key(written)).split()
        if len(words) < 2:
            return None
        found: list[tuple[str, tuple[str, ...]]] = []
        unread: list[str] = []
        for word in words:
            hit = self._lookup(word)
            if hit is not None:
                found.append((hit[0], hit[1][0]))
            elif _CJK.search(word):
                unread.append(word)
            else:
                return None
        if not found:
            return None
        found.sort(key=lambda hit: len(hit[1]))
        for (_, smaller), (_, larger) in itertools.pairwise(found):
            if not set(smaller) <= set(larger):
                return None
        key, ingredients = found[0]
        if unread:
            note = f"read as '{key}'; not read: {' '.join(unread)}"
            return Resolution(written, ingredients, key, "read_in_part", note)
        return Resolution(written, ingredients, key, "brand_and_generic", "words of one product")

    def read_as(self, written: str) -> Resolution | None:
        """Round 8: a misspelling a pharmacist reads through ("华法令", "奥美拉挫肠溶胶囊",
        "amoxicilin", "metformine XR"), resolved as the one drug it is an edit away from, with
        kind "read_as" so the checker shows how it was read; None when no key of the name is
        close to exactly one drug.

        Each key of the name (strengths, forms and salts stripped) at least _MIN_ZH_READ /
        _MIN_LATIN_READ long is compared with the known names of its script (optimal string
        alignment distance 1). Every name within one edit must name the same ingredients: a
        name one edit from two drugs (a new gliptin between 西格列汀 and 沙格列汀) stays
        unresolved, as guessing there is how look-alike errors reach a patient.
        """
        folded = self._spelling_fold(written)
        if folded is not None:
            return folded
        for key in name_variants(written):
            chinese = bool(_CJK.fullmatch(key))
            if not chinese and not _LATIN_KEY.fullmatch(key):
                continue
            if len(key) < (_MIN_ZH_READ if chinese else _MIN_LATIN_READ):
                continue
            found = self._closest(key, chinese)
            if found == "ambiguous":
                return None
            if found is not None:
                return self._reading(written, found, f"one character from '{key}'")
        return None

    def read_by_sound(self, written: str) -> Resolution | None:
        """Round 16: a Chinese name written with a same-syllable character, tones aside (阿莫昔林
        for 阿莫西林, 氯匹格雷 for 氯吡格雷: pinyin input offers every character of a syllable),
        read as the one drug whose name it sounds like, kind "read_as"; None when the bundle has
        no pinyin table or no key of the name sounds like exactly one drug.

        Tried only after every other reading failed. A key of _MIN_ZH_READ Chinese characters or
        more (`_sound_key`; other characters must match as written) is compared with the known
        Chinese names of its length: the characters that differ (one in
        a name of up to _SOUND_ONE_DIFF_MAX_LEN characters, two in a longer one) must share a
        syllable. Every name it sounds like must name the same ingredients (two drugs: no
        reading), and the reading goes to a generic or brand a prescriber orders."""
        if not self.syllables:
            return None
        keys = [k for k in name_variants(written) if _sound_key(k)]
        for fuzzy in (False, True):
            for key in keys:
                found = self._homophone(key, fuzzy)
                if found == "ambiguous":
                    return None
                if found is not None:
                    how = "near pinyin (z/zh, c/ch, s/sh, n/l, -n/-ng)" if fuzzy else "same pinyin"
                    return self._reading(written, found, f"{how} as '{key}'")
        return None

    def read_by_pinyin(self, written: str) -> Resolution | None:
        """Round 17: a Chinese name typed as its toneless pinyin ("huafalin 2.5mg" for 华法林,
        "xinfatating" for 辛伐他汀), read as the one drug whose Chinese name spells so, kind
        "read_as" (the checker shows the reading for the pharmacist to confirm); None when the
        bundle has no pinyin table, or the spelling is no known name's or two drugs'.

        Tried last, after every reading of the Latin name failed. The key must be letters only
        (spaces between syllables allowed), _MIN_PINYIN_LETTERS or more; the Chinese names of
        _MIN_ZH_READ characters or more are spelt with their characters' readings."""
        if not self.syllables:
            return None
        for key in name_variants(written):
            if not _PINYIN_WRITTEN.fullmatch(key):
                continue
            spelt = key.replace(" ", "").replace("v", "u")
            if len(spelt) < _MIN_PINYIN_LETTERS:
                continue
            found = self.sound_reading(list(self._pinyin_index().get(spelt, ())))
            if found == "ambiguous":
                return None
            if found is not None:
                return self._reading(written, found, f"its pinyin written '{key}'")
        return None

    def _pinyin_index(self) -> dict[str, tuple[str, ...]]:
        """Toneless pinyin spelling (ü as "u") -> the known Chinese keys spelt so; built on the
        first pinyin name. A key with a character of no known reading, or with more than
        _PINYIN_MAX_SPELLINGS spellings, is left out."""
        if self._pinyin is None:
            index: dict[str, list[str]] = {}
            for key in self._pool_keys():
                if len(key) < _MIN_ZH_READ or not _CJK.fullmatch(key):
                    continue
                readings = [self.syllables.get(ch, _NO_SOUND) for ch in key]
                count = math.prod(len(sounds) for sounds in readings)
                if not count or count > _PINYIN_MAX_SPELLINGS:
                    continue
                for spelling in itertools.product(*(sorted(r) for r in readings)):
                    index.setdefault("".join(spelling).replace("v", "u"), []).append(key)
            self._pinyin = {spelt: tuple(keys) for spelt, keys in index.items()}
        return self._pinyin

    def _homophone(self, key: str, fuzzy: bool = False) -> str | None:
        """The known key `key` sounds like (see read_by_sound); "ambiguous" for two drugs."""
        return self.sound_reading(self.sound_hits(key, fuzzy))

    def sound_hits(self, key: str, fuzzy: bool = False) -> list[str]:
        """Known Chinese keys of `key`'s length that differ from it only in characters sharing
        a syllable with the written one (at most one, or two in a name longer than
        _SOUND_ONE_DIFF_MAX_LEN characters); `key` itself is not among them. `fuzzy`: the
        syllables as a pinyin input method's fuzzy setting reads them (`_fuzzy_syllable`), one
        character at most."""
        table = self._fuzzy_table() if fuzzy else self.syllables
        limit = 1 if fuzzy or len(key) <= _SOUND_ONE_DIFF_MAX_LEN else 2
        sounds = [table.get(ch, _NO_SOUND) for ch in key]
        hits: list[str] = []
        for known in self._sound_pool(len(key)):
            diffs = 0
            for ch, other, sound in zip(key, known, sounds, strict=True):
                if ch != other:
                    diffs += 1
                    if diffs > limit or not sound & table.get(other, _NO_SOUND):
                        break
            else:
                if diffs:
                    hits.append(known)
        return hits

    def sound_reading(self, hits: list[str]) -> str | None:
        """The reading of `sound_hits`: the first key when all name one drug a prescriber
        orders (not by a synonym), "ambiguous" when they name two drugs, else None."""
        entries = {k: self._entry(k) for k in hits}
        if len({entry[0] for entry in entries.values()}) > 1:
            return "ambiguous"
        readings = [
            k for k, entry in entries.items() if entry[1] != "synonym" and self._clinical(entry[0])
        ]
        return sorted(readings)[0] if readings else None

    def _fuzzy_table(self) -> Syllables:
        """The syllable table with each reading folded by `_fuzzy_syllable` (built once)."""
        if self._fuzzy is None:
            self._fuzzy = {
                ch: frozenset(_fuzzy_syllable(s) for s in sounds)
                for ch, sounds in self.syllables.items()
            }
        return self._fuzzy

    def _sound_pool(self, length: int) -> list[str]:
        """Known Chinese keys of `length` characters (_MIN_ZH_READ or more), ATC codes left out;
        bucketed by length on first use."""
        if self._sound_pools is None:
            pools: dict[int, list[str]] = {}
            for key in self._pool_keys():
                if _sound_key(key):
                    pools.setdefault(len(key), []).append(key)
            self._sound_pools = pools
        return self._sound_pools.get(length, [])

    def _spelling_fold(self, written: str) -> Resolution | None:
        """Round 11: a name known once a systematic Latin spelling is swapped back
        (`en_spelling_folds`: "gentamycin" -> gentamicin), as a "read as" resolution; None
        when no fold of any key of the name is a known drug a prescriber orders."""
        for key in name_variants(written):
            for fold in en_spelling_folds(key):
                entry = self.abbreviations.get(fold) or self.aliases.get(fold)
                if entry is not None and self._clinical(entry[0]):
                    return self._reading(
                        written, fold, "the -mycin/-micin ending written the other way"
                    )
        return None

    def _closest(self, key: str, chinese: bool) -> str | None:
        """The known key `key` is a misspelling of; "ambiguous" when more than one drug is
        within one edit; None when none can be read.

        Readable edits only (`_readable`), into drugs a prescriber orders (`_clinical`): a
        leave-one-drug-out run over the bundle's names (README, round 8) showed that any
        Chinese edit other than a confusable pair turns real drugs the table may lack into
        others (单硝酸异山梨酯 -> 硝酸异山梨酯, 伊马替尼 -> 伊布替尼, 左氧氟沙星 -> 氧氟沙星),
        as does an English edit of the first letter (aclidinium -> clidinium).
        """
        matches = process.extract(
            key, self._read_pool(chinese, len(key)), scorer=OSA.distance, score_cutoff=1, limit=None
        )
        near: set[tuple[str, ...]] = set()  # every drug one edit away, readable or not
        readings: list[str] = []
        for candidate, distance, _index in matches:
            if distance == 0:
                continue
            entry = self._entry(candidate)
            near.add(entry[0])
            # drugstandards' synonyms hold brands and misspellings of their own ("gababentin",
            # "depamine"): a name is read into a generic, never into another misspelling
            if (
                entry[1] != "synonym"
                and _readable(key, candidate, chinese)
                and self._clinical(entry[0])
            ):
                readings.append(candidate)
        if not readings:
            return None
        if len(near) == 1 or (chinese and self._one_drug(readings)):
            # Round 9: in Chinese a confusable-pair substitution (the only reading allowed
            # there) wins over other edits to other drugs: 阿齐霉素 is read as 阿奇霉素
            # although deleting 齐 gives 阿霉素 (doxorubicin), a slip nobody makes.
            return sorted(readings)[0]
        return "ambiguous"

    def _one_drug(self, keys: list[str]) -> bool:
        """Whether the keys all name the same ingredients."""
        return len({self._entry(k)[0] for k in keys}) == 1

    def _clinical(self, meaning: tuple[str, ...]) -> bool:
        """Whether every ingredient is a drug prescribers order: in DDInter, or named by a
        curated table (Chinese names, combinations, patent medicines, abbreviations), not one
        of DrugBank's experimental compounds."""
        if self._clinical_drugs is None:
            curated = {"zh_generic", "zh_brand", "combination", "zh_patent_medicine"}
            self._clinical_drugs = {
                drug
                for ingredients, kind, source in self.aliases.values()
                if kind in curated or (kind == "canonical" and source == "ddinter")
                for drug in ingredients
            } | {drug for entry in self.abbreviations.values() for drug in entry[0]}
        return all(drug in self._clinical_drugs for drug in meaning)

    def _entry(self, key: str) -> tuple[tuple[str, ...], str, str]:
        """A known key's (ingredients, kind, source): the abbreviation table first, as resolve
        reads it."""
        return self.abbreviations.get(key) or self.aliases[key]

    def _reading(self, written: str, found: str, how: str) -> Resolution:
        """`written` read as the known key `found` (kind "read_as"), its note saying how."""
        return Resolution(
            written, self._entry(found)[0], found, "read_as", f"read as '{found}' ({how})"
        )

    def _pool_keys(self) -> list[str]:
        """Every key a misspelt or same-syllable name may be read as, sorted: the alias table's
        and the abbreviations', ATC codes left out (read_as's and read_by_sound's pools)."""
        keys = {k for k, entry in self.aliases.items() if entry[1] != "atc_code"}
        return sorted(keys | set(self.abbreviations))

    def _read_pool(self, chinese: bool, length: int) -> list[str]:
        """Known keys of one script, one character shorter to one longer than `length` (the only
        ones an edit can reach), ATC codes left out; bucketed by length on first use."""
        if self._read_pools is None:
            pools: dict[tuple[bool, int], list[str]] = {}
            for key in self._pool_keys():
                if _CJK.fullmatch(key) and len(key) >= _MIN_ZH_READ:
                    pools.setdefault((True, len(key)), []).append(key)
                elif _LATIN_KEY.fullmatch(key) and len(key) >= _MIN_LATIN_READ - 1:
                    pools.setdefault((False, len(key)), []).append(key)
            self._read_pools = pools
        return [
            key
            for size in (length - 1, length, length + 1)
            for key in self._read_pools.get((chinese, size), [])
        ]

    def suggest(self, written: str) -> tuple[str, ...]:
        """Known names close to an unresolved one (for the pharmacist, never auto-applied),
        closest first.

        rapidfuzz scores the whole pool (about 2 ms on 38,000 real aliases), so a wrong first
        letter ("zimvastatin", "kbuprofen") is still suggested; difflib needed the pool cut to the
        keys sharing the first character to stay near that, and missed those.
        """
        key = name_key(written)
        if not key:
            return ()
        if self._suggestion_keys is None:
            # sorted: equal scores come back in pool order, so suggestions are reproducible
            self._suggestion_keys = sorted(set(self.aliases) | set(self.abbreviations))
        matches = process.extract(
            key,
            self._suggestion_keys,
            scorer=fuzz.ratio,
            limit=_MAX_SUGGESTIONS,
            score_cutoff=_cutoff(len(key)),
        )
        return tuple(match for match, _score, _index in matches)


def _readable(written: str, known: str, chinese: bool) -> bool:
    """Whether a one-edit slip is one a reader may take as the known name: in Chinese only a
    confusable-pair substitution; in English an edit inside one word of 5 letters or more that
    keeps its first letter (a changed letter designator, "hepatitis a/b vaccine", "factor ix/x",
    names another product)."""
    if chinese:
        return _confusable_substitution(written, known)
    words, known_words = written.split(), known.split()
    if len(words) != len(known_words):
        return False
    return all(
        a == b or (len(a) >= 5 and a[0] == b[0]) for a, b in zip(words, known_words, strict=True)
    )


def _confusable_substitution(written: str, known: str) -> bool:
    """Whether `written` is `known` with one character swapped for its confusable partner."""
    if len(written) != len(known):
        return False
    diffs = [(a, b) for a, b in zip(written, known, strict=True) if a != b]
    return len(diffs) == 1 and frozenset(diffs[0]) in _ZH_CONFUSABLE


def _sound_key(key: str) -> bool:
    """Whether a key may be read by sound: _MIN_ZH_READ Chinese characters or more, with any
    letters, digits or marks between them matched as written (先锋6号, 维生素D2, 5-氨基水杨酸)."""
    return sum(1 for ch in key if is_cjk(ch)) >= _MIN_ZH_READ


def _fuzzy_syllable(syllable: str) -> str:
    """A toneless syllable as the fuzzy-pinyin settings of Chinese input methods (模糊音) and
    southern and north-eastern speech fold it: zh/z, ch/c, sh/s and n/l initials, and the
    -ng finals of an/ang, en/eng, in/ing."""
    for retroflex in ("zh", "ch", "sh"):
        if syllable.startswith(retroflex):
            syllable = syllable[0] + syllable[2:]
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if syllable.endswith(("ang", "eng", "ing")):
        syllable = syllable[:-1]
    return syllable


def _has_name(key: str) -> bool:
    """Whether a key holds a letter or a Chinese character (not only numbers and units)."""
    return any(ch.isalpha() for ch in key)


def _cutoff(length: int) -> float:
    """The fuzz.ratio a suggestion needs for a key of `length` characters: _SUGGESTION_CUTOFF,
    lowered for 3-character keys to what one substituted character scores (2/3), as Chinese
    names are short: "华发林" for 华法林 scores 66.7."""
    if length < 3:
        return _SUGGESTION_CUTOFF
    one_substitution = 100.0 * (length - 1) / length
    # a hair under: rapidfuzz's own float for that score may round below ours
    return min(_SUGGESTION_CUTOFF, one_substitution - 1e-6)
