"""What the public may read of a party (disclosure.masking): names, organisations, free text, numbers."""
import pytest

from disclosure.masking import PERSONAL_NUMBER, mask_party, mask_text, party_is_natural_person


@pytest.mark.parametrize("name, published", [
    ("张三", "张某某"),  # two characters
    ("李小红", "李某某"),  # three
    ("王小明明", "王某某"),  # four, single surname
    ("欧阳娜娜", "欧阳某某"),  # four, compound surname
    ("司马光", "司马某某"),  # three, compound surname
    ("诸葛亮", "诸葛某某"),
    ("上官婉儿", "上官某某"),
    ("王和平", "王某某"),  # 和 is part of the name, not "and"
    ("阿依古丽·买买提", "阿某某"),
])
def test_a_natural_persons_name_becomes_the_surname_and_mouxmou(name, published):
    assert mask_party(name) == published
    assert party_is_natural_person(name)


@pytest.mark.parametrize("name", ["呼和浩特市宏达建筑工程有限公司", "龙王沟村股份经济合作社", "前进村村民委员会",
                                  "土左旗第二中学", "兴旺养殖场"])
def test_an_organisation_keeps_its_name(name):
    assert mask_party(name) == name
    assert not party_is_natural_person(name)


def test_several_parties_are_each_masked_and_an_organisation_among_them_kept():
    assert mask_party("张三、欧阳娜娜，宏达建材有限公司") == "张某某、欧阳某某、宏达建材有限公司"
    assert party_is_natural_person("宏达建材有限公司、张三")


def test_names_of_the_party_inside_free_text_are_masked_and_numbers_removed():
    text = ("当事人张三、欧阳娜娜在村东头12号院外加盖彩钢房，张三称已申请。联系电话13800138000，座机0471-6612345，"
            "身份证号15010219900101123X，旧证150102900101123。")
    masked = mask_text(text, "张三、欧阳娜娜")
    assert "张三" not in masked and "欧阳娜娜" not in masked and "娜娜" not in masked
    assert masked.count("张某某") == 2 and "欧阳某某" in masked
    assert "12号" not in masked and "村东头" in masked  # the place stays, the house number goes
    assert PERSONAL_NUMBER.search(masked) is None
    for number in ("13800138000", "6612345", "15010219900101123X", "150102900101123"):
        assert number not in masked


def test_the_longest_party_name_is_replaced_first():
    assert mask_text("欧阳娜娜与欧阳娜", "欧阳娜、欧阳娜娜") == "欧阳某某与欧阳某某"


def test_an_organisations_name_in_free_text_stays_and_document_numbers_are_kept():
    text = "宏达建材有限公司收到龙执〔2026〕限拆字第3号决定"
    assert mask_text(text, "宏达建材有限公司") == text


@pytest.mark.parametrize("text", ["13912345678", "电话：139 1234 5678", "139-1234-5678", "0471 6612345",
                                  "110101199003077777", "11010119900307777x"])
def test_phone_and_id_patterns_are_found(text):
    assert PERSONAL_NUMBER.search(text)
    assert PERSONAL_NUMBER.search(mask_text(text)) is None
