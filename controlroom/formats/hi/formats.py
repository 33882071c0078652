from controlroom.formats.indian import *  # noqa: F403
