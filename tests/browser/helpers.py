"""What a person does in the browser, as small functions the browser tests share."""

from __future__ import annotations

import base64
import re

from django_otp.oath import totp
from playwright.sync_api import Page

PASSWORD = "correct horse battery"


def key_from_secret(secret: str) -> bytes:
    """The raw TOTP key from the base32 text shown to people (grouped in fours, unpadded)."""
    text = re.sub(r"\s+", "", secret).upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code_for(key: bytes, *, drift: int = 0) -> str:
    """The six-digit code an authenticator app shows now (``drift`` steps of 30 s later)."""
    return f"{totp(key, drift=drift):06d}"


def sign_in(page: Page, username: str, *, password: str = PASSWORD, path: str = "/") -> None:
    """Open ``path`` signed out, get sent to sign in, and fill the form in like a person."""
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def enter_code(page: Page, key: bytes, *, drift: int = 0) -> None:
    """Type the current authenticator code on the set-up or verify page and continue."""
    page.get_by_label("Six-digit code").fill(code_for(key, drift=drift))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def at(path: str) -> re.Pattern[str]:
    """Matches a full URL whose path and query are exactly ``path`` (for ``expect``)."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}$")


def h1(page: Page) -> str:
    return page.locator("h1").inner_text().strip()
