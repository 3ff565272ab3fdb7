"""One reader session: the reader-study app in its own process, started by the launcher for one browser
session (`python -m LiverCirrhosisWeb.session_main --study FILE` plus trame's own --port, --authKeyFile, ...).

It serves only its WebSocket (the launcher serves the page), checks Host and Origin on it, and ends itself when
the reader has done nothing for the study's idle limit or when the launcher is gone (so a killed launcher
leaves no session holding a port or an engine)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

WATCH_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--study", required=True, help="study.json written by the launcher")
    args, _ = parser.parse_known_args()   # the rest is trame's (--port, --authKeyFile, --timeout, ...)
    study = json.loads(Path(args.study).read_text(encoding="utf-8"))

    from .answer_store import AnswerStore
    from .app import ReaderStudyApp
    from .cases import read_case_list
    from .request_guard import RequestGuard

    store = AnswerStore(study["results"])
    app = ReaderStudyApp(read_case_list(study["cases"]), store, study["reader"], device=study["device"])
    guard = RequestGuard(set(study["names"]), study["page_port"])
    watchdog = SessionWatchdog(app.server, study["idle_seconds"], study["launcher_pid"])

    def check_requests(wslink_server):   # before the server starts, so the WebSocket route is guarded too
        wslink_server.app.middlewares.insert(0, guard.middleware(wslink_server.port))

    app.server.controller.on_server_bind.add(check_requests)
    app.server.controller.on_server_ready.add(watchdog.start)
    try:
        app.server.start(open_browser=False)
    finally:
        store.close()
        app.logic.clear_work_folder()


class SessionWatchdog:
    """Ends the session after `idle_seconds` without any message to or from the page, or when the launcher
    that started it has died (this process is then re-parented)."""

    def __init__(self, server, idle_seconds: float, launcher_pid: int):
        self.server, self.idle_seconds, self.launcher_pid = server, float(idle_seconds), int(launcher_pid)
        self.last_activity = time.monotonic()

    def start(self, **_):
        self.server.context.network_monitor.add_listener(self._active, self._active)
        asyncio.ensure_future(self._watch())

    def _active(self, *_, **__):
        self.last_activity = time.monotonic()

    async def _watch(self):
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            orphaned = os.getppid() != self.launcher_pid
            if orphaned or time.monotonic() - self.last_activity > self.idle_seconds:
                print("session ended: " + ("launcher gone" if orphaned else "reader idle"), flush=True)
                await self.server.stop()
                return


if __name__ == "__main__":
    main()
