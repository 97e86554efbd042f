"""Pure logic with no Discord import: pairing, recurrence and time zones, chess, attendance."""
