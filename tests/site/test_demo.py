"""`chaperone demo`: the loaded demo in a real database, its logins, codes and reset.

The demo is loaded once for this module (committed, then deleted at the end); each test runs in its
own transaction on top of it, so a test that resets or deletes the demo leaves it for the next.
"""

from __future__ import annotations

import io
import re

import phonenumbers
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from chaperone.people.actors import actor_for_user
from chaperone.people.models import (
    Contact,
    Household,
    Pupil,
    StaffAssignment,
    StaffMember,
    User,
)
from chaperone.people.upn import upn_problem
from chaperone.site.demo import (
    DEMO_PASSWORD,
    DemoError,
    demo_code,
    demo_delete,
    demo_is_loaded,
    demo_load,
    demo_totp_key,
)
from chaperone.site.demo.generate import LOGIN_ROLES, TRUST_ADMIN_USERNAME, TRUSTS, USERNAME_STEMS
from chaperone.tenancy.models import School, Trust
from chaperone.tenancy.policies import TWO_FACTOR_ROLES
from chaperone.tenancy.roles import Role
from tests.factories import SchoolFactory, TrustFactory, make_staff

E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        summary = demo_load(reset=True)
    yield summary
    with django_db_blocker.unblock():
        demo_delete()
        # The demo's protocol uploads are audited, and audit rows are append-only: empty the
        # database the way Django does between transactional tests, so later tests start clean.
        call_command("flush", interactive=False, verbosity=0)


def _school(key: str) -> School:
    urn = next(s.urn for t in TRUSTS for s in t.schools if s.key == key)
    return School.objects.get(urn=urn)


def _pupil_rows() -> list[tuple[str, str, str, str]]:
    return [
        (p.upn, p.first_name, p.last_name, p.date_of_birth.isoformat())
        for p in Pupil.objects.filter(school__trust__slug__startswith="demo-").order_by("pk")
    ]


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_counts_meet_the_minimums(demo) -> None:  # type: ignore[no-untyped-def]
    assert demo.pupils >= 600 and demo.households >= 400 and demo.staff >= 60
    assert Pupil.objects.filter(school__trust__slug__startswith="demo-").count() == demo.pupils
    assert Household.objects.filter(trust__slug__startswith="demo-").count() == demo.households
    assert StaffMember.objects.filter(trust__slug__startswith="demo-").count() == demo.staff
    assert sum(s.pupils for s in demo.schools) == demo.pupils
    assert [s.school for s in demo.schools] == [
        "Fernhollow Primary Academy",
        "Northgate Vale Academy",
        "Quillbrook College",
    ]


@pytest.mark.django_db
def test_reset_reloads_identical_pupils(demo) -> None:  # type: ignore[no-untyped-def]
    before = _pupil_rows()
    first = _run("load", "--reset")
    after_one = _pupil_rows()
    _run("load", "--reset")
    assert before == after_one == _pupil_rows()
    assert "Fernhollow Primary Academy" in first and "head.primary" in first
    assert DEMO_PASSWORD in first


@pytest.mark.django_db
def test_load_refuses_when_already_loaded(demo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match=r"already loaded.*--reset"):
        _run("load")


@pytest.mark.django_db
def test_upns_valid_and_phones_e164(demo) -> None:  # type: ignore[no-untyped-def]
    upns = Pupil.objects.filter(school__trust__slug__startswith="demo-").values_list(
        "upn", flat=True
    )
    assert [u for u in upns if upn_problem(u)] == []
    phones = list(
        Contact.objects.filter(household__trust__slug__startswith="demo-").values_list(
            "phone", flat=True
        )
    ) + list(
        StaffMember.objects.filter(trust__slug__startswith="demo-")
        .exclude(phone="")
        .values_list("phone", flat=True)
    )
    assert len(phones) > 800
    for phone in phones:
        assert E164.match(phone), phone
        parsed = phonenumbers.parse(phone)
        assert phonenumbers.is_possible_number(parsed), phone
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone


@pytest.mark.django_db
def test_siblings_span_the_trusts_primary_and_secondary(demo) -> None:  # type: ignore[no-untyped-def]
    primary, secondary = _school("primary"), _school("secondary")
    spanning = Household.objects.filter(pupils__school=primary).filter(pupils__school=secondary)
    assert spanning.distinct().count() >= 10
    multi = (
        Household.objects.filter(trust__slug__startswith="demo-")
        .annotate(n=Count("pupils"))
        .filter(n__gte=2)
    )
    assert multi.count() >= 100


@pytest.mark.django_db
def test_independent_school_is_a_tenant_of_its_own(demo) -> None:  # type: ignore[no-untyped-def]
    independent, primary = _school("independent"), _school("primary")
    assert independent.trust.is_standalone
    assert independent.trust != primary.trust
    assert list(independent.trust.schools.all()) == [independent]
    assert set(primary.trust.schools.values_list("pk", flat=True)) == {
        primary.pk,
        _school("secondary").pk,
    }
    # no family, contact or staff member crosses between the two tenants
    assert (
        not Pupil.objects.filter(school=independent)
        .exclude(household__trust=independent.trust)
        .exists()
    )
    assert (
        not StaffAssignment.objects.filter(school=independent)
        .exclude(staff__trust=independent.trust)
        .exists()
    )
    trust_admin = actor_for_user(User.objects.get(username=TRUST_ADMIN_USERNAME))
    assert trust_admin.visible_school_ids == {primary.pk, _school("secondary").pk}


@pytest.mark.django_db
def test_every_role_has_a_login_in_each_school(demo) -> None:  # type: ignore[no-untyped-def]
    for key, roles in LOGIN_ROLES.items():
        school = _school(key)
        for role in roles:
            user = User.objects.get(username=f"{USERNAME_STEMS[role]}.{key}")
            assert StaffAssignment.objects.filter(
                staff__user=user, school=school, role=role
            ).exists()
    assert Role.HEAD_OF_YEAR in LOGIN_ROLES["secondary"]
    assert Role.HOUSEMASTER in LOGIN_ROLES["independent"]
    admin = User.objects.get(username=TRUST_ADMIN_USERNAME)
    assert StaffAssignment.objects.filter(staff__user=admin, role=Role.TRUST_ADMIN).exists()
    held = set(
        StaffAssignment.objects.filter(staff__trust__slug__startswith="demo-").values_list(
            "role", flat=True
        )
    )
    assert held == set(Role)


@pytest.mark.django_db
def test_logins_share_one_password_hash(demo) -> None:  # type: ignore[no-untyped-def]
    validate_password(DEMO_PASSWORD)
    users = list(User.objects.filter(staff__trust__slug__startswith="demo-"))
    assert len(users) == len(demo.logins) >= 36
    assert len({u.password for u in users}) == 1
    assert users[0].check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_two_factor_roles_have_a_confirmed_device_and_code_works(demo) -> None:  # type: ignore[no-untyped-def]
    for login in demo.logins:
        devices = TOTPDevice.objects.filter(user__username=login.username, confirmed=True)
        assert devices.count() == (1 if login.needs_two_factor else 0), login.username
    device = TOTPDevice.objects.get(user__username="dsl.primary")
    assert device.key == demo_totp_key(seed=2026, username="dsl.primary")
    code = _run("code", "dsl.primary").strip()
    assert re.fullmatch(r"\d{6}", code)
    assert device.verify_token(code)


@pytest.mark.django_db
def test_demo_dsl_signs_in_with_password_and_code(demo) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        reverse("login"), {"username": "dsl.secondary", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    gate = client.get(reverse("dashboard"))
    assert gate.status_code == 302 and gate["Location"].startswith(reverse("two_factor_verify"))
    client.post(reverse("two_factor_verify"), {"token": demo_code(username="dsl.secondary")})
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert "Northgate Vale Academy" in page.content.decode()


@pytest.mark.django_db
def test_code_refused_for_other_accounts(demo, tenant_a) -> None:  # type: ignore[no-untyped-def]
    outsider = make_staff(tenant_a.school, Role.DSL)
    TOTPDevice.objects.create(user=outsider.user, name="Demo authenticator", confirmed=True)
    with pytest.raises(CommandError, match="not a demo login"):
        _run("code", outsider.user.username)
    with pytest.raises(CommandError, match="not a demo login"):
        _run("code", "no.such.user")
    with pytest.raises(CommandError, match="does not need a code"):
        _run("code", "teacher.primary")


@pytest.mark.django_db
def test_logins_command_lists_every_login(demo) -> None:  # type: ignore[no-untyped-def]
    out = _run("logins")
    for login in demo.logins:
        line = next(x for x in out.splitlines() if x.startswith(login.username + " "))
        assert ("yes" in line.split()) == (login.needs_two_factor)
        if login.needs_two_factor:
            assert f"chaperone demo code {login.username}" in line
    two_factor = {x.username for x in demo.logins if x.needs_two_factor}
    assert "trustadmin" in two_factor and "head.independent" in two_factor
    assert "teacher.secondary" not in two_factor
    assert DEMO_PASSWORD in out
    roles_by_login = {
        u: set(
            StaffAssignment.objects.filter(staff__user__username=u).values_list("role", flat=True)
        )
        for u in two_factor
    }
    assert all(roles & TWO_FACTOR_ROLES for roles in roles_by_login.values())


@pytest.mark.django_db
def test_reset_and_delete_leave_other_tenants_alone(demo, tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    others = (
        Trust.objects.exclude(slug__startswith="demo-").count(),
        Pupil.objects.filter(school__trust__in=[tenant_a.trust, tenant_b.trust]).count(),
    )
    demo_load(reset=True)
    demo_delete()
    assert not demo_is_loaded()
    assert not User.objects.filter(username="head.primary").exists()
    assert not TOTPDevice.objects.filter(name="Demo authenticator").exists()
    assert others == (
        Trust.objects.exclude(slug__startswith="demo-").count(),
        Pupil.objects.filter(school__trust__in=[tenant_a.trust, tenant_b.trust]).count(),
    )
    with pytest.raises(CommandError, match="not loaded"):
        _run("logins")


@pytest.mark.django_db
def test_load_refuses_clashes_with_real_data(demo) -> None:  # type: ignore[no-untyped-def]
    demo_delete()
    school = SchoolFactory(trust=TrustFactory(), urn="990101", name="A Real School")
    with pytest.raises(DemoError, match=r"990101 \(A Real School\)"):
        demo_load()
    school.delete()
    User.objects.create_user("head.primary", password="not the demo one")
    with pytest.raises(DemoError, match=r"head\.primary"):
        demo_load()
    assert not demo_is_loaded()


@pytest.mark.django_db
def test_load_refuses_production_settings(demo, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SETTINGS_MODULE = "chaperone.config.settings.production"
    with pytest.raises(DemoError, match="production"):
        demo_load(reset=True)
    assert demo_is_loaded()


@pytest.mark.django_db
def test_protocol_pages_fill_every_placeholder(demo) -> None:  # type: ignore[no-untyped-def]
    """The demo's protocols write their numbers and lists as placeholders: every page and PDF a
    teacher opens shows them filled."""
    from chaperone.protocols.models import ProtocolVersion
    from tests.protocols.test_documents import pdf_text

    placeholder = re.compile(r"\{[a-z_]+(?::[a-z0-9_-]+)?\}")
    for key in LOGIN_ROLES:
        school = _school(key)
        client = Client()
        client.force_login(User.objects.get(username=f"{USERNAME_STEMS[Role.TEACHER]}.{key}"))
        urls = [reverse(n) for n in ("protocols:current", "protocols:parent", "protocols:history")]
        versions = ProtocolVersion.objects.filter(
            Q(protocol__owner_school=school) | Q(protocol__owner_trust=school.trust)
        )
        urls += [reverse("protocols:version_detail", args=[v.pk]) for v in versions]
        pages = {url: client.get(url) for url in urls}
        for audience in ("staff", "parent"):
            url = reverse("protocols:school_pdf", args=[school.pk, audience])
            pages[url] = client.get(url)
        assert len(pages) >= 6, key
        for url, response in pages.items():
            assert response.status_code == 200, (key, url)
            text = (
                pdf_text(response.content)
                if response["Content-Type"] == "application/pdf"
                else response.content.decode()
            )
            assert not placeholder.findall(text), (key, url, placeholder.findall(text))
