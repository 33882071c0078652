"""The formats both languages share: the numbers and dates of an Indian office, in Hindi or in English."""

# Indian digit grouping (1,23,456): three digits, then twos.
NUMBER_GROUPING = (3, 2, 0)
THOUSAND_SEPARATOR = ","
DECIMAL_SEPARATOR = "."
# Day first and a 24-hour clock, the same everywhere: "30 Nov 2026, 20:31", and calling hours "09:00–21:00".
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "d-m-Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
