"""A frozen, pretrained speech embedding: one 96-number vector per 80 ms of audio.

openWakeWord's front end, as shipped in the `pyopen-wakeword` wheel with its own TensorFlow
Lite C library: a mel-spectrogram model (no learned weights) and Google's `speech_embedding`
(Apache-2.0). Only these two models are used, never the wheel's wake-word models (those are
CC BY-NC-SA). The weights load from the installed package; nothing is fetched.

The mel model clamps each call at its loudest value less 80 dB, so it is called window by
window (1760 samples every 1280), exactly as openWakeWord's streaming path does; the
embedding model then takes every 76-frame window of one utterance in one batch.

Both run on XNNPACK, TensorFlow Lite's CPU kernels, which the wheel's library carries but does
not use unless asked: the same vectors (to 1e-4) for less than half the CPU (bench/embed.py).
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import DeviceError

SAMPLE_RATE_HZ = 16000
PAD_S = 0.4  # quiet noise added on each side: the embedding wants context around a short word
PAD_LEVEL = 10.0  # its standard deviation, in 16-bit units (about -70 dBFS)
MEL_WINDOW, MEL_HOP = 1760, 1280
EMBED_FRAMES, EMBED_STEP, MELS, FEATURES = 76, 8, 32, 96
MIN_SAMPLES = MEL_WINDOW + 9 * MEL_HOP  # enough for one window of 76 mel frames

Floats = npt.NDArray[np.float32]

_V = ctypes.c_void_p
_I32 = ctypes.c_int32
_SIGNATURES: dict[str, tuple[list[Any], Any]] = {
    "TfLiteModelCreateFromFile": ([ctypes.c_char_p], _V),
    "TfLiteInterpreterOptionsCreate": ([], _V),
    "TfLiteInterpreterOptionsSetNumThreads": ([_V, _I32], None),
    "TfLiteInterpreterOptionsDelete": ([_V], None),
    "TfLiteInterpreterOptionsAddDelegate": ([_V, _V], None),
    "TfLiteXNNPackDelegateCreate": ([_V], _V),
    "TfLiteInterpreterCreate": ([_V, _V], _V),
    "TfLiteInterpreterAllocateTensors": ([_V], ctypes.c_int),
    "TfLiteInterpreterInvoke": ([_V], ctypes.c_int),
    "TfLiteInterpreterGetInputTensor": ([_V, _I32], _V),
    "TfLiteInterpreterGetOutputTensor": ([_V, _I32], _V),
    "TfLiteInterpreterResizeInputTensor": ([_V, _I32, ctypes.POINTER(_I32), _I32], ctypes.c_int),
    "TfLiteTensorNumDims": ([_V], _I32),
    "TfLiteTensorDim": ([_V, _I32], _I32),
    "TfLiteTensorCopyFromBuffer": ([_V, _V, ctypes.c_size_t], ctypes.c_int),
    "TfLiteTensorCopyToBuffer": ([_V, _V, ctypes.c_size_t], ctypes.c_int),
}


class _Model:
    """One TFLite model on one thread; tensors are reallocated only when the input's shape changes."""

    def __init__(self, lib: Any, path: Path, xnnpack: bool) -> None:
        self._lib = lib
        self._model = lib.TfLiteModelCreateFromFile(str(path).encode())
        if not self._model:
            raise DeviceError(f"the speech model {path.name} cannot be loaded", _REINSTALL)
        options = lib.TfLiteInterpreterOptionsCreate()
        lib.TfLiteInterpreterOptionsSetNumThreads(options, 1)
        self._delegate = _quietly(lambda: lib.TfLiteXNNPackDelegateCreate(None)) if xnnpack else None
        if self._delegate:  # kept as long as the interpreter: it runs the model's kernels
            lib.TfLiteInterpreterOptionsAddDelegate(options, self._delegate)
        self._interpreter = lib.TfLiteInterpreterCreate(self._model, options)
        lib.TfLiteInterpreterOptionsDelete(options)
        if not self._interpreter:
            raise DeviceError(f"the speech model {path.name} cannot be run", _REINSTALL)
        self._shape: tuple[int, ...] = ()
        self._in: Any = None
        self._out: Any = None
        self._out_shape: list[int] = []

    def run(self, x: Floats) -> Floats:
        lib, x = self._lib, np.ascontiguousarray(x, dtype=np.float32)
        if self._shape != x.shape:
            lib.TfLiteInterpreterResizeInputTensor(self._interpreter, 0, (_I32 * x.ndim)(*x.shape), x.ndim)
            lib.TfLiteInterpreterAllocateTensors(self._interpreter)
            self._shape = x.shape
            self._in = lib.TfLiteInterpreterGetInputTensor(self._interpreter, 0)
            self._out = lib.TfLiteInterpreterGetOutputTensor(self._interpreter, 0)
            self._out_shape = [lib.TfLiteTensorDim(self._out, i) for i in range(lib.TfLiteTensorNumDims(self._out))]
        lib.TfLiteTensorCopyFromBuffer(self._in, x.ctypes.data_as(_V), x.nbytes)
        lib.TfLiteInterpreterInvoke(self._interpreter)
        y = np.empty(self._out_shape, np.float32)
        lib.TfLiteTensorCopyToBuffer(self._out, y.ctypes.data_as(_V), y.nbytes)
        return y


_REINSTALL = "reinstall crampvoice (pip install --force-reinstall pyopen-wakeword)"


def _quietly(make: Callable[[], Any]) -> Any:
    """`make()` with standard error shut: TensorFlow Lite prints "INFO: Created TensorFlow Lite
    XNNPACK delegate for CPU." there as it makes the delegate, and its C API cannot turn that off."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            return make()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class Embedder:
    """Loads the two front-end models once; `embed` turns an utterance into (n, 96) vectors.
    `xnnpack=False` runs them on TensorFlow Lite's plain kernels (the baseline bench/embed.py measures)."""

    def __init__(self, xnnpack: bool = True) -> None:
        try:
            import pyopen_wakeword
        except ImportError as e:
            raise DeviceError(f"the speech embedding is not installed ({e})", _REINSTALL) from None
        package = Path(pyopen_wakeword.__file__).parent
        try:
            lib = ctypes.CDLL(str(next((package / "lib").glob("*tensorflowlite_c*"))), mode=os.RTLD_GLOBAL)
        except (StopIteration, OSError) as e:
            raise DeviceError(f"TensorFlow Lite cannot be loaded ({e})", _REINSTALL) from None
        for name, (args, result) in _SIGNATURES.items():
            function = getattr(lib, name)
            function.argtypes, function.restype = args, result
        self._mel = _Model(lib, package / "models" / "melspectrogram.tflite", xnnpack)
        self._embedding = _Model(lib, package / "models" / "embedding_model.tflite", xnnpack)
        self._noise = np.random.default_rng(0)

    def embed(self, samples: npt.NDArray[np.int16] | npt.NDArray[np.float64]) -> Floats:
        """One utterance (16 kHz, 16-bit, mono) -> float32 (n, 96), padded with quiet noise each side."""
        pad = int(PAD_S * SAMPLE_RATE_HZ)
        extra = max(0, MIN_SAMPLES - len(samples) - 2 * pad)
        x = np.concatenate([np.zeros(pad + extra - extra // 2), np.asarray(samples, np.float64),
                            np.zeros(pad + extra // 2)])
        return self.embed_padded(x + self._noise.standard_normal(len(x)) * PAD_LEVEL)

    def embed_padded(self, x: npt.NDArray[np.float64]) -> Floats:
        mels = self._mels(x)
        n = (len(mels) - EMBED_FRAMES) // EMBED_STEP + 1
        if n < 1:
            return np.zeros((0, FEATURES), np.float32)
        windows = mels[np.arange(n)[:, None] * EMBED_STEP + np.arange(EMBED_FRAMES)[None, :]][..., None]
        return self._embedding.run(windows).reshape(n, FEATURES)

    def _mels(self, x: npt.NDArray[np.float64]) -> Floats:
        x32 = np.asarray(x, np.float32)
        n = (len(x32) - MEL_WINDOW) // MEL_HOP + 1
        if n < 1:
            return np.zeros((0, MELS), np.float32)
        frames = [self._mel.run(x32[None, i * MEL_HOP:i * MEL_HOP + MEL_WINDOW])[0, 0] for i in range(n)]
        return (np.concatenate(frames) / 10 + 2).astype(np.float32)  # openWakeWord's scaling
