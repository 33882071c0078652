"""A small browser for a served site: a cookie jar, form posts with the CSRF token, no redirects followed."""

import http.client
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Page:
    status: int
    headers: dict
    text: str

    def field(self, name: str) -> str | None:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.text)
        return found.group(1) if found else None


class Browser:
    """One person's browser: every request on a new connection, as gunicorn's sync workers close each one."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def get(self, path: str) -> Page:
        return self._request("GET", path)

    def post(self, path: str, data: dict) -> Page:
        return self._request("POST", path, urlencode(data).encode())

    def _request(self, method: str, path: str, body: bytes | None = None) -> Page:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Page(response.status, {k.lower(): v for k, v in response.headers.items()}, text)

    def log_in(self, username: str, password: str) -> None:
        form = self.get("/login/")
        token = CSRF_FIELD.search(form.text).group(1)
        page = self.post("/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token})
        assert page.status == 302, f"login as {username} failed: {page.status}\n{page.text[:500]}"
