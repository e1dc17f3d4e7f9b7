"""Audit action names owned by the audit app itself (sign-in, sensitive reads, school switching)."""

ACTIONS = {
    "auth.login": "Signed in",
    "auth.login_failed": "Failed sign-in attempt",
    "auth.logout": "Signed out",
    "auth.two_factor_enrolled": "Set up an authenticator app",
    "auth.two_factor_verified": "Confirmed a sign-in with an authenticator code",
    "audit.viewed": "Looked at the audit log",
    "pupil.viewed": "Opened a pupil's record",
    "household.viewed": "Opened a household's details",
    "staff.viewed": "Opened a staff member's details",
    "school.switched": "Switched to working in another school",
}
