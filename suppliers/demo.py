"""A realistic, reproducible demo supply base: suppliers, sites, Pareto spend, FX rates."""

from __future__ import annotations

import random
from decimal import Decimal

from core.quarter import Quarter
from suppliers.models import FxRate, Site, SpendRecord, Supplier

# (country, currency, weight, [(province/region, [cities])])
REGIONS = [
    ("CN", "CNY", 40, [("Guangdong", ["深圳", "东莞", "广州", "惠州", "珠海"]),
                       ("Jiangsu", ["苏州", "昆山", "无锡", "南京", "常州"]),
                       ("Anhui", ["合肥", "芜湖", "滁州"]), ("Zhejiang", ["宁波", "杭州"])]),
    ("TW", "TWD", 8, [("", ["Hsinchu", "Taoyuan", "Taichung"])]),
    ("JP", "JPY", 6, [("", ["Osaka", "Nagoya", "Kyoto"])]),
    ("KR", "KRW", 5, [("", ["Suwon", "Gumi", "Cheonan"])]),
    ("VN", "USD", 6, [("", ["Bac Ninh", "Hai Phong", "Ho Chi Minh City"])]),
    ("MY", "MYR", 4, [("", ["Penang", "Johor Bahru"])]),
    ("TH", "THB", 3, [("", ["Ayutthaya", "Chonburi"])]),
    ("IN", "INR", 4, [("", ["Chennai", "Noida", "Pune"])]),
    ("DE", "EUR", 6, [("", ["Stuttgart", "Dresden", "Nuremberg"])]),
    ("NL", "EUR", 2, [("", ["Eindhoven", "Rotterdam"])]),
    ("CZ", "EUR", 2, [("", ["Brno", "Pardubice"])]),
    ("HU", "EUR", 2, [("", ["Győr", "Debrecen"])]),
    ("MX", "USD", 5, [("", ["Guadalajara", "Monterrey", "Tijuana"])]),
    ("US", "USD", 7, [("", ["Austin", "San Jose", "Phoenix"])]),
]
FX_TO_USD = {"CNY": 0.139, "TWD": 0.031, "JPY": 0.0067, "KRW": 0.00073, "MYR": 0.213, "THB": 0.028,
             "INR": 0.0119, "EUR": 1.08, "USD": 1.0}
PRODUCTION_COMMODITIES = ["PCBA", "Display modules", "Battery cells", "Connectors", "Plastic injection parts",
                          "Metal stamping", "Semiconductors", "Passive components", "Cables and harnesses",
                          "Camera modules", "Power supplies", "Packaging"]
NON_PRODUCTION_COMMODITIES = ["Logistics", "IT services", "Facilities", "Test equipment", "Consulting"]
CN_PREFIX = ["华强", "立讯", "富创", "精密", "鸿达", "瑞丰", "新宇", "金源", "中联",
             "海越", "博源", "天成", "东方", "长盈", "恒通", "明辉", "安捷", "嘉和"]
CN_SUFFIX = ["电子有限公司", "精密制造有限公司", "科技股份有限公司",
             "新能源科技有限公司", "包装材料有限公司", "塑胶五金有限公司"]
LATIN_NAMES = ["Precision", "Components", "Micro", "Systems", "Electro", "Advanced", "Pacific", "Nordic", "Apex",
               "Delta", "Summit", "Vertex", "Orion", "Atlas", "Helix", "Quantum", "Meridian", "Sierra"]
LATIN_SUFFIX = {"DE": "GmbH", "NL": "B.V.", "CZ": "s.r.o.", "HU": "Kft.", "JP": "Co., Ltd.", "KR": "Co., Ltd.",
                "TW": "Corp.", "VN": "JSC", "MY": "Sdn. Bhd.", "TH": "Co., Ltd.", "IN": "Pvt. Ltd.",
                "MX": "S.A. de C.V.", "US": "Inc."}


def demo_quarters(last: Quarter, count: int = 8) -> list[Quarter]:
    return last.window(count)


def _name(rng: random.Random, country: str, index: int) -> tuple[str, str]:
    if country == "CN":
        prefix, suffix = rng.choice(CN_PREFIX), rng.choice(CN_SUFFIX)
        return f"{prefix}{suffix[:2]}", f"{prefix}{suffix}"
    words = rng.sample(LATIN_NAMES, 2)
    name = f"{words[0]} {words[1]}"
    return name, f"{name} {LATIN_SUFFIX.get(country, 'Ltd.')}"


def seed_master_data(*, count: int, rng: random.Random, last_quarter: Quarter) -> list[Supplier]:
    """Suppliers, sites, 8 quarters of Pareto spend in several currencies, FX rates."""
    regions, weights = REGIONS, [region[2] for region in REGIONS]
    suppliers, sites, spend = [], [], []
    site_specs = []
    for index in range(1, count + 1):
        country, currency, _, provinces = rng.choices(regions, weights)[0]
        production = rng.random() < 0.75
        name, legal_name = _name(rng, country, index)
        status = rng.choices(["active", "candidate", "suspended", "terminated"], [90, 5, 3, 2])[0]
        supplier = Supplier(
            code=f"SUP-{index:05d}", name=name, legal_name=legal_name, country=country,
            category="production" if production else "non_production",
            commodity=rng.choice(PRODUCTION_COMMODITIES if production else NON_PRODUCTION_COMMODITIES),
            tier=rng.choices([1, 2, 3], [60, 30, 10])[0], status=status,
        )
        suppliers.append(supplier)
        province, cities = rng.choice(provinces)
        for site_number in range(1, rng.choices([1, 2, 3], [60, 30, 10])[0] + 1):
            city = rng.choice(cities)
            site_specs.append((supplier, site_number, city, province, production and rng.random() < 0.95,
                               "closed" if rng.random() < 0.04 else "active", currency))
    Supplier.objects.bulk_create(suppliers)
    by_code = {s.code: s for s in Supplier.objects.filter(code__in=[s.code for s in suppliers])}
    for supplier, site_number, city, province, is_production, status, _ in site_specs:
        owner = by_code[supplier.code]
        label = f"{city}工厂 {site_number}" if owner.country == "CN" else f"{city} plant {site_number}"
        sites.append(Site(supplier=owner, code=f"{owner.code}-F{site_number}", name=label, country=owner.country,
                          city=f"{city}, {province}" if province else city, is_production=is_production,
                          status=status))
    Site.objects.bulk_create(sites)

    quarters = demo_quarters(last_quarter)
    currency_of = {spec[0].code: spec[6] for spec in site_specs}
    # Pareto: a few suppliers hold most of the spend (Zipf-like ranks, shuffled to codes).
    ranks = list(range(1, count + 1))
    rng.shuffle(ranks)
    for (code, supplier), rank in zip(sorted(by_code.items()), ranks, strict=True):
        annual_usd = 400_000_000 / rank ** 1.15
        currency = currency_of[code]
        for quarter in quarters:
            if supplier.status == "candidate" and quarter != quarters[-1]:
                continue
            if rng.random() < 0.05:
                continue  # no purchase that quarter
            usd = annual_usd / 4 * rng.uniform(0.7, 1.3)
            amount = Decimal(str(round(usd / FX_TO_USD[currency], 2)))
            spend.append(SpendRecord(supplier=supplier, quarter=str(quarter), currency=currency, amount=amount))
            if rng.random() < 0.08:  # a credit note booked in USD
                spend.append(SpendRecord(supplier=supplier, quarter=str(quarter), currency="USD" if currency != "USD"
                                         else "EUR", amount=Decimal(str(-round(usd * 0.05, 2)))))
    SpendRecord.objects.bulk_create(spend, batch_size=5000)

    rates = []
    for quarter_index, quarter in enumerate(quarters):
        for currency, base in FX_TO_USD.items():
            if currency == "USD":
                continue
            drift = 1 + 0.01 * ((quarter_index * 7 + len(currency)) % 5 - 2)
            rates.append(FxRate(quarter=str(quarter), currency=currency,
                                rate_to_base=Decimal(str(round(base * drift, 8)))))
    FxRate.objects.bulk_create(rates)
    return list(Supplier.objects.order_by("code"))
