"""Seed the RBA Code of Conduct 7.0 and 8.0 provisions and the default deadline table.

7.0 titles are from domain.md. 8.0 keeps the section codes; its titles are the best
known wording of the 2024 code (admins can correct them, or add our own Supplier Code
of Conduct as another standard). Re-running is harmless: rows are matched by key.
"""

from django.db import migrations

RBA_7_0 = {
    "A1": "Freely Chosen Employment",
    "A2": "Young Workers",
    "A3": "Working Hours",
    "A4": "Wages and Benefits",
    "A5": "Humane Treatment",
    "A6": "Non-Discrimination",
    "A7": "Freedom of Association",
    "B1": "Occupational Safety",
    "B2": "Emergency Preparedness",
    "B3": "Occupational Injury and Illness",
    "B4": "Industrial Hygiene",
    "B5": "Physically Demanding Work",
    "B6": "Machine Safeguarding",
    "B7": "Food, Sanitation and Housing",
    "B8": "Health and Safety Communication",
    "C1": "Permits and Reporting",
    "C2": "Pollution Prevention",
    "C3": "Hazardous Substances",
    "C4": "Solid Waste",
    "C5": "Air Emissions",
    "C6": "Materials Restrictions",
    "C7": "Water Management",
    "C8": "Energy and Greenhouse Gas Emissions",
    "D1": "Business Integrity",
    "D2": "No Improper Advantage",
    "D3": "Disclosure of Information",
    "D4": "Intellectual Property",
    "D5": "Fair Business",
    "D6": "Protection of Identity and Non-Retaliation",
    "D7": "Responsible Sourcing of Minerals",
    "D8": "Privacy",
    "E1": "Company Commitment",
    "E2": "Management Accountability and Responsibility",
    "E3": "Legal and Customer Requirements",
    "E4": "Risk Assessment and Risk Management",
    "E5": "Improvement Objectives",
    "E6": "Training",
    "E7": "Communication",
    "E8": "Worker Feedback, Participation and Grievance",
    "E9": "Audits and Assessments",
    "E10": "Corrective Action Process",
    "E11": "Documentation and Records",
    "E12": "Supplier Responsibility",
}

RBA_8_0 = {
    **RBA_7_0,
    "A5": "Humane Treatment",
    "A6": "Non-Discrimination and Non-Harassment",
    "B7": "Sanitation, Food and Housing",
    "C1": "Environmental Permits and Reporting",
    "C2": "Pollution Prevention and Resource Reduction",
    "C8": "Energy Consumption and Greenhouse Gas Emissions",
    "D5": "Fair Business, Advertising and Competition",
}

DEADLINES = [
    # severity, cap_days, cap_clock, correction_days, correction_days_health_safety
    ("priority", 7, "discovery", 90, 30),
    ("major", 14, "report", 180, None),
    ("minor", 14, "report", 270, None),
    ("risk", 14, "report", 270, None),
    ("ofi", None, "report", None, None),
]


def seed(apps, schema_editor):
    Provision = apps.get_model("audits", "Provision")
    DeadlineRule = apps.get_model("audits", "DeadlineRule")
    for version, titles in (("7.0", RBA_7_0), ("8.0", RBA_8_0)):
        for code, title in titles.items():
            Provision.objects.get_or_create(standard="rba", version=version, code=code, defaults={"title": title})
    for severity, cap_days, cap_clock, correction_days, health_safety in DEADLINES:
        DeadlineRule.objects.get_or_create(
            severity=severity,
            defaults={"cap_days": cap_days, "cap_clock": cap_clock, "correction_days": correction_days,
                      "correction_days_health_safety": health_safety, "overall_limit_months": 18},
        )


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
