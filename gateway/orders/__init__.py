"""The court's order carried out step by step: one function per state change (re-designate,
claw back, sequester, present, rule, file, ...), each checking, changing and auditing in one
transaction, and the deadlines those steps set. No Flask here."""
