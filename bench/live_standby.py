"""`crampvoice standby` itself on a private PulseAudio server's virtual microphone (tests/pulse.py),
for bench/standby.py: the share of one core it uses listening in silence and while people talk
(bench/live.py's talk: real clips that are no command), and how soon the tone follows the end of
a start phrase (george's taught "four seven", tests/data/personal), measured on the sound
server's own monitors: the phrase's last loud 10 ms going into the microphone, the tone's first
coming out of the speaker. The process is the whole program, threads and all."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crampvoice.audio import Audio, read_wav, to_mono_16k, write_wav  # noqa: E402
from crampvoice.listen.personal import spoken_span  # noqa: E402

PERSONAL = ROOT / "tests" / "data" / "personal"
TINY = "crampvoice: 1\ntitle: Tiny\nsafety: [Get help if it lasts.]\nsteps:\n  - say: Sip water.\n"


def _phrase(four: int, seven: int) -> Audio:
    parts = [to_mono_16k(read_wav(PERSONAL / f"{d}_george_{t}.wav")) for d, t in ((4, four), (7, seven))]
    return Audio(b"".join(spoken_span(np.frombuffer(p.pcm, "<i2")).tobytes() for p in parts), 16000)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live(seconds: float, starts: int) -> str:
    from tests import pulse

    if not pulse.available():
        return "no PulseAudio"
    with tempfile.TemporaryDirectory() as folder, pulse.pulse_server() as server:
        root = Path(folder)
        env = {**server, "XDG_DATA_HOME": str(root / "data"), "XDG_CONFIG_HOME": str(root / "config")}
        takes = [root / f"take{i}.wav" for i in range(3)]
        for i, take in enumerate(takes):
            write_wav(take, _phrase(i, i))
        subprocess.run([sys.executable, "-m", "crampvoice", "words", "add", "four seven", "--as", "start",
                        *map(str, takes)], env=env, check=True, capture_output=True)
        (root / "tiny.yaml").write_text(TINY)
        proc = subprocess.Popen([sys.executable, "-m", "crampvoice", "standby", str(root / "tiny.yaml"), "--events",
                                 "-"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        arrived: queue.SimpleQueue[dict[str, object]] = queue.SimpleQueue()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                arrived.put(json.loads(line))

        def until(type_: str) -> None:
            while arrived.get(timeout=120)["type"] != type_:
                pass

        threading.Thread(target=read, daemon=True).start()
        try:
            until("standby")
            shares = _shares(proc.pid, root, env, seconds)
            delays, missed = _delays(env, root, until, starts)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("tone delays, ms:", " ".join(f"{d:.0f}" for d in delays), file=sys.stderr)
    p50, p95 = np.percentile(delays, [50, 95])
    return (f"{shares[0]:.1f} %, {shares[1]:.1f} %; p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(delays)} starts"
            f" ({missed} phrases not heard, said again)")


def _shares(pid: int, root: Path, env: dict[str, str], seconds: float) -> list[float]:
    """The share of one core in silence, then with people talking into the microphone."""
    from live import talk  # bench/live.py's

    shares = []
    for playing in (False, True):
        player = (subprocess.Popen(["paplay", "--device=micfeed", str(talk(root / "talk.wav", seconds + 30))],
                                   env=env) if playing else None)
        before, started = _cpu_s(pid), time.monotonic()
        time.sleep(seconds)
        shares.append(100 * (_cpu_s(pid) - before) / (time.monotonic() - started))
        if player is not None:
            player.kill()
            player.wait()
    return shares


def _delays(env: dict[str, str], root: Path, until: Callable[[str], None], starts: int) -> tuple[list[float], int]:
    """Milliseconds from the phrase's end going in to the tone's start coming out, for each start."""
    from tests import pulse

    phrase = root / "phrase.wav"
    write_wav(phrase, _phrase(10, 10))
    heard, spoken = pulse.Monitor(env, "micfeed.monitor"), pulse.Monitor(env, "spk.monitor")
    delays: list[float] = []
    missed = 0
    while len(delays) < starts and missed < starts:
        played_at = time.monotonic()
        subprocess.run(["paplay", "--device=micfeed", str(phrase)], env=env, check=True)
        try:
            tone = spoken.first_loud_after(played_at, timeout_s=5.0)
        except AssertionError:  # not heard: said again, and counted
            missed += 1
            continue
        ended = max(at for at, peak in heard.frames if played_at <= at <= tone and peak > heard.LOUD)
        delays.append(1000 * (tone - ended))
        until("end")
        until("standby")
    heard.close()
    spoken.close()
    return delays, missed
