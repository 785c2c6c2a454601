"""Reported values are validated at input: never a silent 0."""

import pytest

from core.parsers import CellError
from scoring.methodology import V1
from scoring.values import canonical_value


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("ENV-01", "Yes", "true"), ("ENV-01", "n", "false"), ("ENV-01", "1", "true"), ("ENV-01", "FALSE", "false"),
    ("ENV-03", "a-", "A-"), ("ENV-03", "F", "F"), ("ENV-04", "Near_Term_Validated", "near_term_validated"),
    ("ENV-06", "72.50", "72.5"), ("ENV-06", "100", "100"), ("ENV-06", "0", "0"), ("ECO-01", "61", "61"),
    ("ENV-05", "-12.5", "-12.5"), ("ENV-05", "30", "30"), ("ENV-09", "85", "85"),
])
def test_valid_values_are_canonicalised(code, text, expected):
    assert canonical_value(V1.indicator(code), text) == expected


@pytest.mark.parametrize(("code", "text", "message"), [
    ("ENV-03", "B+", "'B+' is not a known ENV-03 code"),
    ("ENV-04", "validated", "'validated' is not a known ENV-04 code"),
    ("ENV-06", "130", "130 is above the maximum 100"),
    ("ECO-01", "-1", "-1 is below the minimum 0"),
    ("ENV-01", "maybe", "'maybe' is not a yes/no value"),
    ("ENV-06", "70%", "'70%' is not a number"),
    ("RBA-01", "100", "RBA-01 is derived from audits and cannot be reported"),
])
def test_invalid_values_are_refused(code, text, message):
    with pytest.raises(CellError, match=message.replace("+", r"\+")):
        canonical_value(V1.indicator(code), text)
