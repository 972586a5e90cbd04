"""The court's order carried out step by step: one function per state change (re-designate,
claw back, sequester, present, rule, file, ...), each checking, changing and auditing in one
transaction; and the deadlines those steps set, under FRCP 6(a) (``deadlines``), with the
legal holidays of each court as data (``calendars/``, ``courts.toml``). No Flask here."""
