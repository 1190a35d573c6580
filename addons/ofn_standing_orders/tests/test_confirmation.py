from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import StandingOrderChargeCase


@tagged("post_install", "-at_install")
class TestConfirmation(StandingOrderChargeCase):
    """After a cycle closes, each placed order is confirmed, invoiced, and what the customer's
    credit does not pay is charged to their card on the hub's own Stripe account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub_a, cls.manager_a, cls.account_a, cls.schedule_a = cls._setup_hub(
            "Confirm Hub A", "confirm_a_manager"
        )
        cls.account_a.write({"application_fee_percent": 2.0})
        cls.hub_b, cls.manager_b, cls.account_b, cls.schedule_b = cls._setup_hub(
            "Confirm Hub B", "confirm_b_manager"
        )
        cls._setup_products()  # after the charts of accounts: no default taxes

    def test_a_full_cycle_for_three_customers_at_two_hubs(self):
        ana = self._customer("Ana Full", [self.hub_a])
        ben = self._customer("Ben Full", [self.hub_a, self.hub_b])
        cleo = self._customer("Cleo Full", [self.hub_b])
        standing = (
            self._standing(ana, self.schedule_a, [(self.eggs, 2)])  # 9.00
            | self._standing(ben, self.schedule_a, [(self.veg_box, 1)])  # 18.25
            | self._standing(ben, self.schedule_b, [(self.eggs, 1), (self.veg_box, 2)])  # 41.00
            | self._standing(cleo, self.schedule_b, [(self.veg_box, 1)])  # 18.25
        )
        placed = self._placed_and_closed(self.schedule_a, self.schedule_b)
        self.assertEqual(placed.standing_order_id, standing)

        handled = self._confirm()

        self.assertEqual(handled, placed)
        self.assertEqual(set(placed.mapped("state")), {"paid"})
        for occurrence in placed:
            order, invoice = occurrence.sale_order_id, occurrence.invoice_id
            self.assertEqual(order.state, "sale")
            self.assertEqual(invoice.state, "posted")
            self.assertIn(invoice.payment_state, ("paid", "in_payment"), invoice.name)
            self.assertEqual(invoice.company_id, occurrence.company_id)
            tx = occurrence.transaction_ids
            self.assertEqual(len(tx), 1)
            self.assertEqual(tx.state, "done")
            self.assertEqual(
                tx.provider_id, occurrence.company_id.ofn_stripe_account_id.provider_id
            )
            self.assertEqual(tx.payment_id.reconciled_invoice_ids, invoice)
        # direct charges on each hub's own account, for the right amounts, A with its 2% fee
        on_a = {pi.amount: pi for pi in self._intents(self.account_a, placed)}
        on_b = {pi.amount: pi for pi in self._intents(self.account_b, placed)}
        self.assertEqual(sorted(on_a), [900, 1825])
        self.assertEqual(sorted(on_b), [1825, 4100])
        self.assertEqual({pi.status for pi in [*on_a.values(), *on_b.values()]}, {"succeeded"})
        self.assertEqual(on_a[1825].application_fee_amount, 37)  # 2% of 18.25, rounded
        self.assertFalse(on_b[4100].to_dict().get("application_fee_amount"))
        platform = self._sandbox_client().v1.payment_intents.list({"limit": 100}).data
        self.assertFalse(
            {pi.id for pi in platform} & {pi.id for pi in [*on_a.values(), *on_b.values()]}
        )
        # e-mails: every customer is told, each hub's managers get one summary
        for customer in (ana, ben, cleo):
            self.assertTrue(self._mails_to(customer, "is paid"), customer.name)
        for manager in (self.manager_a, self.manager_b):
            summary = self._mails_to(manager.partner_id, "Standing orders confirmed")
            self.assertEqual(len(summary), 1)
            self.assertIn("Paid: 2", summary.body_html)

    def test_one_message_per_order_and_event_and_no_noise(self):
        """The documents a close creates carry only what someone reads: the customer's
        messages on the order (placed, paid); no "created from" notes, tracking, "Invoice ...
        paid" note or followers on the order, its delivery, invoice and payment. Outside the
        engine, Odoo behaves as usual."""
        ivy = self._customer("Ivy Quiet", [self.hub_a])
        self._standing(ivy, self.schedule_a, [(self.eggs, 1)])
        occurrence = self._placed_and_closed(self.schedule_a)

        self._confirm()

        self.assertEqual(occurrence.state, "paid")
        order, invoice = occurrence.sale_order_id, occurrence.invoice_id
        payment = occurrence.transaction_ids.payment_id
        self.assertTrue(order.picking_ids and payment)
        told = order.message_ids.sorted("id")
        self.assertEqual(told.mapped("message_type"), ["comment", "comment"])
        self.assertEqual(told.partner_ids, ivy)
        self.assertIn("is placed", told[0].body)
        self.assertIn("paid", told[1].body)
        for document in (invoice, payment, *order.picking_ids):
            self.assertFalse(document.message_ids, document.display_name)
        for document in (order, invoice, payment, *order.picking_ids):
            self.assertFalse(document.message_partner_ids, document.display_name)

        by_hand = (
            self.env["sale.order"]
            .with_company(self.hub_a)
            .create(
                {
                    "partner_id": ivy.id,
                    "company_id": self.hub_a.id,
                    "order_line": [Command.create({"product_id": self.eggs.id})],
                }
            )
        )
        by_hand.action_confirm()
        self.assertIn(ivy, by_hand.message_partner_ids)
        notes = by_hand.picking_ids.message_ids.mapped("body")
        self.assertTrue(any("has been created from" in note for note in notes), notes)

    def test_the_customers_ranks_rise_together_once_per_invoice_and_payment(self):
        """Odoo raises a customer's rank by one locked update per invoice, and per payment,
        posted; the invoices of a chunk, and the payments booked together, raise their
        customers' ranks by one update per step."""
        ana = self._customer("Ana Rank", [self.hub_a])
        ben = self._customer("Ben Rank", [self.hub_a])
        cleo = self._customer("Cleo Rank", [self.hub_a])
        self._standing(ana, self.schedule_a, [(self.eggs, 1)])
        self._standing(ana, self.schedule_a, [(self.veg_box, 1)])
        self._standing(ben, self.schedule_a, [(self.eggs, 1)])
        self._standing(cleo, self.schedule_a, [(self.veg_box, 2)])
        before = {partner: partner.customer_rank for partner in ana | ben | cleo}
        placed = self._placed_and_closed(self.schedule_a)
        Partner = type(self.env["res.partner"])
        original, made = Partner._increase_rank, []

        def spy(partners, field, n=1):
            if not partners.env.context.get("ofn_defer_ranks"):
                made.append((field, n, frozenset(partners.ids)))
            return original(partners, field, n)

        with patch.object(Partner, "_increase_rank", spy):
            self._confirm()

        self.assertEqual(set(placed.mapped("state")), {"paid"})
        # the invoices posted, then the payments booked
        steps = [
            ("customer_rank", 2, frozenset(ana.ids)),
            ("customer_rank", 1, frozenset((ben | cleo).ids)),
        ]
        self.assertCountEqual(made, steps * 2)
        (ana | ben | cleo).invalidate_recordset(["customer_rank"])
        self.assertEqual(ana.customer_rank, before[ana] + 4)
        self.assertEqual(ben.customer_rank, before[ben] + 2)
        self.assertEqual(cleo.customer_rank, before[cleo] + 2)

    def test_without_analytic_distribution_models_none_is_searched_for(self):
        """Odoo searches the analytic distribution models for each line it fills (order,
        invoice and payment lines); the engine looks once per job whether there is any."""
        Model = type(self.env["account.analytic.distribution.model"])
        original, searched = Model.search, []

        def spy(models, domain, *args, **kwargs):
            searched.append(domain)
            return original(models, domain, *args, **kwargs)

        ana = self._customer("Ana Analytic", [self.hub_a])
        self._standing(ana, self.schedule_a, [(self.eggs, 1), (self.veg_box, 1)])
        self.env["account.analytic.distribution.model"].search([]).unlink()
        with patch.object(Model, "search", spy):
            placed = self._placed_and_closed(self.schedule_a)
            self._confirm()

        self.assertEqual(placed.state, "paid")
        self.assertEqual(searched, [])
        distributions = placed.sale_order_id.order_line.mapped("analytic_distribution")
        distributions += placed.invoice_id.line_ids.mapped("analytic_distribution")
        self.assertFalse(any(distributions))

    def test_a_hubs_analytic_distribution_model_applies_as_in_odoo(self):
        plan = self.env["account.analytic.plan"].create({"name": "Rounds"})
        account = self.env["account.analytic.account"].create(
            {"name": "Tuesday round", "plan_id": plan.id, "company_id": self.hub_a.id}
        )
        ana = self._customer("Ana Analytic", [self.hub_a])
        ben = self._customer("Ben Analytic", [self.hub_a])
        self.env["account.analytic.distribution.model"].create(
            {
                "partner_id": ana.id,
                "company_id": self.hub_a.id,
                "analytic_distribution": {str(account.id): 100},
            }
        )
        self._standing(ana, self.schedule_a, [(self.eggs, 1), (self.veg_box, 1)])
        self._standing(ben, self.schedule_a, [(self.eggs, 1)])

        placed = self._placed_and_closed(self.schedule_a)
        self._confirm()

        self.assertEqual(set(placed.mapped("state")), {"paid"})
        of_ana = placed.filtered(lambda o: o.partner_id == ana)
        distributions = of_ana.sale_order_id.order_line.mapped("analytic_distribution")
        distributions += of_ana.invoice_id.invoice_line_ids.mapped("analytic_distribution")
        self.assertEqual(distributions, [{str(account.id): 100}] * 4)
        of_ben = placed.filtered(lambda o: o.partner_id == ben)
        distributions = of_ben.sale_order_id.order_line.mapped("analytic_distribution")
        distributions += of_ben.invoice_id.invoice_line_ids.mapped("analytic_distribution")
        self.assertFalse(any(distributions))

    def test_each_product_ships_by_its_own_route_and_the_rules_are_found_once_per_batch(self):
        """Odoo looks the stock rules up for every order line it confirms; in a batch, the
        rules of one set of routes, warehouse and locations are looked up once, and a product
        with a route of its own still ships by that route."""
        warehouse = self.hub_a._ofn_warehouse()
        cold_room = self.env["stock.location"].create(
            {
                "name": "Cold room",
                "location_id": warehouse.view_location_id.id,
                "company_id": self.hub_a.id,
            }
        )
        route = self.env["stock.route"].create(
            {"name": "From the cold room", "product_selectable": True, "company_id": self.hub_a.id}
        )
        self.env["stock.rule"].create(
            {
                "name": "Cold room to customers",
                "route_id": route.id,
                "action": "pull",
                "procure_method": "make_to_stock",
                "location_src_id": cold_room.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "picking_type_id": warehouse.out_type_id.id,
                "warehouse_id": warehouse.id,
                "company_id": self.hub_a.id,
            }
        )
        self.eggs.route_ids = route
        for name in ("Ana Route", "Ben Route", "Cleo Route"):
            self._standing(
                self._customer(name, [self.hub_a]),
                self.schedule_a,
                [(self.eggs, 1), (self.veg_box, 1)],
            )
        Rule = type(self.env["stock.rule"])
        original, looked_up = Rule._read_group, []

        def spy(rules, domain, groupby=(), *args, **kwargs):
            if "location_dest_id" in groupby:
                looked_up.append(domain)
            return original(rules, domain, groupby, *args, **kwargs)

        placed = self._placed_and_closed(self.schedule_a)
        with patch.object(Rule, "_read_group", spy):
            self._confirm()

        self.assertEqual(set(placed.mapped("state")), {"paid"})
        moves = placed.sale_order_id.picking_ids.move_ids
        self.assertEqual(len(moves), 6)
        eggs = moves.filtered(lambda move: move.product_id == self.eggs)
        self.assertEqual(eggs.location_id, cold_room)
        self.assertEqual((moves - eggs).location_id, warehouse.lot_stock_id)
        self.assertEqual(len(looked_up), 2, "once for the eggs' route, once for the rest")

    def test_without_an_automatic_reordering_rule_none_is_searched_for(self):
        Orderpoint = type(self.env["stock.warehouse.orderpoint"])
        original, searched = Orderpoint.search, []

        def spy(orderpoints, domain, *args, **kwargs):
            searched.append(domain)
            return original(orderpoints, domain, *args, **kwargs)

        self._standing(self._customer("Ana Stock", [self.hub_a]), self.schedule_a, [(self.eggs, 2)])
        placed = self._placed_and_closed(self.schedule_a)
        with patch.object(Orderpoint, "search", spy):
            self._confirm()

        self.assertEqual(placed.state, "paid")
        self.assertEqual(placed.sale_order_id.picking_ids.move_ids.product_uom_qty, 2)
        self.assertEqual(searched, [])

    def test_a_hubs_automatic_reordering_rule_is_triggered_by_the_orders_confirmed(self):
        warehouse = self.hub_a._ofn_warehouse()
        self.eggs.is_storable = True
        orderpoint = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.eggs.id,
                "warehouse_id": warehouse.id,
                "location_id": warehouse.lot_stock_id.id,
                "company_id": self.hub_a.id,
                "trigger": "auto",
                "product_min_qty": 10,
                "product_max_qty": 50,
            }
        )
        self.env["stock.quant"]._update_available_quantity(self.eggs, warehouse.lot_stock_id, 40)
        self._standing(self._customer("Ana Stock", [self.hub_a]), self.schedule_a, [(self.eggs, 2)])
        placed = self._placed_and_closed(self.schedule_a)
        Orderpoint = type(orderpoint)
        with patch.object(Orderpoint, "_procure_orderpoint_confirm", autospec=True) as procure:
            self._confirm()

        self.assertEqual(placed.state, "paid")
        self.assertEqual([call.args[0] for call in procure.call_args_list], [orderpoint])

    def test_the_payments_outstanding_account_is_the_one_odoo_gives(self):
        """The engine's payments are booked in the outstanding account Odoo's own payment flow
        gives them: the provider's payment method's own, when it has one, else the
        company's."""
        ana = self._customer("Ana Outstanding", [self.hub_a])
        ben = self._customer("Ben Outstanding", [self.hub_b])
        self._standing(ana, self.schedule_a, [(self.eggs, 1)])
        self._standing(ben, self.schedule_b, [(self.eggs, 1)])
        provider_b = self.account_b.provider_id
        method_b = provider_b.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == provider_b
        )
        own = self.env["account.account"].create(
            {
                "name": "Stripe payments in transit",
                "code": "101999",
                "account_type": "asset_current",
                "reconcile": True,
                "company_ids": [Command.set(self.hub_b.ids)],
            }
        )
        method_b.payment_account_id = own
        placed = self._placed_and_closed(self.schedule_a, self.schedule_b)

        self._confirm()

        self.assertEqual(set(placed.mapped("state")), {"paid"})
        payment_a = placed.filtered(lambda o: o.partner_id == ana).transaction_ids.payment_id
        payment_b = placed.filtered(lambda o: o.partner_id == ben).transaction_ids.payment_id
        self.assertEqual(
            payment_a.outstanding_account_id, payment_a._get_outstanding_account("inbound")
        )
        self.assertEqual(payment_b.outstanding_account_id, own)
        for payment in payment_a | payment_b:
            self.assertIn(payment.outstanding_account_id, payment.move_id.line_ids.account_id)
            self.assertTrue(payment.is_reconciled)

    def test_the_invoices_portal_token_is_made_with_the_invoice(self):
        """The paid e-mail links to the invoice on the portal: the link's token is made with
        the invoice, not written on each invoice when its e-mail is rendered (which made Odoo
        check and synchronize the whole entry again)."""
        Move = type(self.env["account.move"])
        original, written = Move.write, []

        def spy(moves, vals):
            if "access_token" in vals:
                written.append(moves.ids)
            return original(moves, vals)

        ivy = self._customer("Ivy Token", [self.hub_a])
        self._standing(ivy, self.schedule_a, [(self.eggs, 1)])
        occurrence = self._placed_and_closed(self.schedule_a)
        with patch.object(Move, "write", spy):
            self._confirm()

        self.assertEqual(occurrence.state, "paid")
        invoice = occurrence.invoice_id
        self.assertTrue(invoice.access_token)
        self.assertEqual(written, [])
        [mail] = self._mails_to(ivy, "is paid")
        self.assertIn(f"access_token={invoice.access_token}", mail.body_html)

    def test_credit_pays_first_and_the_card_the_rest(self):
        dora = self._customer("Dora Credit", [self.hub_a])
        self.env["ofn.wallet.transaction"].adjust(dora, self.hub_a, 5.0, "Goodwill")
        self._standing(dora, self.schedule_a, [(self.veg_box, 1)])
        occurrence = self._placed_and_closed(self.schedule_a)

        self._confirm()

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual([pi.amount for pi in self._intents(self.account_a, occurrence)], [1325])
        self.assertEqual(self.env["ofn.wallet.transaction"].balance(dora, self.hub_a), 0.0)
        self.assertEqual(occurrence.invoice_id.payment_state, "paid")

    def test_credit_paying_everything_charges_nothing(self):
        emil = self._customer("Emil Credit", [self.hub_a])
        self.env["ofn.wallet.transaction"].adjust(emil, self.hub_a, 50.0, "Prepaid")
        self._standing(emil, self.schedule_a, [(self.eggs, 1)])
        occurrence = self._placed_and_closed(self.schedule_a)

        self._confirm()

        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.transaction_ids)
        self.assertEqual(self._intents(self.account_a, occurrence), [])
        self.assertEqual(self.env["ofn.wallet.transaction"].balance(emil, self.hub_a), 45.5)

    def test_pay_on_invoice_is_invoiced_and_never_charged(self):
        fay = self._customer("Fay Invoice", [self.hub_a])
        self._standing(fay, self.schedule_a, [(self.eggs, 1)], payment_mode="invoice")
        occurrence = self._placed_and_closed(self.schedule_a)

        self._confirm()

        self.assertEqual(occurrence.state, "confirmed")
        self.assertEqual(occurrence.invoice_id.payment_state, "not_paid")
        self.assertFalse(occurrence.next_charge_at)
        self.assertEqual(self._intents(self.account_a, occurrence), [])
        self.assertTrue(self._mails_to(fay, "Your invoice"))

    def test_an_open_cycle_is_not_confirmed(self):
        gus = self._customer("Gus Open", [self.hub_a])
        self._standing(gus, self.schedule_a, [(self.eggs, 1)])
        self._open_cycle(self.schedule_a)
        occurrence = self._place()

        self._confirm()

        self.assertEqual(occurrence.state, "placed")
        self.assertEqual(occurrence.sale_order_id.state, "draft")

    def test_a_second_run_does_nothing_more(self):
        hal = self._customer("Hal Twice", [self.hub_a])
        self._standing(hal, self.schedule_a, [(self.eggs, 1)])
        occurrence = self._placed_and_closed(self.schedule_a)
        self._confirm()

        self.assertFalse(self._confirm())

        self.assertEqual(occurrence.state, "paid")
        self.assertEqual(len(self._intents(self.account_a, occurrence)), 1)
        self.assertEqual(len(occurrence.sale_order_id.invoice_ids), 1)

    def test_an_order_that_cannot_be_invoiced_is_reported_once_and_tried_again(self):
        jon = self._customer("Jon Stuck", [self.hub_a])
        self._standing(jon, self.schedule_a, [(self.eggs, 2)])
        occurrence = self._placed_and_closed(self.schedule_a)
        SaleOrder = type(self.env["sale.order"])
        refusal = UserError("No journal to invoice with")

        with (
            patch.object(SaleOrder, "_create_invoices", autospec=True, side_effect=refusal),
            self.assertLogs(
                "odoo.addons.ofn_standing_orders.models.ofn_standing_order_occurrence", "WARNING"
            ),
        ):
            self._confirm()
            self._confirm()

        self.assertEqual(occurrence.state, "placed", "rolled back: tried again by the next run")
        self.assertEqual(occurrence.sale_order_id.state, "draft")
        self.assertTrue(occurrence.needs_attention)
        self.assertIn("No journal to invoice with", occurrence.failure_message)
        summaries = self._mails_to(self.manager_a.partner_id, "Standing orders confirmed")
        self.assertEqual(len(summaries), 1, "told once, not by every run")
        self.assertIn("Could not be confirmed", summaries.body_html)

        self._confirm()

        self.assertEqual(occurrence.state, "paid")
        self.assertFalse(occurrence.needs_attention)
        self.assertFalse(occurrence.failure_message)

    def test_one_order_that_cannot_be_invoiced_holds_back_none_of_its_chunk(self):
        """The chunk's batch fails because of one order: it is split until that order is
        alone; it is marked with its reason and the others of the chunk are paid."""
        names = ["Kai Chunk", "Lea Chunk", "Max Chunk", "Noa Chunk", "Oli Chunk"]
        customers = [self._customer(name, [self.hub_a]) for name in names]
        for customer in customers:
            self._standing(customer, self.schedule_a, [(self.eggs, 1)])
        placed = self._placed_and_closed(self.schedule_a)
        bad = placed.filtered(lambda o: o.partner_id == customers[2])
        SaleOrder = type(self.env["sale.order"])
        create_invoices = SaleOrder._create_invoices

        def refuse_the_bad_one(orders, *args, **kwargs):
            if bad.sale_order_id in orders:
                raise UserError(self.env._("No journal to invoice with"))
            return create_invoices(orders, *args, **kwargs)

        with (
            patch.object(
                SaleOrder, "_create_invoices", autospec=True, side_effect=refuse_the_bad_one
            ),
            self.assertLogs(
                "odoo.addons.ofn_standing_orders.models.ofn_standing_order_occurrence", "WARNING"
            ) as logs,
        ):
            self._confirm()

        self.assertEqual(len(placed), 5)
        self.assertEqual(set((placed - bad).mapped("state")), {"paid"})
        self.assertEqual(len(self._intents(self.account_a, placed - bad)), 4)
        self.assertEqual(bad.state, "placed", "left as it was, tried again by the next run")
        self.assertEqual(bad.sale_order_id.state, "draft")
        self.assertTrue(bad.needs_attention)
        self.assertIn("No journal to invoice with", bad.failure_message)
        self.assertEqual(len(logs.records), 1, "only the bad order is reported")
        summary = self._mails_to(self.manager_a.partner_id, "Standing orders confirmed")
        self.assertEqual(len(summary), 1)
        self.assertIn("Max Chunk", summary.body_html)
        self.assertIn("Paid: 4", summary.body_html)

    def test_the_cycle_shows_its_progress_and_its_jobs(self):
        pia = self._customer("Pia Progress", [self.hub_a])
        quin = self._customer("Quin Progress", [self.hub_a])
        self._standing(pia, self.schedule_a, [(self.eggs, 1)])
        self._standing(quin, self.schedule_a, [(self.eggs, 2)], payment_mode="invoice")
        placed = self._placed_and_closed(self.schedule_a)
        cycle = placed.cycle_id
        self.assertEqual(cycle.progress, 0.0, "closed, nothing confirmed yet")
        self.assertEqual(cycle.progress_counts, "Placed: 2")

        # a job stored as the cron stores it (not run here): the cycle counts it
        job = placed[:1].with_delay()._confirm_chunk().db_record()
        cycle.invalidate_recordset()
        self.assertEqual((cycle.jobs_queued, cycle.jobs_running, cycle.jobs_failed), (1, 0, 0))
        job.write({"state": "failed"})
        cycle.invalidate_recordset()
        self.assertEqual((cycle.jobs_queued, cycle.jobs_failed), (0, 1))
        action = cycle.action_view_failed_jobs()
        self.assertEqual(self.env["queue.job"].search(action["domain"]), job)
        job.unlink()

        self._confirm()

        cycle.invalidate_recordset()
        self.assertEqual(cycle.progress, 100.0, "paid by card, and invoiced to pay on invoice")
        self.assertEqual(cycle.progress_counts, "Invoiced: 1, Paid: 1")
