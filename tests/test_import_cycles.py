"""Imports flow one way: no module of ours reaches itself again through its imports.

Lazy imports inside functions count: one that exists to dodge a cycle still ties the two
modules together (robots/ had ten modules in one knot that way, held apart by imports in
handlers). Imports under `if TYPE_CHECKING:` do not: they are annotations only."""

from __future__ import annotations

from tests.support.import_graph import cycles, graph, modules

PACKAGES = ("keystone_api", "keystone_pipelines", "keystone_dev", "keystone_sim")


def test_no_import_cycles() -> None:
    known = modules(*PACKAGES)
    assert len(known) > 100, "the packages were not found"
    assert cycles(graph(known, "load", "call")) == []


def test_the_cycle_finder_finds_cycles() -> None:
    # A small graph with one knot of three and a loose end: the finder reports the knot.
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
