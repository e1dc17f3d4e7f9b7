"""Safeguarding concerns: a worry about one or more pupils, raised by a member of staff and told
at once to the school's safeguarding team. This first, minimal app holds the concern record and
the alert; the concerns issue (#10) adds the DSL's handling of it."""
