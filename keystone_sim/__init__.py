"""Simulated robots: synthetic Axon recordings, the Axon recorder/transfer emulator and the
fleet simulator. Product code (`keystone simulate`) that the tests use too; no Dagster."""
