#!/usr/bin/env python3
"""Evaluates every PromQL expression of the Grafana dashboards and of the
alert rules against a running Prometheus (its HTTP API), and fails if any
errors or, where data is expected, returns nothing.

- every dashboard panel target: must return data;
- every recording rule: must return data;
- every alert: its expression must evaluate without error (it is empty
  unless the alert fires), and its `signal` annotation, the series the
  alert compares to a threshold, must return data;
- every rule must report health "ok" in /api/v1/rules.

Usage: promql_proof.py PROMETHEUS_URL DASHBOARD.json...
"""
import json
import sys
import urllib.parse
import urllib.request


def api(base, path, **params):
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def evaluate(base, expr):
    """(error or None, number of series)."""
    try:
        body = api(base, "/api/v1/query", query=expr)
    except urllib.error.HTTPError as error:
        return json.load(error).get("error", str(error)), 0
    if body.get("status") != "success":
        return body.get("error", "unknown error"), 0
    result = body["data"]["result"]
    return None, len(result) if isinstance(result, list) else 1


def checks(base, dashboards):
    for path in dashboards:
        with open(path, encoding="utf-8") as f:
            board = json.load(f)
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield f'{board["title"]} / {panel["title"]}', target["expr"], True
    groups = api(base, "/api/v1/rules")["data"]["groups"]
    if not groups:
        raise SystemExit("Prometheus loaded no rules")
    for group in groups:
        for rule in group["rules"]:
            if rule.get("health") != "ok":
                yield f'rule {rule["name"]}', None, f'health {rule.get("health")}: {rule.get("lastError", "")}'
            if rule["type"] == "recording":
                yield f'record {rule["name"]}', rule["query"], True
            else:
                yield f'alert {rule["name"]}', rule["query"], False
                signal = rule.get("annotations", {}).get("signal")
                if signal:
                    yield f'alert {rule["name"]} signal', signal, True
                else:
                    yield f'alert {rule["name"]}', None, "no signal annotation"


def main():
    base, dashboards = sys.argv[1].rstrip("/"), sys.argv[2:]
    failures = 0
    for where, expr, needs_data in checks(base, dashboards):
        if expr is None:
            failures += 1
            print(f"FAIL  {where}\n      -> {needs_data}")
            continue
        error, series = evaluate(base, expr)
        if error:
            verdict = f"ERROR {error}"
        elif needs_data and series == 0:
            verdict = "NO DATA"
        else:
            verdict = f"ok ({series} series)"
        failed = not verdict.startswith("ok")
        failures += failed
        print(f"{'FAIL' if failed else 'ok  '}  {where}\n      {' '.join(expr.split())}\n      -> {verdict}")
    print(f"{failures} of the expressions failed" if failures else "every expression returned data")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
