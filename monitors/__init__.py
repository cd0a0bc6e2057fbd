"""Monitors: small named checks that diff the snapshots in a History into Alerts (see suite.run_monitors)."""
