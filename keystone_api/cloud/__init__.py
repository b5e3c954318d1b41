"""Keystone in its cloud role: the sync receiver and the replicas of the edge's records."""
