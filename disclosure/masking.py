"""What the public may read of a party (执法公示): a natural person's name becomes the surname and 某某, an
organisation keeps its name, and no phone number, ID number, house number or photo is ever published.

Free text (the facts of a case) passes through the same masking: the party's names found in it are replaced, and
anything shaped like a phone or ID number or a house number is removed. Photos are never published: the public
pages have none, so nothing here handles them.
"""
import re

MASK = "某某"
REMOVED = "（已隐去）"

# 复姓: a name starting with one of these keeps both characters (欧阳娜娜 → 欧阳某某). The common ones of 百家姓.
COMPOUND_SURNAMES = frozenset("""
欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 令狐 夏侯 轩辕 端木 西门 南宫 独孤 百里 呼延 申屠 澹台
公羊 太史 钟离 锺离 闻人 赫连 万俟 濮阳 东郭 拓跋 完颜 司空 淳于 单于 仲孙 羊舌 左丘 第五 梁丘 公冶 乐正 漆雕
壤驷 谷梁 宰父 巫马 南门 东门 亓官 鲜于 闾丘 子车 颛孙 公良 夹谷 段干 太叔 叔孙 微生 公西 即墨 呼衍
""".split())

# Words only an organisation's name contains (a company, a co-operative, a village committee, a school …).
ORGANISATION_MARKERS = (
    "公司", "有限", "集团", "合作社", "委员会", "村委会", "居委会", "工厂", "厂", "养殖场", "农场", "林场", "商行", "商店",
    "超市", "酒店", "饭店", "宾馆", "中心", "学校", "小学", "中学", "医院", "卫生院", "协会", "工作室", "经营部", "门市",
    "政府", "局", "事务所", "研究所", "站", "基地", "加油站", "寺", "庙", "教堂", "银行", "信用社", "企业", "单位",
)

# Several parties in one field: 张三、李四 (never split on 和: 王和平 is one person).
PARTY_SEPARATORS = re.compile(r"[、，,；;/]")

# Mainland mobile numbers, landlines with an area code, and 18- or 15-digit ID numbers, not inside a longer number.
MOBILE = r"1[3-9]\d(?:[\s-]?\d){8}"
LANDLINE = r"0\d{2,3}[\s-]?\d{7,8}"
ID_NUMBER = r"\d{17}[\dXx]|\d{15}"
PERSONAL_NUMBER = re.compile(rf"(?<![\dA-Za-z])(?:{ID_NUMBER}|{MOBILE}|{LANDLINE})(?![\dA-Za-z])")
# An exact address: a house, building or room number (村东头12号, 3栋2单元, 201室); never a document's 第3号.
HOUSE_NUMBER = re.compile(r"(?<![第\d０-９])[\d０-９一二三四五六七八九十百零〇]+(?:号院|号楼|号|栋|幢|单元|室|户)")


def is_organisation(name: str) -> bool:
    return any(marker in name for marker in ORGANISATION_MARKERS)


def surname(name: str) -> str:
    """The surname of a Chinese name: a compound one (欧阳) or the first character. A name written with the
    interpunct of minority names (阿依古丽·买买提) has no surname to keep: its first character stands for it."""
    name = name.strip()
    if name[:2] in COMPOUND_SURNAMES and len(name) > 2:
        return name[:2]
    return name[:1]


def mask_one(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if is_organisation(name):
        return name
    return surname(name) + MASK


def mask_party(party: str) -> str:
    """The party as published: each natural person masked, organisations by name, numbers removed."""
    parties = [p for p in (part.strip() for part in PARTY_SEPARATORS.split(party or "")) if p]
    return remove_numbers("、".join(mask_one(p) for p in parties))


def party_is_natural_person(party: str) -> bool:
    """True when any party in the field is a natural person (the shorter retention then applies)."""
    parties = [p for p in (part.strip() for part in PARTY_SEPARATORS.split(party or "")) if p]
    return any(not is_organisation(p) for p in parties)


def remove_numbers(text: str) -> str:
    text = PERSONAL_NUMBER.sub(REMOVED, text or "")
    return HOUSE_NUMBER.sub("", text)


def mask_text(text: str, parties: str = "") -> str:
    """Free text as published: the parties' names replaced as ``mask_party`` would (longest first, so 欧阳娜娜 is
    not half-replaced by a party 欧阳娜), then every phone, ID and house number removed."""
    names = sorted({p.strip() for p in PARTY_SEPARATORS.split(parties or "") if p.strip()}, key=len, reverse=True)
    for name in names:
        masked = mask_one(name)
        if masked != name:
            text = (text or "").replace(name, masked)
    return remove_numbers(text or "")
