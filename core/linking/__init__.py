"""Verified linking of one customer's channel identities into one person (docs/privacy.md,
"Linking identities"): the profile merge and split (profiles.py), link and unlink (links.py),
one-time codes and signed deep links (codes.py), the customer's /link flow (flow.py) and the best
channel for a proactive send (best.py)."""
