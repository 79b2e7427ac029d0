# Kiosk packaging: `make bundle` (PyInstaller one-folder bundle) and `make deb` (Debian package).
# Both write under $(DIST) (default dist/); the bundle is rebuilt only when a kiosk-side source,
# asset or the spec changed, so `make deb` right after `make bundle` packages that same bundle.
PYTHON ?= .venv/bin/python
DIST ?= dist
WORK ?= build/pyinstaller
VERSION := $(shell $(PYTHON) -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
SOURCES := $(shell find codes readers sync kiosk assets -type f ! -path '*/__pycache__/*') \
	packaging/passkiosk.spec packaging/entry.py
DEB_FILES := $(shell find packaging/deb -type f)

.PHONY: bundle deb clean-dist
bundle: $(DIST)/passkiosk/passkiosk
deb: $(DIST)/passkiosk_$(VERSION)_amd64.deb

$(DIST)/passkiosk/passkiosk: $(SOURCES)
	$(PYTHON) -m PyInstaller --noconfirm --clean --log-level WARN \
	  --distpath $(DIST) --workpath $(WORK) packaging/passkiosk.spec
	touch $@

$(DIST)/passkiosk_$(VERSION)_amd64.deb: $(DIST)/passkiosk/passkiosk $(DEB_FILES) packaging/build-deb
	packaging/build-deb $(DIST)/passkiosk $(VERSION) $@

clean-dist:
	rm -rf $(DIST)/passkiosk $(DIST)/passkiosk_*.deb $(WORK)
