"""The one mobile-number normaliser: a table of known inputs, and properties checked with hypothesis."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from members.phone import JUNK, InvalidMobile, normalise_mobile

ACCEPTED = [
    ("9812345670", "9812345670"),
    ("+91 98123 45670", "9812345670"),
    ("+91-98123-45670", "9812345670"),
    ("91 9812345670", "9812345670"),
    ("919812345670", "9812345670"),
    ("09812345670", "9812345670"),
    ("0091 98123 45670", "9812345670"),
    ("+91 (981) 234-5670", "9812345670"),
    ("98123.45670", "9812345670"),
    ("981 234 5670", "9812345670"),
    ("  9812345670\u00a0", "9812345670"),
    ("९८१२३४५६७०", "9812345670"),
    ("+९१ ९८१२३ ४५६७०", "9812345670"),
    (9812345670, "9812345670"),
    (9812345670.0, "9812345670"),
    ("9812340000", "9812340000"),  # typed as text: a number someone typed, whatever it ends in
    ("9812345670.0", "9812345670"),
    ('="9812345670"', "9812345670"),
    ("'9812345670", "9812345670"),
    ("'+91 98123 45670", "9812345670"),
    ("6000000001", "6000000001"),
    ("7012345678", "7012345678"),
    ("8123456789", "8123456789"),
    ("9123456789", "9123456789"),  # starts with 91 yet has 10 digits: nothing is stripped
    ("91 91234 56789", "9123456789"),
]

REFUSED = [
    (None, "missing"),
    ("", "missing"),
    ("   ", "missing"),
    ("9.87654E+09", "excel_scientific"),
    ("9.87654e+09", "excel_scientific"),
    ("9,87654E+09", "excel_scientific"),
    ("N/A", "not_a_number"),
    ("98765abcde", "not_a_number"),
    ("98765 4321O", "letter_for_digit"),  # the letter O for a zero
    ("+91 98l23 45670", "letter_for_digit"),
    ("O9812345670", "letter_for_digit"),
    ("hello", "not_a_number"),
    ("9812345670 / 9123456789", "two_numbers"),
    ("98123 45670, 91234 56789", "two_numbers"),
    (9812345670.5, "not_a_number"),
    (float("nan"), "not_a_number"),
    (True, "not_a_number"),
    ("98765", "wrong_length"),
    ("987654321", "wrong_length"),
    ("98123456701", "wrong_length"),
    ("5876543210", "not_mobile"),
    ("0876543210", "not_mobile"),
    ("1234567890", "not_mobile"),
    ("+91 1234567890", "not_mobile"),
    ("022 2345 6789", "not_mobile"),  # a Mumbai landline
    ("0612-2234567", "landline"),  # Patna: its code starts 06, so its 11 digits read as 0 and a mobile
    ("(0631) 2223456", "landline"),  # Gaya
    ("0612 2234567", "landline"),
    ("011-23456789", "landline"),  # Delhi
    ("9999999999", "junk"),
    ("6666666666", "junk"),
    ("6789012345", "junk"),
    ("7890123456", "junk"),
    ("9876543210", "junk"),  # India's best-known made-up number, typed where the real one is not known
    ("+91 98765 43210", "junk"),
    ("९८७६५४३२१०", "junk"),
    (9876543210.0, "junk"),
    ("8765432109", "junk"),
    ("6543210987", "junk"),
    ("9000000000", "junk"),
    ("9898989898", "junk"),
    ("+91 78787 87878", "junk"),
    (9999999999.0, "junk"),
    # A number cell Excel cut to six digits (9.87654E+09) before the sheet was saved again.
    (9876540000.0, "excel_cut"),
    (9812340000, "excel_cut"),
]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED, ids=[repr(v) for v, _ in ACCEPTED])
def test_it_accepts_the_ways_people_write_a_mobile_number(value, expected):
    assert normalise_mobile(value) == expected


@pytest.mark.parametrize(("value", "code"), REFUSED, ids=[repr(v) for v, _ in REFUSED])
def test_it_refuses_what_is_not_an_indian_mobile_and_says_why(value, code):
    with pytest.raises(InvalidMobile) as refused:
        normalise_mobile(value)
    assert refused.value.code == code
    assert refused.value.message  # a sentence for people, in the active language


def test_invalid_mobile_is_a_value_error():
    assert issubclass(InvalidMobile, ValueError)


# --- properties ---------------------------------------------------------------------------------------

mobiles = st.from_regex(r"[6-9][0-9]{9}", fullmatch=True).filter(lambda m: m not in JUNK)
DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


GROUPINGS = [(10,), (5, 5), (3, 3, 4), (4, 3, 3), (2, 4, 4), (3, 7), (5, 3, 2)]


@st.composite
def written(draw, mobile):
    """A mobile number as a person, a spreadsheet or a phone might write it: grouped, prefixed, padded."""
    prefix = draw(st.sampled_from(["", "+91", "+91 ", "+91-", "91", "91 ", "0", "0 ", "0091", "0091 ", "+९१ "]))
    groups, start = [], 0
    sizes = draw(st.sampled_from(GROUPINGS))
    for size in sizes:
        groups.append(mobile[start : start + size])
        start += size
    separator = draw(st.sampled_from([" ", "-", ".", "\u00a0", "", "  "]))
    # "0" glued to three digits, then the other seven: how a landline is written ("0612-2234567"), refused as
    # one on purpose. A mobile starting with 9 cannot be taken for one: no STD code starts with 9.
    assume(not (prefix == "0" and sizes == (3, 7) and separator and mobile[0] != "9"))
    digits = separator.join(groups)
    if len(groups) > 1 and draw(st.integers(0, 4)) == 0:
        digits = f"({groups[0]}) {separator.join(groups[1:])}"
    if draw(st.booleans()):
        digits = digits.translate(DEVANAGARI)
    padding = draw(st.sampled_from(["", " ", "  ", "\t"]))
    return f"{padding}{prefix}{digits}{padding}"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), mobile=mobiles)
def test_any_written_form_of_a_mobile_comes_back_to_its_ten_digits(data, mobile):
    assert normalise_mobile(data.draw(written(mobile))) == mobile


@settings(max_examples=300, deadline=None)
@given(mobile=mobiles)
def test_numbers_stored_by_excel_as_floats_or_ints_are_accepted(mobile):
    assume(not mobile.endswith("0000"))
    assert normalise_mobile(float(mobile)) == normalise_mobile(int(mobile)) == mobile


@settings(max_examples=100, deadline=None)
@given(mobile=mobiles.map(lambda m: m[:6] + "0000").filter(lambda m: m not in JUNK))
def test_a_number_cell_excel_cut_to_six_digits_is_refused_but_the_same_digits_typed_are_not(mobile):
    for cell in (float(mobile), int(mobile)):
        with pytest.raises(InvalidMobile) as refused:
            normalise_mobile(cell)
        assert refused.value.code == "excel_cut"
    assert normalise_mobile(mobile) == mobile


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.none(), st.from_regex(r"[+0-9 ()-]{0,20}")))
def test_it_is_idempotent_and_only_ever_returns_a_canonical_number_or_refuses(value):
    try:
        result = normalise_mobile(value)
    except InvalidMobile as refused:
        assert refused.message
        return
    assert len(result) == 10 and result.isascii() and result.isdigit() and result[0] in "6789"
    assert result not in JUNK
    assert normalise_mobile(result) == result


@settings(max_examples=300, deadline=None)
@given(mobile=mobiles, wrong=st.integers(0, 14).filter(lambda n: n not in (10, 11, 12, 13, 14)))
def test_a_number_of_the_wrong_length_is_refused(mobile, wrong):
    value = (mobile * 2)[:wrong]
    with pytest.raises(InvalidMobile):
        normalise_mobile(value)
