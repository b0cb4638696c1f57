"""The protocol engine: the joint protocol as data (``policy/default-protocol.toml``), applied to every stored
record version — DASH risk, children involved, notifications with the content each recipient may see,
alerts, confidential-address withholding, lifecycle and delivery. Rules are pure functions in ``domain``;
``services.process_version`` is the ingest pipeline stage; ``exports`` writes the contract's exports."""
