# Indian digit grouping (1,23,456): three digits, then twos.
NUMBER_GROUPING = (3, 2, 0)
THOUSAND_SEPARATOR = ","
DECIMAL_SEPARATOR = "."
