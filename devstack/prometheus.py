"""The local Prometheus's configuration: every process of `make up` as its own scrape target, Envoy's
/stats/prometheus, and the drop's rules from k8s/monitoring/rules.yml (the same file a cluster loads).

    python -m devstack.prometheus OUT_DIR    # writes OUT_DIR/prometheus.yml from the ports in the env

The file is JSON, which is YAML too: no YAML writer needed, and Prometheus reads it as is."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "k8s" / "monitoring" / "rules.yml"

# job -> (the environment variable naming its port, the port `make up` uses by default)
PROCESSES = {
    "apextick-booking": ("APEXTICK_BOOKING_METRICS_PORT", 9470),
    "apextick-seatmap": ("APEXTICK_SEATMAP_METRICS_PORT", 9471),
    "apextick-notification": ("APEXTICK_NOTIFICATION_METRICS_PORT", 9472),
    "apextick-worker": ("APEXTICK_WORKER_METRICS_PORT", 9473),
    "apextick-consumer": ("APEXTICK_CONSUMER_METRICS_PORT", 9474),
    "apextick-relay": ("APEXTICK_RELAY_METRICS_PORT", 9464),
}


def scrape_config(job: str, targets: list[str], path: str = "/metrics") -> dict[str, object]:
    return {"job_name": job, "metrics_path": path, "static_configs": [{"targets": targets}]}


def configuration(
    targets: Mapping[str, list[str]], envoy_admin: str | None, *, interval: str = "5s", rules: bool = True
) -> dict[str, object]:
    """`targets`: job -> host:port of its processes; `envoy_admin`: Envoy's admin address, if any."""
    jobs = [scrape_config(job, addresses) for job, addresses in sorted(targets.items())]
    if envoy_admin is not None:
        jobs.append(scrape_config("apextick-edge", [envoy_admin], "/stats/prometheus"))
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(RULES)] if rules else [],
        "scrape_configs": jobs,
    }


def from_env(env: Mapping[str, str]) -> dict[str, object]:
    targets = {job: [f"127.0.0.1:{env.get(name, default)}"] for job, (name, default) in PROCESSES.items()}
    return configuration(targets, f"127.0.0.1:{env.get('APEXTICK_EDGE_ADMIN_PORT', '9901')}")


def write(out: Path, config: Mapping[str, object]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "prometheus.yml"
    path.write_text(json.dumps(config, indent=1))
    return path


if __name__ == "__main__":
    match sys.argv[1:]:
        case [out]:
            print(write(Path(out), from_env(os.environ)))
        case _:
            raise SystemExit("usage: python -m devstack.prometheus OUT_DIR")
