"""The dashboard's covering indexes on ``concerns_concern`` (made by 0004, made again by 0005
after SQLite rebuilt the table): name -> columns."""

INDEXES = {
    "concerns_dashboard_idx": (
        "school_id, route, status, category_id, urgency, raised_at, about_staff_id"
    ),
    "concerns_dashboard_time_idx": "school_id, route, raised_at, about_staff_id",
}
