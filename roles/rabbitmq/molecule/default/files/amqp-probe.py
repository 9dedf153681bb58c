#!/usr/bin/env python3
"""AMQP probes for verify.yml, with kombu (Celery's messaging library).

    amqp-probe.py login       connect and log in to the vhost, nothing more
    amqp-probe.py roundtrip   also publish a message to a queue and consume it back

The broker URL, as Celery takes it, comes from $AMQP_URL. Prints one JSON
object: "heartbeat" (the server's proposal) once logged in, "sent" and
"received" for a round trip, "error" ("ExceptionName: message") when the
broker refused or anything failed. Exits 0 in every case: verify.yml
asserts on the output.
"""

import json
import os
import sys
import uuid

import kombu

QUEUE = "verify-roundtrip"


def probe(mode, url):
    result = {}
    try:
        with kombu.Connection(url, connect_timeout=5) as connection:
            connection.connect()
            result["heartbeat"] = connection.connection.server_heartbeat
            if mode == "roundtrip":
                body = f"verify {uuid.uuid4().hex}"
                queue = connection.SimpleQueue(QUEUE)
                queue.put(body)
                message = queue.get(block=True, timeout=5)
                message.ack()
                queue.close()
                result.update(sent=body, received=message.payload)
    except Exception as exc:  # the test wants to see any failure
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in ("login", "roundtrip"):
        sys.exit(__doc__)
    print(json.dumps(probe(sys.argv[1], os.environ["AMQP_URL"])))
