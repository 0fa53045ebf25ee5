"""A private PulseAudio server with a virtual speaker and a virtual microphone.

`spk` is where the program's speech goes (record `spk.monitor` to hear it); whatever is
played into `micfeed` is what the program's microphone (`vmic`) hears. Set up as in the
project's design notes; no sound card needed.
"""

from __future__ import annotations

import array
import os
import shutil
import subprocess
import tempfile
import threading
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


# A machine with speakers and no microphone: the one source is the speaker's monitor, which
# PulseAudio then makes the default source.
SPEAKER_ONLY = ["--load=module-native-protocol-unix", "--load=module-null-sink sink_name=spk"]


@contextmanager
def pulse_server(modules: list[str] = MODULES, source: str | None = "vmic") -> Iterator[dict[str, str]]:
    """Starts the server (with `modules`, `source` the default microphone); yields the environment
    that reaches it; stops it."""
    runtime = Path(tempfile.mkdtemp(prefix="crampvoice-pulse-"))
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PULSE_RUNTIME_PATH": str(runtime / "pulse")}
    env.pop("PULSE_SERVER", None)
    server = subprocess.Popen(["pulseaudio", "--daemonize=no", "--exit-idle-time=-1", "-n", "--log-target=stderr",
                               "--log-level=error", *modules], env=env, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("PulseAudio did not start")
        subprocess.run(["pactl", "set-default-sink", "spk"], env=env, check=True)
        if source is not None:
            subprocess.run(["pactl", "set-default-source", source], env=env, check=True)
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


def loop_back(env: dict[str, str], latency_ms: int = 60) -> None:
    """The speaker's monitor played into the microphone, `latency_ms` late: a laptop's speakers
    reaching its microphone (module-loopback, whose delay drifts while it settles)."""
    subprocess.run(["pactl", "load-module", "module-loopback", "source=spk.monitor", "sink=micfeed",
                    f"latency_msec={latency_ms}"], env=env, check=True, capture_output=True)


class Monitor:
    """What reaches the virtual speaker (or another source), read live: each 10 ms frame's peak,
    stamped on arrival."""

    LOUD = 300
    FRAME_S = 0.01

    def __init__(self, env: dict[str, str], device: str = "spk.monitor") -> None:
        self.frames: list[tuple[float, int]] = []
        self._arrived = threading.Condition()
        self._proc = subprocess.Popen(["parec", f"--device={device}", "--rate=16000", "--channels=1",
                                       "--format=s16le", "--latency-msec=5"], env=env, stdout=subprocess.PIPE)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read(320):
            samples = array.array("h", chunk[: len(chunk) // 2 * 2])
            self.frames.append((time.monotonic(), max(map(abs, samples), default=0)))
            with self._arrived:
                self._arrived.notify_all()

    def caught_up(self, t: float, timeout_s: float = 60.0) -> None:
        """Wait until what the speaker played up to `t` has been read: a reader that a busy machine
        ran late stamps its frames late, and they would fall outside a window ending at `t`."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.frames) > 0, timeout_s):
                raise AssertionError("nothing was recorded")
            origin = self.frames[0][0] - self.FRAME_S  # the recording's start, by the first frame's arrival
            if not self._arrived.wait_for(lambda: origin + len(self.frames) * self.FRAME_S >= t, timeout_s):
                raise AssertionError("the recording fell behind")

    def loud_between(self, start: float, end: float) -> float:
        """Seconds of loud sound that arrived between two instants."""
        return sum(self.FRAME_S for at, peak in self.frames if start <= at < end and peak > self.LOUD)

    def first_loud_after(self, t: float, timeout_s: float = 20.0) -> float:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hits = [at for at, peak in self.frames if at >= t and peak > self.LOUD]
            if hits:
                return hits[0]
            time.sleep(0.005)
        raise AssertionError("the speaker stayed silent")

    def quiet_after(self, t: float, hold_s: float = 0.3) -> float:
        """When sound stopped after `t`: the first quiet frame that stays quiet for `hold_s`."""
        time.sleep(hold_s + 0.3)
        frames = [(at, peak) for at, peak in self.frames if at >= t]
        for i, (at, _) in enumerate(frames):
            if all(p <= self.LOUD for a, p in frames[i:] if a < at + hold_s):
                return at
        raise AssertionError("the speaker never went quiet")

    def close(self) -> None:
        self._proc.terminate()
        self._proc.wait()
        self._reader.join(timeout=30)  # to the end of what was recorded: the pipe closed under a read fails it
        if self._proc.stdout is not None:
            self._proc.stdout.close()
