"""Keystone's command line and the tooling that runs it locally.

`keystone_dev.cli` is the `keystone` command (production uses it too: `keystone api`,
`gateway`, `check`, `db`, `token`, `sync`, `storage`); its `dev` and `simulate` commands
import the dev stack (`keystone_dev.devstack`, `keystone_dev.seaweed`, `keystone_sim`)
only when they run. `keystone_api` and `keystone_pipelines` never import this package
(tests/test_layering.py).
"""
