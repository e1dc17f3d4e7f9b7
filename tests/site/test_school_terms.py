"""The headteacher sets the school's term dates; bad dates name the field and save nothing;
another school's term is never found; each change is audited."""

from __future__ import annotations

from datetime import date

from django.test import Client
from django.urls import reverse

from chaperone.audit.models import AuditEvent
from chaperone.tenancy.models import SchoolTerm
from chaperone.tenancy.roles import Role
from chaperone.tenancy.schools import term_of, usual_term
from tests.conftest import verified_client
from tests.factories import make_staff


def _head(tenant) -> Client:  # type: ignore[no-untyped-def]
    return verified_client(make_staff(tenant.school, Role.HEADTEACHER))


def test_a_head_sets_and_takes_away_a_term(tenant_a) -> None:  # type: ignore[no-untyped-def]
    client = _head(tenant_a)
    url = reverse("school_terms")
    page = client.get(url).content.decode()
    assert "No term dates set yet." in page
    saved = client.post(
        url, {"name": "Spring term 2027", "starts_on": "4/1/2027", "ends_on": "26/3/2027"}
    )
    assert saved.status_code == 302
    term = SchoolTerm.objects.get(school=tenant_a.school)
    assert (term.starts_on, term.ends_on) == (date(2027, 1, 4), date(2027, 3, 26))
    assert term_of(date(2027, 2, 1), school_id=tenant_a.school.pk).label == "Spring term 2027"
    # a day outside it: the usual term stands in
    assert term_of(date(2027, 5, 1), school_id=tenant_a.school.pk) == usual_term(date(2027, 5, 1))
    assert AuditEvent.objects.filter(action="school.term_added").count() == 1
    assert "Spring term 2027" in client.get(url).content.decode()
    client.post(url, {"remove": str(term.pk)})
    assert not SchoolTerm.objects.exists()
    assert AuditEvent.objects.filter(action="school.term_removed").count() == 1


def test_bad_dates_name_the_field_and_save_nothing(tenant_a) -> None:  # type: ignore[no-untyped-def]
    client = _head(tenant_a)
    url = reverse("school_terms")
    SchoolTerm.objects.create(
        school=tenant_a.school,
        name="Autumn 2026",
        starts_on=date(2026, 9, 2),
        ends_on=date(2026, 12, 18),
    )
    cases = [
        (
            {"name": "", "starts_on": "4/1/2027", "ends_on": "26/3/2027"},
            "Term: give the term a name",
        ),
        (
            {"name": "X", "starts_on": "31/2/2027", "ends_on": "26/3/2027"},
            "First day: enter a date",
        ),
        (
            {"name": "X", "starts_on": "26/3/2027", "ends_on": "4/1/2027"},
            "Last day: choose a day on or after",
        ),
        (
            {"name": "X", "starts_on": "4/1/2027", "ends_on": "4/1/2028"},
            "Last day: a term lasts at most",
        ),
        ({"name": "X", "starts_on": "1/12/2026", "ends_on": "26/3/2027"}, "overlap Autumn 2026"),
    ]
    for data, message in cases:
        response = client.post(url, data)
        assert response.status_code == 400, data
        body = response.content.decode()
        assert message in body, (data, body[:2000])
        if data["name"]:
            assert f'value="{data["name"]}"' in body  # what was typed is kept
    assert SchoolTerm.objects.count() == 1


def test_another_schools_term_is_never_taken_away(tenant_a, tenant_b) -> None:  # type: ignore[no-untyped-def]
    theirs = SchoolTerm.objects.create(
        school=tenant_b.school, name="Theirs", starts_on=date(2027, 1, 4), ends_on=date(2027, 3, 26)
    )
    client = _head(tenant_a)
    assert client.post(reverse("school_terms"), {"remove": str(theirs.pk)}).status_code == 302
    assert client.post(reverse("school_terms"), {"remove": "not-a-number"}).status_code == 302
    assert SchoolTerm.objects.filter(pk=theirs.pk).exists()
    assert "Theirs" not in client.get(reverse("school_terms")).content.decode()


def test_only_those_who_keep_the_school_details_set_terms(tenant_a) -> None:  # type: ignore[no-untyped-def]
    teacher = Client()
    teacher.force_login(make_staff(tenant_a.school, Role.TEACHER).user)
    assert teacher.get(reverse("school_terms")).status_code == 403
    refused = teacher.post(
        reverse("school_terms"), {"name": "X", "starts_on": "4/1/2027", "ends_on": "26/3/2027"}
    )
    assert refused.status_code == 403 and not SchoolTerm.objects.exists()
