"""Write the import contract: one ``ruff.toml`` per layer folder banning every layer above it.

The layers point one way (docs/design.md, "Layers"): a module imports from its own layer and
those below, never above. ruff's banned-api (TID251) checks every import, those inside functions
included, so ``ruff check`` on CI fails on an arrow up. Edit ``LAYERS`` here, then run
``python .ci/layers.py`` and commit the files it writes.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top: (folders of the layer, the modules they are named by).
LAYERS: list[list[tuple[str, str]]] = [
    [("danvan/rules", "danvan.rules")],
    [("config", "danvan.config")],
    [
        ("danvan/reports", "danvan.reports"),
        ("danvan/workbook", "danvan.workbook"),
        ("danvan/notify", "danvan.notify"),
        ("danvan/runtime", "danvan.runtime"),
    ],
    [("models", "danvan.models")],
    [("tasks", "danvan.tasks")],
    [("flows", "danvan.flows")],
    [("danvan/portal", "danvan.portal"), ("deployments", "danvan.deployments")],
    [("danvan/demo", "danvan.demo")],
    [("danvan/cli", "danvan.cli")],
]

NAMES = {
    "danvan.rules": "pure rules",
    "danvan.config": "settings",
    "danvan.reports": "renderers",
    "danvan.workbook": "the workbook",
    "danvan.notify": "notification",
    "danvan.runtime": "the Prefect runtime",
    "danvan.models": "storage",
    "danvan.tasks": "the core steps",
    "danvan.flows": "flows",
    "danvan.portal": "the portal door",
    "danvan.deployments": "the deployments door",
    "danvan.demo": "the demo",
    "danvan.cli": "the CLI door",
}

# Beyond the layer order: what a layer must not use at all.
EXTRA: dict[str, dict[str, str]] = {
    "danvan.rules": {
        "prefect": "rules are pure: no Prefect inside danvan.rules",
        "sqlmodel": "rules are pure: no database inside danvan.rules",
        "sqlalchemy": "rules are pure: no database inside danvan.rules",
        "apprise": "rules are pure: no notifications inside danvan.rules",
    },
    "danvan.flows": {
        "sqlmodel": "flows orchestrate: SQL lives in danvan.models and the core steps",
        "sqlalchemy": "flows orchestrate: SQL lives in danvan.models and the core steps",
        "danvan.models.tables": "flows orchestrate: tables are read by the core steps",
        "danvan.models.store": "flows orchestrate: queries are made by the core steps",
        "danvan.models.versions": "flows orchestrate: queries are made by the core steps",
    },
}
DOORS = ("danvan.portal", "danvan.deployments", "danvan.cli", "danvan.demo")
for door in DOORS:
    EXTRA[door] = {
        "sqlmodel": "a door only translates: ask the core (danvan.tasks) for reads and actions",
        "sqlalchemy": "a door only translates: ask the core (danvan.tasks) for reads and actions",
        "danvan.models.tables": "a door only translates: ask the core, not the tables",
        "danvan.models.store": "a door only translates: ask the core, not the queries",
        "danvan.models.versions": "a door only translates: ask the core, not the queries",
    }


def main() -> None:
    for index, layer in enumerate(LAYERS):
        above = [module for upper in LAYERS[index + 1 :] for _, module in upper]
        for folder, module in layer:
            depth = len(Path(folder).parts)
            lines = [
                "# Written by .ci/layers.py: the import contract of this layer"
                f" ({NAMES[module]}). Do not edit by hand.",
                f'extend = "{"../" * depth}pyproject.toml"',
                "",
                "[lint.flake8-tidy-imports.banned-api]",
            ]
            for upper in above:
                lines.append(
                    f'"{upper}".msg = "layers point one way: {NAMES[module]} ({module})'
                    f' must not import {NAMES[upper]} ({upper}), a layer above it"'
                )
            for name, why in EXTRA.get(module, {}).items():
                lines.append(f'"{name}".msg = "{why}"')
            (ROOT / folder / "ruff.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
