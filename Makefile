# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
# Everything is done by tools/ofn.sh; these targets only name its commands.
.PHONY: help setup demo test lint i18n run bench pg-start pg-stop clean

help:
	@echo "make demo   - PostgreSQL + local Stripe + demo database, Odoo on http://127.0.0.1:8069"
	@echo "make test   - fresh test database with the addons, then every test (ARGS='path::test' for one)"
	@echo "make lint   - pre-commit: ruff and pylint-odoo; the .pot files up to date, the .po files complete"
	@echo "make i18n   - export each addon's i18n/<addon>.pot with Odoo, merge it into its fr/es/de.po"
	@echo "make bench  - N standing orders across E hubs through the cycle-close crons of a running Odoo"
	@echo "              server, vs OCA contract and contract_queue_job (N=500 E=20 WORKERS=4 by default;"
	@echo "              LATENCY_MS=n adds n ms to every Stripe call of the timed phases)"
	@echo "make setup  - only install what is missing (Debian packages, .venv, Odoo 18.0)"
	@echo "make run    - Odoo against real Stripe, configured by config/.env"
	@echo "make clean  - stop PostgreSQL and delete .run/ (databases, sandbox state, logs)"

setup:
	@tools/ofn.sh setup

demo:
	@tools/ofn.sh demo

test:
	@tools/ofn.sh test $(ARGS)

lint:
	@tools/ofn.sh lint

i18n:
	@tools/ofn.sh i18n

run:
	@tools/ofn.sh run

bench:
	@N="$(N)" E="$(E)" LATENCY_MS="$(LATENCY_MS)" WORKERS="$(WORKERS)" PROFILE="$(PROFILE)" tools/ofn.sh bench

pg-start:
	@tools/ofn.sh pg-start

pg-stop:
	@tools/ofn.sh pg-stop

clean: pg-stop
	rm -rf .run
