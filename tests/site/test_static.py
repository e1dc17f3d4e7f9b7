import pytest
from django.contrib.staticfiles import finders


@pytest.mark.parametrize("path", ["chaperone/chaperone.css", "django_htmx/htmx-2.min.js"])
def test_static_assets_are_found(path: str) -> None:
    assert finders.find(path), path
