"""The casework pages: front-door triage, incidents, people and chronologies, the team inbox,
match review, and printable guidance. Each view is thin: access check, form, one service call, render."""
