"""Load that keeps running while a fault is injected: operators calling through the services, the periodic
triggers sent to a worker through a broker, and people using the served site through their browsers."""

import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection

from calls import services
from calls.models import Outcome
from tests.faults.browser import Browser, Page

# Each outcome takes the member off the floor for the rest of the test (a retry waits for hours).
OUTCOMES = [Outcome.YES, Outcome.NO, Outcome.WRONG_NUMBER, Outcome.NO_ANSWER]


class Threads:
    """Workers that run until `stop()`, each on its own database connection; their errors fail the test."""

    def __init__(self):
        self.stopping = threading.Event()
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def start(self, target, *args) -> None:
        def run():
            try:
                target(*args)
            except Exception as exc:  # noqa: BLE001 - reported by stop()
                self.errors.append(exc)
            finally:
                connection.close()

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        thread.start()

    def stop(self, timeout: float = 60) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
        assert not any(thread.is_alive() for thread in self._threads), "a load thread did not stop"
        assert not self.errors, self.errors

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        """Stop the threads even when the test failed, before its servers and database go away."""
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)


class Floor(Threads):
    """Operators at work through the services: take the next member, record an outcome, sometimes twice."""

    def __init__(self):
        super().__init__()
        self.seen = defaultdict(set)  # member id -> operators who were shown that member
        self.accepted = defaultdict(list)  # member id -> attempts an operator saw saved

    def call(self, operator, rng) -> None:
        services.shift_start(operator=operator)
        while not self.stopping.is_set():
            _, member = services.console_next_member(operator=operator)
            if member is None:
                time.sleep(0.05)
                continue
            self.seen[member.pk].add(operator.pk)
            request = services.MarkRequest(member.pk, rng.choice(OUTCOMES), submission_key=uuid.uuid4())
            attempt = services.call_record_outcome(operator=operator, request=request)
            self.accepted[member.pk].append(attempt.pk)
            if rng.random() < 0.1:  # a form sent twice
                assert services.call_record_outcome(operator=operator, request=request).pk == attempt.pk
            time.sleep(0.025)


class Triggers(Threads):
    """What beat and the console send a worker: builds for everyone and top-ups for one operator, non-stop."""

    def __init__(self, broker, operator_ids):
        super().__init__()
        self.broker, self.operator_ids = broker, operator_ids
        self.sent, self.refused = [], []  # times of sends the broker took, and of those it could not take

    def send(self) -> None:
        turn = 0
        while not self.stopping.is_set():
            try:
                if turn % 2:
                    operator_id = self.operator_ids[turn // 2 % len(self.operator_ids)]
                    self.broker.send_task("calls.tasks.batch_top_up", args=[operator_id])
                else:
                    self.broker.send_task("calls.tasks.batch_build_all")
                self.sent.append(time.monotonic())
            except Exception:  # noqa: BLE001 - the broker is down: the trigger is lost, as it would be for beat
                self.refused.append(time.monotonic())
            turn += 1
            time.sleep(0.05)


@dataclass
class Seen:
    """One response as a browser got it, with when the request went out and when the answer came back."""

    who: str
    path: str
    sent: float
    answered: float
    page: Page = field(repr=False)

    @property
    def status(self) -> int:
        return self.page.status


class Visitors(Threads):
    """People using the served site: some reading a page over and over, an operator recording outcomes."""

    def __init__(self):
        super().__init__()
        self.seen: list[Seen] = []
        self.accepted_keys: list[str] = []

    def back_since(self, moment: float) -> set[str]:
        """Who got a page other than the 503 for a request sent after `moment`; a failed browser fails the test."""
        assert not self.errors, self.summary()
        return {seen.who for seen in self.seen if seen.sent > moment and seen.status != 503}

    def back_in(self, moment: float) -> float:
        """Seconds from `moment` until the last browser got a page other than the 503."""
        firsts = {}
        for seen in self.seen:
            if seen.sent > moment and seen.status != 503:
                firsts[seen.who] = min(firsts.get(seen.who, seen.answered), seen.answered)
        return max(firsts.values()) - moment

    def summary(self) -> str:
        statuses = Counter((seen.who, seen.status) for seen in self.seen)
        return f"responses {dict(statuses)}; errors {self.errors}"

    def _fetch(self, who: str, browser: Browser, method: str, path: str, data=None) -> Page:
        sent = time.monotonic()
        page = browser.post(path, data) if method == "POST" else browser.get(path)
        self.seen.append(Seen(who, path, sent, time.monotonic(), page))
        return page

    def read(self, who: str, browser: Browser, path: str) -> None:
        while not self.stopping.is_set():
            self._fetch(who, browser, "GET", path)
            time.sleep(0.05)

    def call(self, who: str, browser: Browser) -> None:
        """The console as an operator uses it: open it, save an outcome, resend the same form until it is saved."""
        while not self.stopping.is_set():
            page = self._fetch(who, browser, "GET", "/calls/console/")
            key = page.field("submission_key") if page.status == 200 else None
            if key is None:
                time.sleep(0.05)
                continue
            form = {
                "member": page.field("member"),
                "submission_key": key,
                "outcome": Outcome.YES,
                "csrfmiddlewaretoken": page.field("csrfmiddlewaretoken"),
            }
            deadline = time.monotonic() + 60
            while (saved := self._fetch(who, browser, "POST", "/calls/console/mark/", form)).status == 503:
                assert time.monotonic() < deadline, "the outcome was never saved"
                time.sleep(0.1)
            assert saved.status == 302, f"saving an outcome answered {saved.status}:\n{saved.text[:500]}"
            self.accepted_keys.append(key)
