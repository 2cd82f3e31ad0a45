"""Team invitations by email: a signed, expiring, single-use link (issue 21)."""
