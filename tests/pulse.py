"""A private PulseAudio server with a virtual speaker and a virtual microphone.

`spk` is where the program's speech goes (record `spk.monitor` to hear it); whatever is
played into `micfeed` is what the program's microphone (`vmic`) hears. Set up as in the
project's design notes; no sound card needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MODULES = [
    "--load=module-native-protocol-unix",
    "--load=module-null-sink sink_name=spk",
    "--load=module-null-sink sink_name=micfeed",
    "--load=module-remap-source master=micfeed.monitor source_name=vmic",
]


def available() -> bool:
    return all(shutil.which(t) for t in ("pulseaudio", "pactl", "parec", "paplay"))


@contextmanager
def pulse_server() -> Iterator[dict[str, str]]:
    """Starts the server; yields the environment that reaches it; stops it."""
    runtime = Path(tempfile.mkdtemp(prefix="crampvoice-pulse-"))
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_RUNTIME_PATH": str(runtime / "pulse")}
    env.pop("PULSE_SERVER", None)
    server = subprocess.Popen(["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--log-target=stderr",
                               "--log-level=error", *MODULES], env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("PulseAudio did not start")
        for args in (["set-default-sink", "spk"], ["set-default-source", "vmic"]):
            subprocess.run(["pactl", *args], env=env, check=True)
        env["CRAMPVOICE_TEST_PULSE_PID"] = str(server.pid)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(runtime, ignore_errors=True)
