"""Audit action names recorded by the site app's sign-in pages."""

ACTIONS = {
    "auth.two_factor_failed": "Entered a wrong second-factor code",
    "auth.backup_code_used": "Confirmed a sign-in with a backup code",
}
