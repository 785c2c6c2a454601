"""Words of the RMI templates (docs/industry-files.md) and the smelter id's one comparison
form, which both the template reader (``disclosure.rmi``) and the section 9 smelter count
(``scoring.derived.minerals_counted``) use. No Django: ``scoring.derived`` and the engine
import without the app registry."""

import unicodedata

CMRT = "cmrt"
EMRT = "emrt"
# The Smelter Look-up's two options that name no smelter (column C of the Smelter List,
# compared trimmed and lower-cased).
NOT_LISTED = "smelter not listed"
NOT_YET_IDENTIFIED = "smelter not yet identified"


def normalise_smelter_id(text) -> str:
    """An RMI smelter id (``CID000001``) as the list and the score compare it: NFKC-normalised
    (full-width ``ｃｉｄ０００００１`` is ``CID000001``), trimmed and upper-cased; None or blank
    gives "". Rows keep their ids as written; every comparison
    with the smelter list goes through here (``scoring.derived.minerals_rows``, the smelter
    list's reader ``disclosure.minerals.parse_smelter_id``)."""
    return unicodedata.normalize("NFKC", str(text or "")).strip().upper()
