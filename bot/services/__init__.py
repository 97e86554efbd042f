"""Use cases: each owns its transaction and raises UserError for what a user can fix."""
