"""Web: the pages people work in, GOV.UK Frontend throughout — sign-in and MFA, each role's home page, and
(as capabilities land) triage, incidents, chronologies and inboxes. Views are thin: access check, form,
one service call, render."""
