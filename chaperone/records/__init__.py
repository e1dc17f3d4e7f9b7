"""Records: the recording register, the retention schedule, the daily deletion job, legal holds
and audited access to recordings and logs."""
