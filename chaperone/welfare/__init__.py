"""Welfare calls during a closure: each family's contact tier, preferences, the rota (planned by
``chaperone.rota``), the caller's call sheet and log, and escalation when a family is not
reached."""
