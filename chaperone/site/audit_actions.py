"""Audit action names recorded by the site app's pages (sign-in, school details)."""

ACTIONS = {
    "auth.two_factor_failed": "Entered a wrong second-factor code",
    "auth.backup_code_used": "Confirmed a sign-in with a backup code",
    "school.details_changed": "Changed how families reach the school (telephone, email, website)",
    "school.term_added": "Set the dates of one of the school's terms",
    "school.term_removed": "Took away one of the school's terms",
}
