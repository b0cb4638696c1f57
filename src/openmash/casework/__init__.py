"""Casework: the work people do on what the hub routed to them.

The front-door triage queue and its threshold decisions (with feedback to the referrer,
acknowledgement or challenge), allocation of queued incidents, the team inbox (acknowledge,
respond with information that then appears on the chronology), and the reads behind the
incident, child and adult pages. Notifications themselves are the protocol's; casework
acknowledges them and adds the feedback, challenge and response that people create.
"""
