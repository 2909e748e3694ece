"""The Grafana dashboard and the Prometheus console page, both generated from :data:`PANELS`.

``python -m mnist_assets.monitoring.dashboards`` rewrites
``deploy/grafana/dashboards/mnist-service.json``, ``deploy/prometheus/consoles/mnist.html`` and
its library; a test fails while either is stale. The console page is what runs where no Grafana
does: Prometheus serves it (``/consoles/mnist.html``), each panel a graph drawn by the console
scripts Prometheus ships, above the current values rendered on the server.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from mnist_assets.env import shipped_dir
from mnist_assets.monitoring.panels import PANELS, Panel

DEPLOY = shipped_dir() / "deploy"
GRAFANA_FILE = DEPLOY / "grafana" / "dashboards" / "mnist-service.json"
CONSOLE_FILE = DEPLOY / "prometheus" / "consoles" / "mnist.html"
LIBRARY_FILE = DEPLOY / "prometheus" / "console_libraries" / "mnist.lib"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # grafana/provisioning/datasources
LABEL = re.compile(r"\{(\w+)\}")
GENERATED = "generated from mnist_assets/monitoring/panels.py; do not edit"
# Go template functions that print a value in a panel's unit.
FORMATS = {"percentunit": "humanizePercentage", "s": "humanizeDuration"}


def grafana_dashboard() -> dict[str, Any]:
    """The dashboard Grafana provisions."""
    return {
        "uid": "mnist-service",
        "title": "MNIST service",
        "description": GENERATED,
        "tags": ["mnist-assets"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "editable": False,
        "panels": [_grafana_panel(number, panel) for number, panel in enumerate(PANELS)],
    }


def _grafana_panel(number: int, panel: Panel) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": panel.unit}
    if panel.thresholds:
        steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
        steps += [{"color": colour, "value": value} for colour, value in panel.thresholds]
        defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    answer: dict[str, Any] = {
        "id": number + 1,
        "title": panel.title,
        "type": "stat" if panel.stat else "timeseries",
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (number % 2), "y": 8 * (number // 2)},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "datasource": DATASOURCE,
                "expr": query.expr,
                "legendFormat": LABEL.sub(r"{{\1}}", query.legend),
            }
            for index, query in enumerate(panel.queries)
        ],
    }
    if panel.stat:
        answer["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "textMode": "name"}
    return answer


def console_page() -> str:
    """The console template: one section per panel, its current values, then its graph."""
    sections = [_console_panel(number, panel) for number, panel in enumerate(PANELS)]
    return (
        f'{{{{/* {GENERATED} */}}}}\n{{{{ template "mnist_head" . }}}}\n'
        '<h1>MNIST service</h1>\n<div class="mnist-panels">\n'
        + "".join(sections)
        + '</div>\n{{ template "mnist_tail" . }}\n'
    )


def _console_panel(number: int, panel: Panel) -> str:
    values = "".join(
        _console_value(query.expr, query.legend, panel.unit) for query in panel.queries
    )
    graph = ""
    if not panel.stat:
        options = {
            "expr": [query.expr for query in panel.queries],
            "name": [LABEL.sub(r"[[\1]]", query.legend) for query in panel.queries],
            "renderer": "line",
            "duration": 3600,  # seconds
        }
        graph = (
            f'<div class="graph" id="panel-{number + 1}"></div>\n<script>\n'
            f"new PromConsole.Graph(Object.assign({json.dumps(options)}, {{node: "
            f'document.querySelector("#panel-{number + 1}"), yAxisFormatter: '
            "PromConsole.NumberFormatter.humanize, yHoverFormatter: "
            "PromConsole.NumberFormatter.humanize}));\n</script>\n"
        )
    return (
        f'<section class="panel" data-panel="{panel.title}">\n<h2>{panel.title}</h2>\n'
        f'<table class="values">{values}</table>\n{graph}</section>\n'
    )


def _console_value(expr: str, legend: str, unit: str) -> str:
    """One query's current series as table rows, or a row saying there is no data."""
    name = LABEL.sub(r"{{ .Labels.\1 }}", legend)
    shown = (
        f"{{{{ .Value | {FORMATS[unit]} }}}}" if unit in FORMATS else '{{ printf "%.3g" .Value }}'
    )
    return (
        f'{{{{ range query {json.dumps(expr)} }}}}<tr><td>{name}</td><td class="value">'
        f"{shown}</td></tr>{{{{ else }}}}<tr><td>{LABEL.sub('', legend).strip()}</td>"
        '<td class="value no-data">no data</td></tr>{{ end }}'
    )


def console_library() -> str:
    """The page's head (the console scripts and styles Prometheus serves) and its tail."""
    static = "{{ pathPrefix }}/classic/static"
    # What prom_console.js draws with (Debian's package links them from libjs-* packages).
    scripts = ["d3/d3.min.js", "rickshaw/rickshaw.min.js", "jquery/jquery.min.js"]
    styles = [
        "rickshaw/rickshaw.min.css",
        "bootstrap4/css/bootstrap.min.css",
        "css/prom_console.css",
    ]
    head = "".join(f'<link rel="stylesheet" href="{static}/{path}">\n' for path in styles)
    head += "".join(f'<script src="{static}/{path}"></script>\n' for path in scripts)
    head += '<script>var PATH_PREFIX = "{{ pathPrefix }}";</script>\n'
    head += f'<script src="{static}/js/prom_console.js"></script>\n'
    style = (
        "<style>body{padding:12px 20px}.mnist-panels{display:grid;grid-template-columns:"
        "repeat(auto-fill,minmax(560px,1fr));gap:16px}.panel h2{font-size:1.1rem}"
        ".values td{padding:0 12px 0 0}.no-data{color:#a33}</style>\n"
    )
    return (
        f"{{{{/* {GENERATED} */}}}}\n"
        '{{ define "mnist_head" }}<!doctype html>\n<html lang="en">\n<head>\n'
        f"<title>MNIST service</title>\n{head}{style}</head>\n<body>\n{{{{ end }}}}\n"
        '{{ define "mnist_tail" }}</body>\n</html>\n{{ end }}\n'
    )


def generated() -> dict[Path, str]:
    """Every generated file and what it should hold."""
    return {
        GRAFANA_FILE: json.dumps(grafana_dashboard(), indent=2) + "\n",
        CONSOLE_FILE: console_page(),
        LIBRARY_FILE: console_library(),
    }


if __name__ == "__main__":
    for path, text in generated().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}", file=sys.stderr)
