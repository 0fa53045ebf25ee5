from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crampvoice.listen.moonshine import MoonshineModel, import_error


@pytest.fixture(autouse=True)
def own_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own data and config folders (platformdirs follows XDG on Linux)."""
    home = tmp_path / "home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    return home


@pytest.fixture(scope="session")
def pulse_server_env() -> Iterator[dict[str, str]]:
    """The environment of a private PulseAudio server with a virtual speaker and microphone."""
    from . import pulse as pa

    if not pa.available():
        pytest.skip("PulseAudio is not installed (./dev.sh test installs it)")
    with pa.pulse_server() as env:
        yield env


@pytest.fixture
def pulse(pulse_server_env: dict[str, str], own_dirs: Path) -> dict[str, str]:
    """The sound server's environment with this test's own folders: its sessions keep their diary there."""
    return {**pulse_server_env, "XDG_DATA_HOME": str(own_dirs / "data"), "XDG_CONFIG_HOME": str(own_dirs / "config")}


@pytest.fixture(scope="session")
def model() -> MoonshineModel:
    """Moonshine, loaded (skipped where moonshine_cpp has no wheel: pocketsphinx hears alone there)."""
    if (why := import_error()) is not None:
        pytest.skip(f"moonshine_cpp cannot be imported here ({why})")
    loaded = MoonshineModel.shared()
    assert loaded.wait(60), loaded.error
    return loaded
