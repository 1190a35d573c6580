# Read by `odoo shell` (tools/ofn.sh bench, tools/bench/driver.py), which provides `env`:
# runs the untimed step OFN_BENCH_STEP of the benchmark.
import os

from bench import oca_contract, scenario

env = globals()["env"]
step = {
    "setup": scenario.setup,
    "close_cycles": scenario.close_cycles,
    "contracts": oca_contract.contracts,
    "contracts_queue_job": oca_contract.contracts_queue_job,
}[os.environ["OFN_BENCH_STEP"]]
step(env)
env.cr.commit()  # pylint: disable=invalid-commit
env.registry.signal_changes()  # the server's workers drop their caches (system parameters)
