#!/usr/bin/env bash
# Set-up and everyday tasks, on a fresh Debian or Ubuntu machine as on a developer's.
#   ./dev.sh run [ARGS...]   system packages, a virtual environment, then `crampvoice run ARGS`
#   ./dev.sh test            the same set-up plus test tools, then lint and every test
#   ./dev.sh bench           the benchmarks in bench/, printed as a table
#   ./dev.sh bench listen    listening against stock SpeechRecognition (bench tune: the knobs)
#   ./dev.sh bench load      speech heard and first sound with busy loops on every core
#   ./dev.sh bench personal  the personal recogniser on real people, beside the ways without it
#   ./dev.sh bench hour      false accepts an hour of talk and noise, personal model on
#   ./dev.sh bench standby   false starts an hour and start phrases caught in noise (standby)
#   ./dev.sh bench gate      the phrase gate alone in noise, and against its takes in the room's noise
#   ./dev.sh bench live      CPU while listening live, in silence and with talk, each way of hearing
#   ./dev.sh bench embed     the speech embedding's CPU per utterance, on XNNPACK and on plain kernels
#   ./dev.sh bench decide    how soon a command is acted on after speech ends, beside the stock way
#   ./dev.sh bench general   the general recogniser (Moonshine, else pocketsphinx + verifier) beside today's
#   ./dev.sh bench bargein   'stop' said over its own speech, through each echo canceller (libspeexdsp1; livekit optional)
#   ./dev.sh bench interrupt stop speaking when a voice not its own is heard over it, then hear the word
#   ./dev.sh bench diary     writing events and reading a 10 000-episode diary, beside JSONL event logs
#   ./dev.sh bank            makes the personal recogniser's negatives (src/crampvoice/listen/negatives.npz)
#   ./dev.sh verifier        trains the out-of-the-box verifier (src/crampvoice/listen/verifier.npz)
#   ./dev.sh bench verify    pocketsphinx alone, checked by the verifier, and the stock way, held-out speakers
#   ./dev.sh lint            ruff, mypy and the core's import contract only
# System packages are installed when we are root (or have password-less sudo) and they are
# missing; otherwise the exact command to type is printed.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
# Speech out and in, and the virtual audio device the tests use. Text and keys work without them.
# libspeexdsp1: the echo canceller that listening while it speaks needs (listen_while_speaking: yes).
AUDIO_PACKAGES=(espeak-ng libespeak-ng1 libportaudio2 libpulse0 flac pulseaudio pulseaudio-utils libasound2-plugins
                alsa-utils sox libspeexdsp1)

# For the tests only: systemd-analyze checks the unit `crampvoice standby --install` writes.
TEST_PACKAGES=(systemd)

say() { printf '%s\n' "$*" >&2; }

missing_packages() {
  command -v dpkg-query >/dev/null || return 0
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || printf '%s\n' "$p"
  done
}

# install_packages REQUIRED PACKAGE...: returns 1 when some are missing and cannot be installed.
install_packages() {
  local required=$1; shift
  local missing
  mapfile -t missing < <(missing_packages "$@")
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo); else
      say "These system packages are missing: ${missing[*]}"
      say "Install them with: sudo apt-get install -y ${missing[*]}"
      [ "$required" = required ] && return 1
      say "Carrying on without them: crampvoice will use text and keys where it needs them."
      return 0
    fi
  fi
  say "Installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_ok() {
  "$PYTHON" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}

ensure_python() {
  if ! python_ok; then
    install_packages required python3 python3-venv python3-dev
    python_ok || { say "crampvoice needs Python 3.11 or newer with venv (python3-venv); $PYTHON is not."; exit 1; }
  fi
}

# ensure_venv [dev]: (re)installs the package when pyproject.toml changed since the last time;
# an install with the test tools serves `run` too.
ensure_venv() {
  local want=${1:-} hash
  hash=$(sha1sum < pyproject.toml | cut -c1-12)
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  [ -f "$VENV/.installed-$hash-dev" ] && return 0
  [ -z "$want" ] && [ -f "$VENV/.installed-$hash" ] && return 0
  local extras=""
  [ -n "$want" ] && extras="[dev]"
  say "Installing crampvoice$extras into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/python" -m pip install -q -e ".$extras"
  rm -f "$VENV"/.installed-*
  touch "$VENV/.installed-$hash${want:+-dev}"
}

# ruff, mypy, and import-linter's contract that the core does no I/O and imports no adapter.
lint() {
  "$VENV/bin/ruff" check src tests bench
  "$VENV/bin/mypy"
  "$VENV/bin/lint-imports" --no-cache
}

# The YAML language server the editor tests drive (tests/lsp.py), installed with npm where Node is;
# without Node those tests are skipped and say why.
ensure_yaml_server() {
  "$VENV/bin/python" -c 'import sys; from tests import lsp; r = lsp.install(); print(r, file=sys.stderr) if isinstance(r, str) else None'
}

task=${1:-run}
[ $# -gt 0 ] && shift
case "$task" in
  run)
    ensure_python
    install_packages optional "${AUDIO_PACKAGES[@]}"
    ensure_venv
    exec "$VENV/bin/crampvoice" run "$@"
    ;;
  test)
    ensure_python
    install_packages required "${AUDIO_PACKAGES[@]}"
    install_packages optional "${TEST_PACKAGES[@]}"
    ensure_venv dev
    lint
    ensure_yaml_server
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  bench)
    ensure_python
    install_packages optional "${AUDIO_PACKAGES[@]}"
    ensure_venv dev
    case "${1:-}" in
      load) exec "$VENV/bin/python" "bench/$1.py" "${@:2}" ;;  # it sets the priorities it measures
      listen|tune|personal|hour|standby|gate|diary|verify|live|embed|decide|general|bargein|loopback|interrupt) exec nice "$VENV/bin/python" "bench/$1.py" "${@:2}" ;;
      *) exec "$VENV/bin/python" bench/run.py "$@" ;;
    esac
    ;;
  bank)
    ensure_python
    install_packages required espeak-ng
    ensure_venv
    exec nice "$VENV/bin/python" bench/bank.py
    ;;
  verifier)
    ensure_python
    install_packages required espeak-ng sox
    ensure_venv
    exec nice "$VENV/bin/python" bench/verifier.py "$@"
    ;;
  lint)
    ensure_python
    ensure_venv dev
    lint
    ;;
  *)
    say "usage: ./dev.sh run [SCRIPT] [--text ...] | test [PYTEST ARGS] | bench [listen|tune|personal|hour|standby|gate|diary|verify|live|embed|decide|general|bargein|loopback|interrupt|load] | bank | verifier | lint"
    exit 2
    ;;
esac
