"""Demo data: made-up tenants, pupils, families, staff and logins (``chaperone demo ...``)."""

from chaperone.site.demo.services import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DemoAlreadyLoaded,
    DemoError,
    DemoLogin,
    DemoSummary,
    SchoolCounts,
    demo_code,
    demo_delete,
    demo_is_loaded,
    demo_load,
    demo_logins,
    demo_summary,
    demo_totp_key,
)

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "DemoAlreadyLoaded",
    "DemoError",
    "DemoLogin",
    "DemoSummary",
    "SchoolCounts",
    "demo_code",
    "demo_delete",
    "demo_is_loaded",
    "demo_load",
    "demo_logins",
    "demo_summary",
    "demo_totp_key",
]
