"""Pure rules of the joint protocol (no Django): policy, risk, ages, windows, deadlines, history, routing,
content, redaction, alerts and amendments, driven by ``engine.process_version`` over a ``HistoryProvider``."""
