"""The reader-study front door: wslink's launcher starts one app process per browser session (its own scene,
state and engine), within a fixed set of ports that bounds how many run at once, and serves the trame client.

What is added around wslink's launcher, and why it cannot do it itself:
- the Host/Origin check (request_guard) on its HTTP routes: its own web server takes no middleware;
- a per-session secret from `secrets` handed to the session in a 0600 key file (never on a command line,
  never wslink's default), instead of its 16-letter `random` password;
- only the application name is taken from the browser's launch request, so nothing a page sends can reach the
  session's command line;
- on shutdown (Ctrl+C, SIGTERM) the sessions are ended so they remove their temporary engine folders.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import web
from wslink.backends.aiohttp import _root_handler
from wslink.backends.aiohttp.launcher import LauncherResource
from wslink.launcher import ProxyMappingManagerTXT, SessionManager

from CirrhosisStaging.io.process_identity import boot_id, can_tell_start_times, host_tag, process_identity

from .request_guard import RequestGuard

APPLICATION = "trame"          # the name the trame client asks the launcher for (index.html data-app-name)
LAUNCHER = web.AppKey("launcher", LauncherResource)
READY_LINE = "App running at"   # what trame prints once its server listens
FRONT_ENDS = Path(__file__).resolve().parents[1]
PROJECT_ROOT = FRONT_ENDS.parent


class StudySessionManager(SessionManager):
    def __init__(self, config, mapping, keys_folder: Path):
        super().__init__(config, mapping)
        self.keys_folder = keys_folder

    def createSession(self, options):
        session = super().createSession({"application": APPLICATION, "secret": secrets.token_urlsafe(32)})
        if session:
            key_file = self.keys_folder / f"{session['id']}.key"
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(session["secret"])
        return session

    def deleteSession(self, id):
        (self.keys_folder / f"{id}.key").unlink(missing_ok=True)
        super().deleteSession(id)


def launcher_config(run_folder: Path, host: str, port: int, session_ports: range, app_command: list[str],
                    start_timeout: int) -> dict:
    """wslink launcher configuration (the same keys as its JSON file)."""
    return {
        "configuration": {
            "host": host, "port": port, "endpoint": "paraview", "content": "",
            "proxy_file": str(run_folder / "proxy-mapping.txt"),
            # USE_HOSTNAME: the client puts the name the reader typed in the address bar (localhost or 127.0.0.1).
            "sessionURL": "ws://USE_HOSTNAME:${port}/ws",
            "timeout": start_timeout, "log_dir": str(run_folder / "logs"), "fields": ["secret"], "sanitize": {},
        },
        "sessionData": {},
        "resources": [{"host": host, "port_range": [session_ports.start, session_ports.stop - 1]}],
        "properties": {"keys": str(run_folder / "keys")},
        "apps": {APPLICATION: {"cmd": app_command, "ready_line": READY_LINE}},
    }


def session_command(study_file: Path, disconnect_seconds: int) -> list[str]:
    """One reader session: the trame app on the port the launcher picked, its secret read from the key file."""
    return [sys.executable, "-m", "LiverCirrhosisWeb.session_main", "--study", str(study_file), "--server",
            "--no-http", "--host", "${host}", "--port", "${port}", "--authKeyFile", "${keys}/${id}.key",
            "--timeout", str(disconnect_seconds)]


def client_routes() -> list:
    """The trame client and the static files of the trame modules the reader app uses, served by the launcher
    (the page comes from here; only the WebSocket goes to the session's port)."""
    from trame.tools.www import StaticContentGenerator
    from trame_client import module as trame_client_module

    content = StaticContentGenerator()
    content.enable_module(trame_client_module)
    content.enable_modules("vuetify3", "rca", "slicer")
    routes = [web.static(f"/{prefix}", folder) for prefix, folder in sorted(content.serve.items(), reverse=True)]
    return [web.get("/", _root_handler), *routes, web.static("/", content.www)]


def build_launcher(config: dict, guard: RequestGuard, run_folder: Path, with_client: bool = True) -> web.Application:
    resource = LauncherResource(None, config)
    resource.session_manager = StudySessionManager(
        config, ProxyMappingManagerTXT(config["configuration"]["proxy_file"]), run_folder / "keys")
    app = web.Application(middlewares=[guard.middleware(config["configuration"]["port"])])
    app.add_routes([web.post("/paraview/", resource.handle_post)])
    if with_client:
        app.add_routes(client_routes())
    app[LAUNCHER] = resource

    async def end_sessions(_app):
        end_processes(list(resource.process_manager.processes.values()))

    app.on_cleanup.append(end_sessions)
    return app


def end_processes(processes: list[subprocess.Popen], grace_seconds: float = 15) -> None:
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
    for process in processes:
        try:
            process.wait(grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()


RUN_FOLDER_PREFIX = "cirrhosis-study-"
OWNER_FILE = "launcher.pid"


@contextlib.contextmanager
def private_run_folder():
    """A private folder (0700) for the launcher's logs, session keys, case list and study file; removed on exit.
    A launcher that was killed (SIGKILL, power loss) cannot remove its own: the next one removes it."""
    remove_stale_run_folders()
    folder = Path(tempfile.mkdtemp(prefix=RUN_FOLDER_PREFIX))
    try:
        (folder / OWNER_FILE).write_text(owner_record(os.getpid()), encoding="utf-8")
        (folder / "logs").mkdir()
        (folder / "keys").mkdir(mode=0o700)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def owner_record(pid: int) -> str:
    """"HOST BOOT PID START" of a running process: which machine (the host tag atomic outputs use) and boot it runs
    on (a temporary folder may be shared, NFS say), and its start time in clock ticks since boot, so that a reused
    PID reads differently."""
    return f"{host_tag()} {boot_id()} {process_identity(pid)}"


def remove_stale_run_folders(parent: Path | None = None) -> list[Path]:
    """Remove this user's run folders whose launcher, on this machine, is gone (a process that ended, or one from
    before a reboot: their session keys and logs outlived it); returns them. Left alone: other machines' folders,
    folders without a complete owner record (another version's, or one being created), and everything where /proc
    cannot tell a process's start time (macOS, Windows)."""
    if not can_tell_start_times():
        return []
    host, boot = host_tag(), boot_id()
    removed = []
    for folder in Path(parent or tempfile.gettempdir()).glob(RUN_FOLDER_PREFIX + "*"):
        try:
            if folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            owner = (folder / OWNER_FILE).read_text(encoding="utf-8").split()
        except OSError:
            continue
        if len(owner) != 4 or owner[0] != host or not owner[2].isdigit():
            continue
        if owner[1] != boot or process_identity(int(owner[2])) != " ".join(owner[2:]):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def session_environment() -> None:
    """Sessions are started by the launcher with its environment: let them import the app and the engine."""
    paths = [str(FRONT_ENDS), str(FRONT_ENDS / "LiverCirrhosis"), str(PROJECT_ROOT)]
    existing = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(paths + ([existing] if existing else []))
    os.environ.pop("DISPLAY", None)        # render off-screen (EGL) even when started from a desktop session


def serve_study(cases: list, results: Path, host: str, port: int, max_sessions: int, session_port: int,
                reader: str, device: str, idle_minutes: float, disconnect_seconds: int, extra_names=()) -> None:
    """Serve the study until Ctrl+C or SIGTERM (both end the sessions first)."""
    from .cases import write_case_list
    from .request_guard import served_names

    names = served_names(host, extra_names)
    session_environment()
    with private_run_folder() as run_folder:
        write_case_list(cases, run_folder / "cases.json")
        study = {"cases": str(run_folder / "cases.json"), "results": str(results), "reader": reader,
                 "device": device, "names": sorted(names), "page_port": port, "idle_seconds": idle_minutes * 60,
                 "launcher_pid": os.getpid()}
        (run_folder / "study.json").write_text(json.dumps(study), encoding="utf-8")
        config = launcher_config(run_folder, host, port, range(session_port, session_port + max_sessions),
                                 session_command(run_folder / "study.json", disconnect_seconds), start_timeout=120)
        app = build_launcher(config, RequestGuard(names, port), run_folder)
        print(f"serving {len(cases)} cases on http://{host}:{port}/ to up to {max_sessions} readers at once "
              f"(sessions on ports {session_port}-{session_port + max_sessions - 1}; answers: {results}; "
              f"session logs in {run_folder / 'logs'}, removed on exit)", flush=True)
        web.run_app(app, host=host, port=port, print=None)
