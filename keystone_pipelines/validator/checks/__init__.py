"""The six checks, each turning what the tiers learned into a CheckResult."""
