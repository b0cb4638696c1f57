"""Platform: the shared kernel every app stands on — the hash-chained audit trail, the one access-policy
layer through which every read of a person's data passes, session and MFA hardening, and the CLI's shared
commands (``export``, ``audit``)."""
