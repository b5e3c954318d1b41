"""Keystone edge: the factory's system of record (FastAPI on MySQL)."""

__version__ = "0.1.0"
