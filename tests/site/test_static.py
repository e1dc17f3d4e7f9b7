import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse


@pytest.mark.parametrize(
    "path", ["chaperone/chaperone.css", "chaperone/favicon.svg", "django_htmx/htmx-2.min.js"]
)
def test_static_assets_are_found(path: str) -> None:
    assert finders.find(path), path


@pytest.mark.django_db
def test_pages_name_their_icon_so_browsers_do_not_ask_for_a_missing_one(client: Client) -> None:
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "chaperone/favicon.svg" in page
