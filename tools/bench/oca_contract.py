"""OCA ``contract`` (18.0) on the benchmark's database, for comparison: N customer contracts
across the E hubs (one monthly line each, next invoice today), invoiced by its recurring-invoice
job (``contract.contract.cron_recurring_create_invoice``: draft invoices), then posted."""

from odoo import fields


def run(env, params, world, meter, log):
    """Sets up (not timed), runs the two timed phases into ``meter``; returns problems found.
    The contracts are the standing orders' customers, hubs and products (one line each)."""
    today = fields.Date.today()
    hubs, customers, products = world.hubs, world.customers, world.products
    Contract = env["contract.contract"].with_context(
        # the start-of-contract e-mail to each customer is setup, not invoicing
        skip_modification_mail=True,
        tracking_disable=True,
    )
    for index in range(params.n):
        hub = hubs[index % len(hubs)]
        product = products[index % len(products)]
        Contract.with_company(hub).create(
            {
                "name": f"Bench contract {index + 1:05d}",
                "partner_id": customers[index % len(customers)].id,
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
    contracts = env["contract.contract"].search([("name", "like", "Bench contract %")])
    log(f"contract: {len(contracts)} contracts ready")
    before = set(env["account.move"].search([("move_type", "=", "out_invoice")]).ids)
    env.invalidate_all()

    with meter.phase("contract: invoices (cron)", unit="invoice") as phase:
        env["contract.contract"].cron_recurring_create_invoice()
        env.cr.commit()  # pylint: disable=invalid-commit
        moves = env["account.move"].search(
            [("move_type", "=", "out_invoice"), ("id", "not in", list(before))]
        )
        phase.orders = len(moves)
    log(f"contract: {phase.orders} invoices created in {phase.seconds:.1f}s")
    env.invalidate_all()

    with meter.phase("contract: post", unit="invoice") as phase:
        moves = env["account.move"].browse(moves.ids)
        moves.filtered(lambda move: move.state == "draft").action_post()
        env.cr.commit()  # pylint: disable=invalid-commit
        phase.orders = len(moves)
    log(f"contract: {phase.orders} invoices posted in {phase.seconds:.1f}s")

    problems = []
    env.invalidate_all()
    moves = env["account.move"].browse(moves.ids)
    posted = moves.filtered(lambda move: move.state == "posted")
    if len(moves) != params.n or len(posted) != params.n:
        problems.append(
            f"contract: expected {params.n} posted invoices, found {len(moves)} "
            f"({len(posted)} posted)"
        )
    return problems
