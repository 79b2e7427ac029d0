"""Child process for test_killnine: writes entry records and uploads them until killed.

Protocol on stdout, one line each, flushed: ``READY``; ``C <record id>`` after the record's
transaction committed; ``U`` before an upload starts and ``u`` after it ended.
Usage: python -m tests.sync._killnine_child DATA_DIR SERVICE_URL SEED
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

from codes.wire import EntryRecord
from sync._devicekey import load_or_create_device_key
from sync._push import PushError, push_pending
from sync._store import Store

RECORDS = 60
PUSH_EVERY = 5


def main() -> int:
    data, url, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rng = random.Random(seed)
    key = load_or_create_device_key(data)
    store = Store(data)
    print("READY", flush=True)
    for i in range(1, RECORDS + 1):
        # Ids from the seeded rng, so a run can be replayed; uuid4-shaped like new_record_id().
        rid = f"{rng.getrandbits(128):032x}"
        rid = f"{rid[:8]}-{rid[8:12]}-4{rid[13:16]}-a{rid[17:20]}-{rid[20:32]}"
        store.add_record(EntryRecord(rid, int(time.time()), "Site K9", "Gate 1", "pass", "ok",
                                     "PK1", f"{rng.getrandbits(128):032x}", None))
        print(f"C {rid}", flush=True)
        if i % PUSH_EVERY == 0:
            print("U", flush=True)
            try:
                push_pending(store, url, key, batch_size=3, timeout_s=10)
            except PushError as e:
                print(f"E {e}", flush=True)
            print("u", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
