"""The shipped recorder.yaml and transfer.yaml templates (package data)."""
