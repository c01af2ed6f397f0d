"""Price years: every money figure in a scenario is in some financial year's prices, and
the model reports all of them in one (``costs.price_year``).

Amounts are converted with the GDP deflator at market prices, the index HM Treasury
publishes for this purpose ("GDP deflators at market prices, and money GDP", from ONS
series L8GG, financial years). The values below are rebased to 2022-23 = 100 and
rounded to one decimal: they are approximate (within about 1% of the Treasury's
releases of 2023-24; the later years are revised at every release), which is well
inside the uncertainty of the costs they convert. A user with a newer release can
replace them; nothing else in the model reads prices.
"""

from __future__ import annotations

# Financial year -> GDP deflator at market prices, 2022-23 = 100 (HM Treasury, approximate).
GDP_DEFLATOR: dict[str, float] = {
    "2010/11": 77.5,
    "2011/12": 78.7,
    "2012/13": 80.0,
    "2013/14": 81.5,
    "2014/15": 82.7,
    "2015/16": 83.2,
    "2016/17": 85.0,
    "2017/18": 86.5,
    "2018/19": 88.3,
    "2019/20": 90.2,
    "2020/21": 94.9,
    "2021/22": 95.2,
    "2022/23": 100.0,
    "2023/24": 107.0,
    "2024/25": 110.0,
}
PRICE_YEARS = tuple(GDP_DEFLATOR)


def convert(amount: float, from_year: str, to_year: str) -> float:
    """An amount in ``from_year`` prices, in ``to_year`` prices."""
    return amount * GDP_DEFLATOR[to_year] / GDP_DEFLATOR[from_year]
