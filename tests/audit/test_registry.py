"""The closed registry of action names."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from chaperone.audit import registry


def test_the_audit_apps_own_actions_are_registered() -> None:
    for name in (
        "auth.login",
        "auth.login_failed",
        "auth.logout",
        "audit.viewed",
        "pupil.viewed",
        "household.viewed",
        "staff.viewed",
        "school.switched",
        "auth.two_factor_enrolled",
        "auth.two_factor_verified",
    ):
        assert name in registry.ACTIONS


def test_every_apps_audit_actions_are_collected() -> None:
    found = 0
    for app_config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{app_config.name}.audit_actions")
        except ModuleNotFoundError:
            continue
        found += 1
        for name, description in module.ACTIONS.items():
            assert registry.ACTIONS[name] == description
    assert found >= 1


def test_the_registry_cannot_be_edited_from_outside() -> None:
    with pytest.raises(TypeError):
        registry.ACTIONS["made.up"] = "x"  # type: ignore[index]


@pytest.mark.parametrize("name", ["Free text", "noprefix", "pupil.", "Pupil.Viewed", "a..b"])
def test_badly_formed_names_are_refused(name: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="must look like"):
        registry.register({name: "whatever"}, source="tests")
    assert name not in registry.ACTIONS


def test_a_name_declared_twice_with_different_meanings_is_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="already declared"):
        registry.register({"auth.login": "Something else entirely"}, source="tests")
    assert registry.ACTIONS["auth.login"] == "Signed in"


def test_describe_falls_back_to_the_name() -> None:
    assert registry.describe("auth.login") == "Signed in"
    assert registry.describe("gone.away") == "gone.away"
