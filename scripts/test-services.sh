# Sourced by test.sh: a PulseAudio null sink as a virtual microphone, and an Xvfb screen.
# Each is started only when it is not already running.
if command -v pulseaudio >/dev/null 2>&1; then
  if ! pactl info >/dev/null 2>&1; then
    pulseaudio -D --exit-idle-time=-1 --system=false --disallow-exit >/dev/null 2>&1 || true
    for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  if ! pactl list short sinks 2>/dev/null | grep -q vsink; then
    pactl load-module module-null-sink sink_name=vsink >/dev/null
  fi
  pactl set-default-sink vsink
  pactl set-default-source vsink.monitor
fi
if command -v Xvfb >/dev/null 2>&1 && [ -z "${DISPLAY:-}" ]; then
  Xvfb :99 -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  export DISPLAY=:99
  for _ in $(seq 50); do [ -e /tmp/.X11-unix/X99 ] && break; sleep 0.1; done
fi
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
