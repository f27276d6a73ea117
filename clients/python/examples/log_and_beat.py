"""Logs a few records at several levels through DtsHandler, sends one heartbeat, and exits
without flushing: the handler's exit path must deliver the records (test/e2e/python-client.test.ts).

    DTS_LOGS_QUEUE_URL=... DTS_HEARTBEATS_QUEUE_URL=... PYTHONPATH=clients/python \
      /usr/bin/python3 clients/python/examples/log_and_beat.py APP HOSTNAME
"""
import logging
import sys

from dts_client import DtsHandler, send_heartbeat

app, hostname = sys.argv[1], sys.argv[2]
log = logging.getLogger("example")
log.setLevel(logging.DEBUG)
# A long flush interval: nothing leaves before exit unless the exit path sends it.
log.addHandler(DtsHandler(app, hostname=hostname, flush_interval=3600))

log.debug("debug line")
log.info("hello from python", extra={"fields": {"user": "ada", "attempt": 2}})
log.warning("disk nearly full")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("division failed")
log.critical("on fire")
send_heartbeat(hostname, interval=30, labels={"lang": "python"})
print("logged 5 records and sent a heartbeat")
