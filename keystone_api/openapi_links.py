"""OpenAPI links: which answer feeds which next call.

Creating a factory answers its id; the links say that id is the `factory_id` of the scenes,
robots and workstations made next, and the `item_id` of GET/PATCH/DELETE on it. They tell a
client author the API's workflow, and they let a stateful fuzzer (schemathesis, in
tests/api/test_fuzz_stateful.py) chain real ids instead of guessing ids that are all 404.

One table for the whole API rather than `responses=` on each route: the registries' routes
are generic (common/resource.py), and the chains cross domains (a workstation's id feeds the
scheduler, an order's the batches). `install_links` adds them to the generated document;
a link whose source or target operation is not served (the cloud role) is left out.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ID = "$response.body#/id"
FIRST = "$response.body#/items/0/id"  # the first row of a page
FIRST_OF_LIST = "$response.body#/0/id"  # the first item of an answer that is a bare list

Link = dict[str, Any]
# (source operationId, status) -> {link name: link}
Links = dict[tuple[str, str], dict[str, Link]]

# The registries served by common/resource.py: create_x, list_x, get_x, update_x, delete_x.
REGISTRIES = (
    "organizations",
    "factories",
    "scenes",
    "subscenes",
    "skills",
    "operations",
    "sops",
    "robot_types",
    "robots",
    "data_collectors",
    "inspectors",
    "workstations",
)

# Who makes whom: the parent's id (the source's answer) is this field of the child's body.
# (source operationId, its status) -> [(target operationId, body field)]
BODIES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("create_organizations", "201"): [
        ("create_factories", "organization_id"),
        ("create_skills", "organization_id"),
    ],
    ("create_factories", "201"): [
        ("create_scenes", "factory_id"),
        ("create_robots", "factory_id"),
        ("create_data_collectors", "factory_id"),
        ("create_inspectors", "factory_id"),
        ("create_workstations", "factory_id"),
        ("create_order", "factory_id"),
        ("create", "factory_id"),  # an enrollment secret for the factory's robots
    ],
    ("create_robot_types", "201"): [
        ("create_robots", "robot_type_id"),
        ("create_subscenes", "robot_type_id"),
    ],
    ("create_scenes", "201"): [("create_subscenes", "scene_id")],
    ("create_skills", "201"): [("create_operations", "skill_id"), ("create_sops", "skill_id")],
    ("create_subscenes", "201"): [("create_sops", "subscene_id"), ("create_order", "subscene_id")],
    ("create_sops", "201"): [("create_order", "sop_id")],
    # Editing an SOP answers its new version: the one new orders keep.
    ("update_sops", "200"): [("create_order", "sop_id")],
    ("create_robots", "201"): [("create_workstations", "robot_id")],
    ("create_data_collectors", "201"): [("create_workstations", "data_collector_id")],
    # A recording of the task handed out lands in the store.
    ("next_task", "200"): [("register_landed", "task_id")],
}

# What a factory's id filters: its statistics, alerts and lists.
FACTORY_FILTERS = (
    "stats_summary",
    "stats_trend",
    "stats_breakdown",
    "stats_workstations",
    "stats_orders",
    "list_alerts",
    "list_orders",
    "list_robots",
    "list_workstations",
    "list_scenes",
    "list_secrets",
)

# Operations on an object whose id a source answers:
# (source operationId, its status, targets, their parameter ("query." when not in the path), value)
USES: list[tuple[str, str, tuple[str, ...], str, str]] = [
    (
        "create_robot_types",
        "201",
        ("list_templates", "install_defaults", "get_template", "put_template", "get_config"),
        "robot_type_id",
        ID,
    ),
    ("create_factories", "201", FACTORY_FILTERS, "query.factory_id", ID),
    ("create_robots", "201", ("heartbeat", "rotate"), "item_id", ID),
    ("create_robots", "201", ("state",), "device_id", "$response.body#/device_id"),
    (
        "create_workstations",
        "201",
        ("pair", "pairings", "break_start", "break_end", "leave"),
        "item_id",
        ID,
    ),
    ("create_workstations", "201", ("next_task",), "workstation_id", ID),
    ("create_workstations", "201", ("list_batches", "list_tasks"), "query.workstation_id", ID),
    (
        "create_order",
        "201",
        (
            "get_order",
            "patch_order",
            "order_progress",
            "schedule_order",
            "order_pause",
            "order_resume",
            "order_cancel",
        ),
        "order_id",
        ID,
    ),
    ("create_order", "201", ("list_batches", "list_tasks"), "query.order_id", ID),
    ("create_order", "201", ("stats_summary", "stats_breakdown"), "query.order_id", ID),
    ("list_orders", "200", ("get_order", "order_progress"), "order_id", FIRST),
    ("list_batches", "200", ("get_batch", "cancel_batch", "recall_batch"), "batch_id", FIRST),
    ("list_batches", "200", ("list_tasks",), "query.batch_id", FIRST),
    ("schedule_order", "200", ("get_task",), "task_id", FIRST_OF_LIST),
    (
        "next_task",
        "200",
        ("get_task", "task_config", "cancel_task", "release_task", "retry_task"),
        "task_id",
        ID,
    ),
    ("list_tasks", "200", ("get_task", "task_config"), "task_id", FIRST),
    (
        "list_episodes",
        "200",
        ("get_episode", "inspect", "downloads", "get_sync_state", "resync_episode"),
        "episode_id",
        FIRST,
    ),
    (
        "inspection_queue",
        "200",
        ("get_episode", "inspect"),
        "episode_id",
        "$response.body#/items/0/episode/id",
    ),
    (
        "list_sync_states",
        "200",
        ("get_sync_state", "resync_episode"),
        "episode_id",
        "$response.body#/items/0/episode_id",
    ),
    ("create_user", "201", ("patch_user",), "user_id", ID),
    ("list_users", "200", ("patch_user",), "user_id", FIRST),
    ("create_token", "201", ("revoke_token",), "token_id", ID),
    ("create", "201", ("revoke",), "secret_id", ID),
    ("list_operator_events", "200", ("resolve_operator_event",), "event_id", FIRST_OF_LIST),
]


def _name(operation_id: str) -> str:
    return "".join(part.title() for part in operation_id.split("_"))


def api_links() -> Links:
    links: Links = {}

    def add(source: str, status: str, target: str, link: Link) -> None:
        links.setdefault((source, status), {})[_name(target)] = {"operationId": target, **link}

    for slug in REGISTRIES:
        for verb in ("get", "update", "delete"):
            add(f"create_{slug}", "201", f"{verb}_{slug}", {"parameters": {"item_id": ID}})
        add(f"list_{slug}", "200", f"get_{slug}", {"parameters": {"item_id": FIRST}})
    add("update_sops", "200", "get_sops", {"parameters": {"item_id": ID}})
    for (source, status), children in BODIES.items():
        for target, field in children:
            add(source, status, target, {"requestBody": {field: ID}})
    for source, status, targets, parameter, value in USES:
        for target in targets:
            add(source, status, target, {"parameters": {parameter: value}})
    return links


def add_links(document: dict[str, Any]) -> None:
    """Put the links into the responses of a generated OpenAPI document, in place."""
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values()
    }
    for (source, status), links in api_links().items():
        served = {k: v for k, v in links.items() if v["operationId"] in operations}
        response = operations.get(source, {}).get("responses", {}).get(status)
        if response is not None and served:
            response.setdefault("links", {}).update(served)


def install_links(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            add_links(generate())  # generate() keeps the document in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
