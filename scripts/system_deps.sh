#!/usr/bin/env bash
# Make sure the system packages the tests use are present (Debian/Ubuntu names):
#   xvfb            - a real X server for the window tests
#   libegl1         - EGL, for offscreen GL (renders, pipeline tests)
#   libgl1-mesa-dri - Mesa's llvmpipe software renderer
#   jackd2          - a JACK server with the dummy driver, for real MIDI and audio ports
#   libportaudio2   - PortAudio (built with JACK), for sounddevice's audio input
#   sox             - makes the click tracks the audio tests play
#   xdotool         - real key presses into the performer window (the show-log replay test)
#   chromium        - a real browser for the web console tests (driven by playwright,
#   chromium-driver   which never downloads a browser of its own)
# Installs them with apt-get when running as root; otherwise prints the exact command and
# fails, because a test that silently skips proves nothing.
set -euo pipefail

missing=()
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1 ' || missing+=(libegl1)
compgen -G '/usr/lib/*/dri/swrast_dri.so' >/dev/null || compgen -G '/usr/lib/*/dri/llvmpipe_dri.so' >/dev/null \
  || compgen -G '/usr/lib/dri/swrast_dri.so' >/dev/null || missing+=(libgl1-mesa-dri)
command -v jackd >/dev/null 2>&1 || missing+=(jackd2)
ldconfig -p 2>/dev/null | grep -q 'libportaudio.so.2 ' || missing+=(libportaudio2)
command -v sox >/dev/null 2>&1 || missing+=(sox)
command -v xdotool >/dev/null 2>&1 || missing+=(xdotool)
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "missing system packages: ${missing[*]}" >&2
echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
exit 1
