"""The working-day calendar, now in patrol.periods with every other legal period.

Kept so that the callers written before patrol.periods (the workflow's notices, the demo data) keep
working while the procedure is rewritten; new code imports patrol.periods.
"""
from patrol.periods import deadline_from_days, is_working_day, next_working_day_on_or_after

__all__ = ["deadline_from_days", "is_working_day", "next_working_day_on_or_after"]
