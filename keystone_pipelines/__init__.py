"""Keystone's Dagster code location (definitions.py) and the plain-library MCAP validator
(validator/). This package's __init__ imports nothing, so `keystone qa` stays light."""
