"""Sessions: every live contact with a pupil planned, judged by the protocol, gated, approved and
put on the DSL's timetable (issue #9). See ``docs/subsystems/scheduling.md``."""
