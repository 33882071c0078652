"""Production settings plus one no-database view, the baseline the console benchmark compares against."""

from controlroom.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
