"""Names and places the demo patients are drawn from.

Surname weights follow the 2020 census shares (per mille, rounded) so the
queue looks like a real Chinese waiting room: many 王, 李 and 张, few 欧阳.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71), ("李", 70), ("张", 68), ("刘", 54), ("陈", 47), ("杨", 33), ("黄", 23),
    ("赵", 23), ("吴", 20), ("周", 19), ("徐", 16), ("孙", 15), ("马", 15), ("朱", 13),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 11), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 6), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 5), ("董", 5), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 2), ("邹", 2),
    ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2),
    ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 1), ("黎", 1), ("贺", 1),
    ("顾", 1), ("毛", 1), ("郝", 1), ("龚", 1), ("邵", 1), ("万", 1), ("钱", 1), ("严", 1),
    ("覃", 1), ("武", 1), ("戴", 1), ("莫", 1), ("孔", 1), ("向", 1), ("汤", 1),
    ("欧阳", 0.5), ("司马", 0.2), ("诸葛", 0.1),
)  # fmt: skip

# Given names differ by generation: 建国 and 秀英 are grandparents, 梓涵 and 浩宇 are children.
ELDER_MALE = _words(
    "建国 国华 德明 永福 建华 志刚 国强 家富 福生 长春 金山 正清 庆华 春生 德胜 少华"
)
ELDER_FEMALE = _words(
    "秀英 桂英 玉兰 桂兰 淑珍 凤英 秀兰 桂芳 玉梅 秀珍 翠花 美华 素芬 桂香 金凤 淑华"
)
ADULT_MALE = _words(
    "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 鹏 华 飞 斌 波 峰 海 林 "
    "志强 建军 海涛 晓东 文斌 小龙 俊杰 永强"
)
ADULT_FEMALE = _words(
    "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 萍 红 琳 婷 丽娟 秀梅 晓燕 红霞 雪梅 春燕 海燕 丽华 小红 文静"
)
CHILD_MALE = _words(
    "浩宇 子轩 宇轩 浩然 梓豪 俊熙 子墨 一诺 思远 沐阳 奕辰 宇航 博文 天佑 嘉懿 明轩"
)
CHILD_FEMALE = _words(
    "梓涵 欣怡 雨桐 诗涵 紫萱 一诺 可馨 语嫣 梦琪 思彤 若曦 芷若 佳怡 雨萱 依诺 子涵"
)

ENGLISH_GIVEN_MALE = _words(
    "James John Robert Michael David Daniel Thomas Peter Mark Paul Ahmed Luca"
)
ENGLISH_GIVEN_FEMALE = _words(
    "Mary Anna Maria Sarah Emily Laura Emma Olivia Sophie Grace Linda Aisha"
)
ENGLISH_FAMILY: tuple[tuple[str, str], ...] = (
    ("Smith", "GBR"), ("Johnson", "USA"), ("Brown", "AUS"), ("Taylor", "GBR"),
    ("Wilson", "CAN"), ("Miller", "USA"), ("Davis", "USA"), ("Anderson", "NZL"),
    ("Martin", "FRA"), ("Nguyen", "VNM"), ("Tran", "VNM"), ("Kim", "KOR"), ("Khan", "PAK"),
    ("Garcia", "ESP"), ("Silva", "BRA"), ("Okafor", "NGA"), ("Müller", "DEU"), ("Rossi", "ITA"),
)  # fmt: skip

# Six-digit administrative division codes (GB/T 2260). Most patients are born in
# the clinic's own county; some moved in from neighbouring provinces.
HOME_REGION = "430124"
OTHER_REGIONS = (
    "430521", "430181", "431021", "511321", "411522", "360722", "522121", "341621",
    "371521", "450821", "130627", "421022", "420117", "500230", "440882", "350322",
)  # fmt: skip

TOWN = "青山镇"
COUNTY = "清河县"
CITY = "江州市"
PROVINCE = "湖南省"
POSTAL_CODE = "410615"
VILLAGES = _words(
    "石门村 大坪村 杨柳村 新田村 枫树村 龙潭村 白沙村 桃花村 黄土村 长冲村 高桥村 松林村 "
    "荷塘村 双江村 青山社区 金鸡村 梅子村 竹山村"
)
GROUPS = _words("一 二 三 四 五 六 七 八 九 十")

MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "180 181 182 183 184 185 186 187 188 189"
)
