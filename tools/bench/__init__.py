"""``make bench`` (ARCHITECTURE.md §6): the cycle-close scenario timed, run in ``odoo shell`` by
tools/ofn.sh (see scenario.py), with OCA contract for comparison (oca_contract.py)."""
