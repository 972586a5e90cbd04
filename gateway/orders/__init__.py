"""The court's orders as a process: deadlines under FRCP 6(a) (``deadlines``), with the
legal holidays of each court as data (``calendars/``, ``courts.toml``)."""
