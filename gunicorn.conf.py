"""Gunicorn reads this file from the working directory: its own logs mask mobile numbers too.

The access log prints every request line, query string included (an admin search by number ends up there), so
its handlers get the same filter as the application's root handler.
"""

from gunicorn.glogging import Logger

from controlroom.logging import MaskMobiles


class MaskedLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, MaskMobiles) for f in handler.filters):
                    handler.addFilter(MaskMobiles())


logger_class = MaskedLogger

# A district's whole member list is built as XLSX in the request: about 11 s a lakh of members, so 20 s and more
# for the largest district a state has on a busy server. Gunicorn's default of 30 s killed that worker
# mid-download (it took 36 s before the export was written row by row); 120 s leaves room.
timeout = 120
