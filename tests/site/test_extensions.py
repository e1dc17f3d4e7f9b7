"""Apps join the navigation, the dashboard and the demo by declaring entries (core.extensions)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from chaperone.concerns import demo as concerns_demo
from chaperone.core.extensions import DashboardCard, DemoData, NavItem, declared
from chaperone.protocols import demo as protocols_demo
from chaperone.scheduling import demo as scheduling_demo
from chaperone.tenancy.roles import Role
from chaperone.welfare import demo as welfare_demo

pytestmark = pytest.mark.django_db


def _nav(body: bytes) -> list[str]:
    nav = body.decode().split('<nav class="app-nav"')[1].split("</nav>")[0]
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav)


def test_each_app_declares_its_own_entries() -> None:
    labels = {item.label: item for item in declared("nav", "NAV", NavItem)}
    assert labels["Audit log"].action == "audit.view"
    assert labels["Protocol"].is_current("protocols:history")
    cards = [c.template for c in declared("dashboard", "CARDS", DashboardCard)]
    assert "people/_dashboard_figures.html" in cards
    assert declared("demo", "DEMO", DemoData) == [
        protocols_demo.DEMO,
        concerns_demo.DEMO,
        scheduling_demo.DEMO,
        welfare_demo.DEMO,
    ]


def test_the_navigation_shows_what_the_policy_allows_in_order(tenant_a, login_as) -> None:
    teacher = login_as(tenant_a.school, Role.TEACHER).get(reverse("dashboard")).content
    assert _nav(teacher) == [
        "Dashboard",
        "Pupils",
        "Staff",
        "Sessions",
        "My recordings",
        "Protocol",
        "Welfare calls",
    ]
    head = login_as(tenant_a.school, Role.HEADTEACHER).get(reverse("dashboard")).content
    assert _nav(head) == [
        "Dashboard",
        "Concerns about staff",
        "Pupils",
        "Staff",
        "Sessions",
        "Timetable",
        "Register",
        "My recordings",
        "Recordings",
        "Retention",
        "Protocol",
        "Welfare calls",
        "Welfare rota",
        "Import",
        "Audit log",
        "Roles to confirm",
        "School details",
    ]


def test_the_current_page_is_marked(tenant_a, login_as) -> None:
    body = login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:history")).content
    nav = body.decode().split('<nav class="app-nav"')[1].split("</nav>")[0]
    assert re.findall(r'<a href="[^"]+" aria-current="page">(\w+)</a>', nav) == ["Protocol"]


def test_dashboard_cards_render_in_their_order(tenant_a, login_as) -> None:
    body = login_as(tenant_a.school, Role.TEACHER).get(reverse("dashboard")).content.decode()
    reminder = body.index("code of conduct")
    figures = body.index('data-testid="count-pupils"')
    assert reminder < figures
    assert "You have no school role yet" not in body
