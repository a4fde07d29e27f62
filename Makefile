# yiyang: `make demo` sets everything up and runs the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
VENDOR := src/yiyang/static/vendor
DEMO_DB ?= var/demo.sqlite3
ELDERS ?= 20000

.PHONY: demo test install system assets translations messages lint check clean

$(BIN)/yiyang: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/yiyang assets translations

node_modules/.package-lock.json: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.package-lock.json
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/@alpinejs/csp/dist/cdn.min.js $(VENDOR)/alpine-csp.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR)/swagger-ui/

translations: $(BIN)/yiyang
	$(BIN)/pybabel compile --use-fuzzy -d src/yiyang/locale -D messages --statistics 2>&1 | tail -1

# Re-extract N_()/_()/t() strings (babel.cfg) and merge them into the zh_CN catalogue; then
# translate the new empty entries in src/yiyang/locale/zh_CN/LC_MESSAGES/messages.po.
messages: $(BIN)/yiyang
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NN_:1,2 -k t --no-location --sort-output --project yiyang \
	  --version 0.1.0 --copyright-holder "yiyang contributors" -o src/yiyang/locale/messages.pot . >/dev/null
	$(BIN)/pybabel update -i src/yiyang/locale/messages.pot -d src/yiyang/locale -D messages \
	  --no-fuzzy-matching --ignore-obsolete --width 100

demo: install
	YIYANG_DATABASE_URL=$${YIYANG_DATABASE_URL:-sqlite:///$(DEMO_DB)} $(BIN)/yiyang demo --elders $(ELDERS)

# Debian's chromium, a Chinese font and mosquitto (installed when missing, as root); the
# broker (and PostgreSQL when YIYANG_DATABASE_URL names it) started when not running.
system:
	scripts/system-packages.sh

test: install system
	$(BIN)/pytest -q $(PYTEST_ARGS)

lint: $(BIN)/yiyang
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
