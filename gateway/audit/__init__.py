"""The audit trail: a hash chain whose signed head lives outside the table."""
