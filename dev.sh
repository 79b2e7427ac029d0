#!/usr/bin/env bash
# passkiosk developer entry point: sets up a Debian 12 machine (as root) and runs the demo or tests.
#   ./dev.sh demo    install everything, start the kiosk demo (virtual screen + screenshots if no display)
#   ./dev.sh test    install everything, run the quality gates and the whole test suite
#   ./dev.sh setup   install only
#   ./dev.sh loadtest [ARGS]  10,000 simulated kiosks against PostgreSQL + nginx + two replicas
set -euo pipefail
cd "$(dirname "$0")"
here=$PWD
venv=$here/.venv

# Why each package: Qt offscreen (libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0
# libdbus-1-3), QtMultimedia backend (libpulse0 libxrandr2), Chinese glyphs (fonts-noto-cjk),
# a real window on a virtual screen (xvfb xauth libxcb-*), pyzbar (libzbar0), pyscard build
# (gcc python3-dev libpcsclite-dev swig), real PC/SC stack for tests (pcscd vsmartcard-vpcd
# python3-virtualsmartcard), PDF rasterising in tests (poppler-utils), real X key events for the
# scanner-wedge test (libxtst6), the printed card's Chinese font on the service side
# (fonts-wqy-zenhei: a TrueType collection reportlab can embed), the service's database and
# load balancer, started by tests in temp folders (postgresql nginx), the kiosk's voice prompts
# generated reproducibly (espeak-ng), a real PulseAudio null sink that tests record the kiosk's
# sound from (pulseaudio pulseaudio-utils).
APT_PACKAGES=(
  python3 python3-venv python3-dev gcc swig libpcsclite-dev
  libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3 libpulse0 libxrandr2
  fonts-noto-cjk xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
  libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
  libzbar0 pcscd vsmartcard-vpcd python3-virtualsmartcard poppler-utils procps libxtst6 fonts-wqy-zenhei
  postgresql nginx
  espeak-ng pulseaudio pulseaudio-utils
  chromium chromium-driver  # the web console's browser tests (Selenium; no browser download)
  x11-utils  # xwininfo: the full-screen test reads the kiosk's window from a bare X server
  make debootstrap cage xwayland grim  # `make bundle`/`make deb`; a fresh Debian 12 root the .deb test installs into; the kiosk's cage session (cage needs Xwayland) and its screenshot
)

install_system() {
  # Services run as their own users (PostgreSQL in the tests, apt's downloads, the kiosk's user):
  # a root folder only root may enter, as some minimal images ship it, stops them all.
  if [ $(( 0$(stat -c %a /) & 05 )) -ne 5 ]; then
    echo "==> chmod a+rx / (was $(stat -c %a /): other users could not reach any file)"
    chmod a+rx /
  fi
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_python() {
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv"
    /usr/bin/python3 -m venv "$venv"
  fi
  echo "==> pip install (constraints.txt)"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -c constraints.txt -e ".[test]"
  # Debian's virtualsmartcard module (used only by tests to emulate an ID card) lives outside
  # sys.path; a .pth file makes it importable in the venv.
  local site
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo /usr/lib/python3/site-packages/virtualsmartcard > "$site/debian-virtualsmartcard.pth"
}

run_tests() {
  export QT_QPA_PLATFORM=offscreen
  echo "==> ruff"; "$venv/bin/ruff" check .
  echo "==> mypy"; "$venv/bin/mypy" codes readers sync kiosk service
  echo "==> import-linter"; "$venv/bin/lint-imports"
  echo "==> pytest"; "$venv/bin/pytest" "$@"
}

run_demo() {
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    exec "$venv/bin/passkiosk" demo "$@"
  fi
  local shots=$here/demo-screenshots
  echo "==> no display: running the demo on a virtual screen, screenshots in $shots"
  exec xvfb-run -a -s "-screen 0 1920x1080x24" "$venv/bin/passkiosk" demo --headless --screenshots "$shots" "$@"
}

cmd=${1:-}; shift || true
case "$cmd" in
  setup) install_system; install_python ;;
  test)  install_system; install_python; run_tests "$@" ;;
  demo)  install_system; install_python; run_demo "$@" ;;
  loadtest) install_system; install_python; "$venv/bin/python" bench/loadtest.py "$@" ;;
  *) echo "usage: $0 demo|test|setup|loadtest"; exit 2 ;;
esac
