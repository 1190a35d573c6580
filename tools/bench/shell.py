# Read by `odoo shell` (tools/ofn.sh bench), which provides `env`.
from bench.scenario import main

main(globals()["env"])
