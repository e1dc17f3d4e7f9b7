"""Audit action names recorded by the site app's pages (sign-in, school details)."""

ACTIONS = {
    "auth.two_factor_failed": "Entered a wrong second-factor code",
    "auth.backup_code_used": "Confirmed a sign-in with a backup code",
    "school.details_changed": "Changed how families reach the school (telephone, email, website)",
}
