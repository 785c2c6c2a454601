from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    """What the buyer discloses about its supply chain: the public supplier list
    (scorecard.md section 10), suppliers' yearly GHG inventories, emission factors and the
    supply-chain emissions estimate (section 11)."""

    name = "disclosure"
