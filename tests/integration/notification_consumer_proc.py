"""A notification consumer in its own process, for the test that kills it with SIGKILL: after a message's
email is sent and marked SENT, and before its ack, it writes a marker file and waits to be killed.

    python -m tests.integration.notification_consumer_proc CONFIG.json
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from apextick_platform import logs
from notification import bootstrap
from notification.adapters.amqp_consumer import Incoming
from notification.entrypoints.consumer import run_consumer
from notification.settings import NotificationSettings


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    settings = replace(
        NotificationSettings.from_env(config["env"]),
        queue=config["queue"],
        routing_keys=tuple(config["routing_keys"]),
    )
    marker = Path(config["marker"])
    logs.configure("INFO")  # the test shows this log when the consumer does not get where it should

    def freeze_before_ack(message: Incoming) -> None:
        marker.write_text(message.message_id)
        time.sleep(3600)  # the test kills us here: committed, mailed, never acked

    run_consumer(bootstrap.build(settings), threading.Event(), freeze_before_ack)


if __name__ == "__main__":
    main()
