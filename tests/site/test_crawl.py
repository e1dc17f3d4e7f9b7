"""A crawl of the demo as each of its roles: every page reachable by links answers below 500 and
no link inside the app leads to a 404.

Bounded: one page per URL shape (ids replaced) per role, at most ``PAGES_PER_ROLE`` pages, and
each PDF shape fetched once in all (rendering PDFs is the slow part).
"""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.management import call_command

from chaperone.people.models import StaffMember
from chaperone.site.demo import demo_delete, demo_load, demo_logins
from tests.conftest import verified_client

PAGES_PER_ROLE = 80
NOT_FOLLOWED = re.compile(r"^/(accounts/logout/|static/|media/)")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _links(base: str, html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        url = urlsplit(urldefrag(urljoin(f"http://testserver{base}", href))[0])
        if url.scheme in ("http", "https") and url.netloc == "testserver":
            out.append(url.path + (f"?{url.query}" if url.query else ""))
    return out


def _shape(path: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", path)
    return re.sub(r"/\d+(?=/|$)", "/<id>", path.split("?")[0])


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        demo_load(reset=True)
    yield
    with django_db_blocker.unblock():
        demo_delete()
        # audit rows are append-only: empty the database the way Django does between tests
        call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_every_role_reaches_every_page_without_errors_or_broken_links(demo) -> None:  # type: ignore[no-untyped-def]
    one_per_role = {x.role: x.username for x in demo_logins()}
    assert len(one_per_role) >= 14
    problems: list[str] = []
    pdf_shapes: set[str] = set()
    for role, username in sorted(one_per_role.items()):
        client = verified_client(StaffMember.objects.get(user__username=username))
        queue: deque[tuple[str, str]] = deque([("/", "(start)")])
        seen: set[str] = set()
        shapes: set[str] = set()
        while queue and len(shapes) < PAGES_PER_ROLE:
            path, linked_from = queue.popleft()
            shape = _shape(path)
            if path in seen or shape in shapes or (shape.endswith(".pdf") and shape in pdf_shapes):
                continue
            seen.add(path)
            shapes.add(shape)
            response = client.get(path)
            if response.status_code >= 500 or response.status_code == 404:
                problems.append(f"{role}: {path} answered {response.status_code} ({linked_from})")
                continue
            content_type = response.headers.get("Content-Type", "")
            if shape.endswith(".pdf") or "pdf" in content_type:
                pdf_shapes.add(shape)
            if response.status_code != 200 or "text/html" not in content_type:
                continue
            for link in _links(path, response.content.decode()):
                if not NOT_FOLLOWED.match(link) and link not in seen:
                    queue.append((link, path))
        assert len(shapes) > 5, f"{role} ({username}) reached only {sorted(shapes)}"
    assert problems == []
