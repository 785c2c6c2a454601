"""Portal pages, one module per area. Views translate HTTP only: reads come from
``portal.selectors`` (scoped to the user), writes go through services."""
