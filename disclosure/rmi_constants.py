"""Words of the RMI templates (docs/industry-files.md) that both the template reader
(``disclosure.rmi``) and the section 9 smelter count (``scoring.derived.minerals_counted``)
use. Plain constants, no Django: ``scoring.derived`` and the engine import without the app
registry."""

CMRT = "cmrt"
EMRT = "emrt"
# The Smelter Look-up's two options that name no smelter (column C of the Smelter List,
# compared trimmed and lower-cased).
NOT_LISTED = "smelter not listed"
NOT_YET_IDENTIFIED = "smelter not yet identified"
