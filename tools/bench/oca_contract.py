"""OCA ``contract`` (18.0) on the benchmark's database, for comparison: the ``odoo shell`` steps
that make N customer contracts across the E hubs (one monthly line each, next invoice today) for
contract's own recurring-invoice scheduled action (``contract.contract_cron_for_invoice``), which
tools/bench/driver.py triggers and times. ``contract_queue_job`` is installed too: its system
parameter ``contract.queue.job`` decides whether that action invoices in its own transaction
(``contracts``: contract's own code) or enqueues a job per contract (``contracts_queue_job``)."""

from odoo import fields

from .common import World, log


def contracts(env, as_job=False):
    """N contracts of the standing orders' customers, hubs and products (one line each)."""
    world, today = World.load(), fields.Date.today()
    hubs = env["res.company"].browse(world.hubs)
    customers = env["res.partner"].browse(world.customers)
    products = env["product.product"].browse(world.products)
    env["ir.config_parameter"].set_param("contract.queue.job", str(as_job))
    Contract = env["contract.contract"].with_context(
        # the start-of-contract e-mail to each customer is setup, not invoicing
        skip_modification_mail=True,
        tracking_disable=True,
    )
    label = "queue_job " if as_job else ""
    for index, customer in enumerate(customers):
        hub, product = hubs[index % len(hubs)], products[index % len(products)]
        Contract.with_company(hub).create(
            {
                "name": f"Bench {label}contract {index + 1:05d}",
                "partner_id": customer.id,
                "company_id": hub.id,
                "contract_type": "sale",
                "contract_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "name": product.name,
                            "quantity": 1 + index % 3,
                            "price_unit": product.lst_price,
                            "uom_id": product.uom_id.id,
                            "recurring_rule_type": "monthly",
                            "recurring_interval": 1,
                            "date_start": today,
                            "recurring_next_date": today,
                        },
                    )
                ],
            }
        )
        if (index + 1) % 100 == 0:
            env.cr.commit()  # pylint: disable=invalid-commit
    env.cr.commit()  # pylint: disable=invalid-commit
    log(f"{label}contract: {len(customers)} contracts ready")


def contracts_queue_job(env):
    contracts(env, as_job=True)
