#!/usr/bin/env python3
"""Checks docker-compose.yml and the Grafana provisioning offline (no Docker
engine needed): every service has an image or a build context with a
Dockerfile, every bind-mounted path exists, every named volume is declared,
every `depends_on` names a service, and every dashboard panel uses the
datasource uid that Grafana provisions.

Usage: check_compose.py REPOSITORY_ROOT
"""
import json
import pathlib
import sys

import yaml


def main():
    root = pathlib.Path(sys.argv[1])
    compose = yaml.safe_load((root / "docker-compose.yml").read_text(encoding="utf-8"))
    services, volumes = compose["services"], set(compose.get("volumes") or {})
    problems = []
    for name, service in services.items():
        build = service.get("build")
        if build is None and "image" not in service:
            problems.append(f"service {name}: neither image nor build")
        if build is not None:
            context = root / (build if isinstance(build, str) else build.get("context", "."))
            if not (context / "Dockerfile").is_file():
                problems.append(f"service {name}: no Dockerfile in {context}")
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                if not (root / source).exists():
                    problems.append(f"service {name}: {source} does not exist")
            elif source not in volumes:
                problems.append(f"service {name}: volume {source} is not declared")
        depends = service.get("depends_on", [])
        for other in depends if isinstance(depends, list) else depends.keys():
            if other not in services:
                problems.append(f"service {name}: depends on unknown service {other}")

    datasources = yaml.safe_load(
        (root / "grafana/provisioning/datasources/prometheus.yml").read_text(encoding="utf-8"))
    uids = {d["uid"] for d in datasources["datasources"]}
    boards = sorted((root / "grafana/dashboards").glob("*.json"))
    for board_path in boards:
        board = json.loads(board_path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for source in [panel.get("datasource")] + [t.get("datasource") for t in panel["targets"]]:
                if source and source.get("uid") not in uids:
                    problems.append(f"{board_path.name} / {panel['title']}: datasource {source} is not provisioned")
    if problems:
        print("\n".join(problems))
        raise SystemExit(f"docker-compose / Grafana: {len(problems)} problems")
    print(f"docker-compose.yml: {len(services)} services check out; "
          f"{len(boards)} dashboards use the provisioned datasource")


if __name__ == "__main__":
    main()
