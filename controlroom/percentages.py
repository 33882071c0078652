"""Percentages as people round them: a half goes up (87.5 → 88), on the pages and in the downloads alike.
Python's round() sends a half to the even number (62.5 → 62), so one page's 88% stood beside another's 62%."""

from decimal import ROUND_HALF_UP, Decimal


def percentage(share: float, places: int = 0) -> Decimal:
    """A share (0 to 1) as a percentage rounded half up to `places` decimals. A share of two counts is exact
    only to floating point (0.285 * 100 is 28.499999999999996): rounded to 9 places first, it is 28.5 again."""
    exact = Decimal(repr(round(100 * share, 9)))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
