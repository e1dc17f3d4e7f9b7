"""Documents: the staff and parent versions, PDFs, history with diffs, the template library."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from chaperone import rules
from chaperone.protocols.demo import primary_overlay_source, template_source
from chaperone.tenancy.roles import Role
from tests.factories import make_staff
from tests.protocols.factories import bump, school_overlay_version, trust_version

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text).replace("’", "'")


@pytest.mark.parametrize("template_id", rules.template_ids())
@pytest.mark.parametrize("audience", ["staff", "parent"])
def test_pdf_of_each_shipped_protocol(tenant_a, login_as, template_id, audience) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.get(reverse("protocols:template_pdf", args=[template_id, audience]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    protocol = rules.load_template(template_id)
    assert f"{template_id}-{protocol.version}-{audience}.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert protocol.title in text
    # the version is for staff; families get the date it applies from
    assert (f"Version {protocol.version}" in text) == (audience == "staff")
    assert "In force from" in text


def test_school_pdf_marks_what_the_school_added(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.get(reverse("protocols:school_pdf", args=[tenant_a.school.pk, "staff"]))
    assert response.status_code == 200
    assert 'filename="alpha-primary-additions-2026.1-staff.pdf"' in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "Alpha Primary: remote contact with pupils" in text
    assert "trust version 2026.1 with school additions 2026.1" in text
    assert "added by the school" in text
    parent = client.get(reverse("protocols:school_pdf", args=[tenant_a.school.pk, "parent"]))
    assert "a guide for parents" in pdf_text(parent.content)
    assert (
        client.get(reverse("protocols:school_pdf", args=[tenant_a.school.pk, "pupil"])).status_code
        == 404
    )


def test_staff_page_marks_origin_and_links(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    body = (
        login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:current")).content.decode()
    )
    assert "From the trust" in body and "Added by the school" in body
    assert "Every video call opens with a lobby" in body  # the school's rule
    assert "Sessions are hosted from school accounts" in body  # the trust's rule
    assert "Review by" in body and "1 September 2027" in body
    for name in ("protocols:parent", "protocols:history"):
        assert reverse(name) in body
    assert reverse("protocols:school_pdf", args=[tenant_a.school.pk, "parent"]) in body


def test_other_school_of_the_trust_sees_only_the_trust_rules(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    body = (
        login_as(tenant_a.other_school, Role.TEACHER)
        .get(reverse("protocols:current"))
        .content.decode()
    )
    assert "NPAT: one-to-one online sessions with pupils" in body
    assert "Every video call opens with a lobby" not in body


def test_parent_version_is_short_and_plain(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:parent"))
    body = response.content.decode()
    assert "a guide for parents" in body
    assert "Raising a concern" in body
    assert "RISK_ASSESSMENT_REQUIRED" not in body


def test_history_shows_rule_level_diffs(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    text = primary_overlay_source(tenant_a.school)
    text = bump(text, "2026.2").replace(
        '[[rules]]\nid = "private-link"', '[[rules]]\nid = "private-link-v2"', 1
    )
    school_overlay_version(tenant_a.school, text=text)
    trust_version(tenant_a.trust, text=bump(template_source("npat-one-to-one"), "2026.2"))
    body = (
        login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:history")).content.decode()
    )
    assert "+ rule private-link-v2" in body and "− rule private-link" in body
    assert "~ version: 2026.1 → 2026.2" in body
    assert body.index("Protocol of Alpha Learning Trust") < body.index("Additions by Alpha Primary")


def test_version_source_is_the_uploaded_file(tenant_a, npat, login_as) -> None:  # type: ignore[no-untyped-def]
    response = login_as(tenant_a.school, Role.TEACHER).get(
        reverse("protocols:version_source", args=[npat.pk])
    )
    assert response.content.decode() == template_source("npat-one-to-one")


def test_template_library_lists_the_shipped_templates(tenant_a, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    body = client.get(reverse("protocols:template_list")).content.decode()
    for template_id in (
        "werrington-primary",
        "habs-monmouth",
        "npat-one-to-one",
        "chaperone-recommended",
    ):
        assert reverse("protocols:template_detail", args=[template_id]) in body
    detail = client.get(
        reverse("protocols:template_detail", args=["werrington-primary"]), {"for": "parent"}
    )
    assert "a guide for parents" in detail.content.decode()
    assert client.get(reverse("protocols:template_detail", args=["nope"])).status_code == 404


def test_overlay_out_of_step_with_a_new_trust_version_is_flagged(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    # The trust's new version defines a rule id the school's additions also use.
    text = bump(template_source("npat-one-to-one"), "2026.2").replace(
        'id = "session-log"', 'id = "clothing"', 1
    )
    newer = trust_version(tenant_a.trust, text=text)
    response = login_as(tenant_a.school, Role.TEACHER).get(reverse("protocols:current"))
    effective = response.context["effective"]
    assert effective.overlay_problems and "rule 'clothing'" in effective.overlay_problems[0]
    assert effective.out_of_step and effective.trust_version.pk == newer.pk
    assert [a.key for a in effective.fit.no_longer_fit] == ["clothing"]
    assert "out of step with the trust" in response.content.decode()


def test_parent_guide_names_platforms_dsl_and_how_to_reach_the_school(
    tenant_a, overlay, login_as
) -> None:  # type: ignore[no-untyped-def]
    """Newcomer review 3(b): the guide named neither the platforms nor the DSL."""
    school = tenant_a.school
    school.phone, school.email = "01632 960 100", "office@alpha.example"
    school.save()
    dsl = make_staff(
        school, Role.DSL, first_name="Emma", last_name="Taylor", email="et@alpha.example"
    )
    client = login_as(school, Role.TEACHER)
    body = client.get(reverse("protocols:parent")).content.decode()
    assert "Microsoft Teams, Zoom" in body and "Google Meet" not in body.split("How to reach us")[1]
    assert f'{dsl.full_name}, <a href="mailto:et@alpha.example">' in body
    assert "01632 960 100" in body and "office@alpha.example" in body
    assert "Version 2026.1" not in body and "trust version" not in body
    pdf = pdf_text(client.get(reverse("protocols:school_pdf", args=[school.pk, "parent"])).content)
    assert "Emma Taylor, et@alpha.example" in pdf and "01632 960 100" in pdf
    assert "trust version" not in pdf and "2026.1" not in pdf


def test_staff_documents_keep_finding_codes_out_of_the_body(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    client = login_as(tenant_a.school, Role.TEACHER)
    body = client.get(reverse("protocols:current")).content.decode()
    main, _, appendix = body.partition("Appendix: the codes behind each rule")
    assert "BEDROOM_LOCATION" not in main and "BEDROOM_LOCATION" in appendix
    assert "Finding codes" not in body
    pdf = pdf_text(
        client.get(reverse("protocols:school_pdf", args=[tenant_a.school.pk, "staff"])).content
    )
    before, _, after = pdf.partition("Appendix: the codes behind each rule")
    assert "BEDROOM_LOCATION" not in before and "BEDROOM_LOCATION" in after


def test_pdf_badge_sits_beside_its_item(tenant_a, overlay, login_as) -> None:  # type: ignore[no-untyped-def]
    """Newcomer review 3(b): in the checklist each T/S badge sat alone on a line."""
    client = login_as(tenant_a.school, Role.TEACHER)
    response = client.get(reverse("protocols:school_pdf", args=[tenant_a.school.pk, "staff"]))
    lines = []
    for page in PdfReader(io.BytesIO(response.content)).pages:
        lines += [line.strip() for line in page.extract_text().splitlines()]
    assert not [line for line in lines if line in {"T", "S", "S+"}]
    assert any(line.startswith("S Cameras and microphones off") for line in lines), lines


def test_standalone_school_is_not_labelled_trust_version(tenant_b, login_as) -> None:  # type: ignore[no-untyped-def]
    trust_version(tenant_b.trust, "habs-monmouth")
    body = login_as(tenant_b.school, Role.TEACHER).get(reverse("protocols:current")).content
    text = body.decode()
    assert "Trust version" not in text and "Version 2026.1" in text
    assert "Added by the school" not in text  # no additions, so no such mark in the legend
