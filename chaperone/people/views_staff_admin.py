"""Staff administration: a person's roles at the school, and their login (invite, deactivate,
reactivate, reset the second factor, unlock). Headteachers and trust administrators only, with
the second factor verified this session; another school's staff member is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chaperone.core.http import ChaperoneRequest
from chaperone.people import grants, logins, selectors
from chaperone.people import services as people_services
from chaperone.people.forms import LineManagerForm, RoleGrantForm, StaffEmailForm
from chaperone.people.models import StaffMember
from chaperone.tenancy.models import School
from chaperone.tenancy.schools import active_school

NOT_EMAILED = "The change is saved, but the email about it could not be sent."
WHO_CONFIRMS = (
    "another headteacher or trust administrator confirms it (where there is neither, "
    "the school's designated safeguarding lead)"
)


def _told(request: ChaperoneRequest, done: str, *, emailed: bool) -> None:
    """The success message of a change, and a warning if its email could not be sent."""
    messages.success(request, done)
    if not emailed:
        messages.warning(request, NOT_EMAILED)


def _confirmed(change: grants.RoleChange) -> str:
    role = change.assignment.get_role_display()
    return f"{role} confirmed: {change.assignment.staff} now holds it."


def _second_factor_missing(request: ChaperoneRequest) -> HttpResponse | None:
    """These pages change who can see safeguarding records: the session must have passed the
    second sign-in step, whatever the person's roles. (Checked after the scope, so someone
    else's record stays a plain 404.)"""
    if request.user.is_verified():
        return None
    return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")


def _managed(request: ChaperoneRequest, pk: int, action: str) -> tuple[StaffMember, School]:
    school = active_school(request)
    if school is None:
        raise Http404("No school.")
    staff = selectors.staff_managed_at(
        actor=request.actor, school=school, staff_id=pk, action=action
    )
    return staff, school


def _posted_id(request: ChaperoneRequest, name: str) -> int:
    raw = request.POST.get(name, "")
    if not raw.isascii() or not raw.isdigit():
        raise Http404("No such role.")
    return int(raw)


@require_http_methods(["GET", "POST"])
def staff_roles(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    staff, school = _managed(request, pk, "staff.manage_roles")
    if (verify := _second_factor_missing(request)) is not None:
        return verify
    form = RoleGrantForm(
        request.POST if "role" in request.POST else None,
        roles=grants.grantable_roles(actor=actor, school=school),
    )
    managed_by = LineManagerForm(
        request.POST if "line_manager" in request.POST else None,
        choices=people_services.line_manager_choices(school=school, staff=staff),
        initial={"line_manager": staff.line_manager_id},
    )
    if managed_by.is_bound:
        if managed_by.is_valid():
            manager = managed_by.cleaned_data["line_manager"]
            people_services.staff_line_manager_set(
                actor=actor, staff=staff, school=school, manager=manager
            )
            messages.success(
                request,
                f"{staff}'s line manager is now {manager}."
                if manager
                else f"{staff} has no line manager now.",
            )
            return redirect("people:staff_roles", pk=staff.pk)
    elif request.method == "POST":
        try:
            if "remove" in request.POST:
                change = grants.staff_role_remove(
                    actor=actor, staff=staff, assignment_id=_posted_id(request, "remove")
                )
                done = f"{change.assignment.get_role_display()} removed from {staff}."
            elif "confirm" in request.POST:
                change = grants.staff_role_confirm(
                    actor=actor, staff=staff, assignment_id=_posted_id(request, "confirm")
                )
                done = _confirmed(change)
            elif form.is_valid():
                change = grants.staff_role_grant(
                    actor=actor, staff=staff, school=school, role=form.cleaned_data["role"]
                )
                done = f"{change.assignment.get_role_display()} granted to {staff}" + (
                    f": it takes effect once {WHO_CONFIRMS}."
                    if change.assignment.awaiting_confirmation
                    else "."
                )
            else:
                change = None
        except grants.RoleChangeRefused as exc:
            if form.is_bound:
                form.add_error("role", str(exc))
            else:
                messages.error(request, str(exc))
                return redirect("people:staff_roles", pk=staff.pk)
        else:
            if change is not None:
                _told(request, done, emailed=change.emailed)
                return redirect("people:staff_roles", pk=staff.pk)
    return render(
        request,
        "people/staff_roles.html",
        {
            "staff": staff,
            "school": school,
            "form": form,
            "assignments": grants.staff_roles_at(staff=staff, school=school),
            "is_self": staff.pk == actor.staff_id,
            "line_manager_form": managed_by,
        },
        status=400 if managed_by.errors else 200,
    )


def _confirmations_school(request: ChaperoneRequest) -> School:
    school = active_school(request)
    if school is None or not grants.may_see_confirmations(request.actor, school):
        raise PermissionDenied("You do not have access to this in the school you are working in.")
    return school


@require_GET
def role_confirmations(request: ChaperoneRequest) -> HttpResponse:
    actor = request.actor
    school = _confirmations_school(request)
    if (verify := _second_factor_missing(request)) is not None:
        return verify
    return render(
        request,
        "people/role_confirmations.html",
        {
            "school": school,
            "waiting": grants.roles_awaiting_confirmation(actor=actor, school=school),
            "manages_roles": actor.can("staff.manage_roles", school.pk),
        },
    )


@require_POST
def role_confirm(request: ChaperoneRequest, pk: int) -> HttpResponse:
    """Confirm one waiting grant from the list (a head, a trust admin, or the DSL of a school
    where nobody else may)."""
    actor = request.actor
    school = active_school(request)
    if school is None or not grants.may_see_confirmations(actor, school):
        raise Http404("No such role awaiting confirmation.")
    if (verify := _second_factor_missing(request)) is not None:
        return verify
    assignment = grants.waiting_grant(actor=actor, school=school, assignment_id=pk)
    try:
        change = grants.staff_role_confirm(
            actor=actor, staff=assignment.staff, assignment_id=assignment.pk
        )
    except grants.RoleChangeRefused as exc:
        messages.error(request, str(exc))
    else:
        _told(request, _confirmed(change), emailed=change.emailed)
    return redirect("people:role_confirmations")


ACCOUNT_ACTIONS = {"invite", "deactivate", "reactivate", "reset_two_factor", "unlock", "email"}


@require_http_methods(["GET", "POST"])
def staff_account(request: ChaperoneRequest, pk: int) -> HttpResponse:
    actor = request.actor
    staff, school = _managed(request, pk, "staff.manage_accounts")
    if (verify := _second_factor_missing(request)) is not None:
        return verify
    email_form = StaffEmailForm()
    if request.method == "POST":
        action = request.POST.get("do", "")
        if action not in ACCOUNT_ACTIONS:
            messages.error(request, "Choose one of the buttons on this page.")
            return redirect("people:staff_account", pk=staff.pk)
        email_form = StaffEmailForm(request.POST if action == "email" else None)
        if action != "email" or email_form.is_valid():
            try:
                if action == "email":
                    _change_email(request, staff, school, email_form.cleaned_data["email"])
                else:
                    _account_action(request, action, staff, school)
            except logins.LoginChangeRefused as exc:
                messages.error(request, str(exc))
            return redirect("people:staff_account", pk=staff.pk)
    return render(
        request,
        "people/staff_account.html",
        {
            "staff": staff,
            "school": school,
            "login": logins.login_overview(staff=staff),
            "is_self": staff.pk == actor.staff_id,
            "form": email_form,
        },
        status=400 if email_form.errors else 200,
    )


def _change_email(
    request: ChaperoneRequest, staff: StaffMember, school: School, email: str
) -> None:
    emailed = logins.staff_email_change(
        actor=request.actor, staff=staff, school=school, email=email
    )
    messages.success(request, f"{staff}'s email address is now {email}.")
    if not emailed:
        messages.warning(request, "The address is changed, but the old address could not be told.")


def _account_action(
    request: ChaperoneRequest, action: str, staff: StaffMember, school: School
) -> None:
    actor = request.actor
    if action == "invite":
        invitation = logins.staff_invite(
            actor=actor, staff=staff, school=school, site_url=request.build_absolute_uri("/")
        )
        messages.success(request, f"We have emailed {staff} a link to choose a password.")
        if not invitation.emailed:
            messages.warning(request, "The login is made, but the email could not be sent.")
    elif action == "deactivate":
        logins.staff_login_deactivate(actor=actor, staff=staff, school=school)
        messages.success(request, f"{staff}'s login is deactivated and signed out everywhere.")
    elif action == "reactivate":
        logins.staff_login_reactivate(actor=actor, staff=staff, school=school)
        messages.success(request, f"{staff} can sign in again.")
    elif action == "reset_two_factor":
        emailed = logins.staff_two_factor_reset(actor=actor, staff=staff, school=school)
        _told(
            request,
            f"{staff}'s second sign-in step is reset; they set it up at next sign-in.",
            emailed=emailed,
        )
    else:
        cleared = logins.staff_login_unlock(actor=actor, staff=staff, school=school)
        messages.success(
            request,
            f"{staff}'s login is unlocked." if cleared else f"{staff}'s login was not locked.",
        )
