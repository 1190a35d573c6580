from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.ofn_stripe_connect.tests.common import new_hub_manager

from ..lookups import FOUND
from .test_standing_orders import StandingOrderCommon


@tagged("post_install", "-at_install")
class TestPlacement(StandingOrderCommon):
    """The placement job turns each active standing order of an open cycle into an order."""

    def _open_cycle(self):
        now = fields.Datetime.now()
        return self.env["ofn.order.cycle"].create(
            {
                "company_id": self.hub.id,
                "schedule_id": self.schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
        )

    def _occurrence(self, order, cycle):
        return order.occurrence_ids.filtered(lambda o: o.cycle_id == cycle)

    def test_an_order_is_placed_and_the_customer_told(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        occurrence = self._occurrence(standing, cycle)
        self.assertEqual(occurrence.state, "planned")
        self._place()
        self.assertEqual(occurrence.state, "placed")
        order = occurrence.sale_order_id
        self.assertEqual(order.company_id, self.hub)
        self.assertEqual(order.partner_id, self.customer)
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in order.order_line],
            [(self.product, 2.0)],
        )
        told = order.message_ids.filtered(lambda m: self.customer in m.partner_ids)
        self.assertIn("is placed for this cycle", told.body)
        self.assertIn(order.get_portal_url().split("?")[0], told.body)

    def test_the_orders_are_numbered_by_the_hubs_sale_order_sequence(self):
        """Numbered as Odoo numbers a hub's quotations, one number each, none lost (the
        sequence is found once per job)."""
        self._open_cycle()
        self._order(start_date=fields.Date.today(), end_date=False)
        other = self.customer.copy({"name": "Second Numbered Customer"})
        self._order(start_date=fields.Date.today(), end_date=False, partner_id=other.id)
        sequence = self.env["ir.sequence"].search(
            [("code", "=", "sale.order"), ("company_id", "in", [self.hub.id, False])],
            order="company_id",
            limit=1,
        )
        first = sequence.number_next_actual
        Sequence = type(sequence)
        original, drawn = Sequence._next, []

        def spy(sequences, *args, **kwargs):
            drawn.append(original(sequences, *args, **kwargs))
            return drawn[-1]

        with patch.object(Sequence, "_next", spy):
            orders = self._place().sale_order_id

        self.assertGreaterEqual(len(orders), 2)
        self.assertEqual(sorted(orders.mapped("name")), sorted(drawn))
        self.assertEqual(
            sorted(drawn), [sequence.get_next_char(n) for n in range(first, first + len(drawn))]
        )

    def test_a_pricelist_rule_prices_each_order_by_its_quantity(self):
        """The hub's pricelist prices each order as Odoo does (a rule from 3 boxes applies to
        the order of 3, not to the order of 1), its rules searched once per batch."""
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Standing Hub prices",
                "company_id": self.hub.id,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.product.id,
                            "min_quantity": 3,
                            "compute_price": "percentage",
                            "percent_price": 10,
                        }
                    )
                ],
            }
        )
        other = self.customer.copy({"name": "Second Priced Customer"})
        for customer in (self.customer, other):
            customer.with_company(self.hub).property_product_pricelist = pricelist
        cycle = self._open_cycle()
        three = self._order(start_date=fields.Date.today(), end_date=False)
        three.line_ids.quantity = 3
        one = self._order(start_date=fields.Date.today(), end_date=False, partner_id=other.id)
        one.line_ids.quantity = 1
        Item = type(self.env["product.pricelist.item"])
        original, searched = Item.search, []

        def spy(items, domain, *args, **kwargs):
            if ("pricelist_id", "=", pricelist.id) in domain and FOUND in items.env.cr.cache:
                searched.append(id(items.env.cr.cache[FOUND]))  # in a placement's batch
            return original(items, domain, *args, **kwargs)

        with patch.object(Item, "search", spy):
            self._place()

        line_of_three = self._occurrence(three, cycle).sale_order_id.order_line
        line_of_one = self._occurrence(one, cycle).sale_order_id.order_line
        self.assertEqual(line_of_three.pricelist_item_id, pricelist.item_ids)
        self.assertAlmostEqual(line_of_three.price_unit, 4.05)
        self.assertFalse(line_of_one.pricelist_item_id)
        self.assertAlmostEqual(line_of_one.price_unit, 4.5)
        self.assertTrue(searched)
        self.assertEqual(len(searched), len(set(searched)), "once per batch")

    def test_placing_twice_places_once(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        self._place()
        self.assertFalse(self._place(), "nothing left to place")
        self.assertEqual(len(self._occurrence(standing, cycle).sale_order_id), 1)

    def test_nothing_to_order_is_reported_not_placed(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        self.product.active = False
        self._place()
        occurrence = self._occurrence(standing, cycle)
        self.assertEqual(occurrence.state, "empty")
        self.assertFalse(occurrence.sale_order_id)

    def test_the_hubs_managers_get_one_summary(self):
        manager = new_hub_manager(self.env, "placement_manager", self.hub)
        self._open_cycle()
        self._order(start_date=fields.Date.today(), end_date=False)
        second = self.env["res.partner"].create({"name": "Nora Nothing"})
        empty = self._order(start_date=fields.Date.today(), end_date=False, partner_id=second.id)
        empty.line_ids.product_id = self.env["product.product"].create(
            {"name": "Gone", "sale_ok": False}
        )
        self._place()
        cycles = self.env["ofn.order.cycle"].search(
            [("schedule_id", "=", self.schedule.id), ("state", "=", "open")]
        )  # the one made here, and the schedule's own if one is open today
        summaries = self.env["mail.mail"].search(
            [("recipient_ids", "in", manager.partner_id.ids), ("subject", "ilike", "placed for")]
        )
        self.assertEqual(len(summaries), len(cycles), "one summary per cycle")
        mine = summaries.filtered(lambda mail: mail.res_id == cycles[-1:].id or len(cycles) == 1)
        for summary in summaries:
            self.assertIn("Nothing to order: 1, Placed: 1", summary.body_html)
            self.assertIn("Nora Nothing", summary.body_html)
        self.assertTrue(mine)

    def test_paused_orders_and_closed_cycles_are_left_alone(self):
        cycle = self._open_cycle()
        standing = self._order(start_date=fields.Date.today(), end_date=False)
        standing.action_pause()
        self._place()
        self.assertFalse(self._occurrence(standing, cycle).sale_order_id)

    def test_each_customer_is_told_in_their_own_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        template = self.env.ref("ofn_standing_orders.mail_template_order_placed")
        template.with_context(
            lang="fr_FR"
        ).subject = "Votre commande chez {{ object.company_id.name }}"
        cycle = self._open_cycle()
        amelie = self.env["res.partner"].create(
            {"name": "Amélie Lang", "lang": "fr_FR", "email": "amelie@customer.example"}
        )
        kate = self.env["res.partner"].create(
            {"name": "Kate Lang", "lang": "en_US", "email": "kate@customer.example"}
        )
        orders = {
            customer: self._order(
                start_date=fields.Date.today(), end_date=False, partner_id=customer.id
            )
            for customer in (amelie, kate)
        }
        self._place()

        for customer, subject in ((amelie, "Votre commande chez"), (kate, "Your order from")):
            order = self._occurrence(orders[customer], cycle).sale_order_id
            [told] = order.message_ids.filtered(lambda m, c=customer: c in m.partner_ids)
            self.assertEqual(told.subject, f"{subject} {self.hub.name}")

    def test_one_order_that_cannot_be_placed_holds_back_none_of_its_chunk(self):
        """One standing order makes the chunk's ``create`` fail: the chunk is split until it
        is alone; it is marked with its reason, the others are placed."""
        cycle = self._open_cycle()
        customers = [
            self.env["res.partner"].create({"name": f"Chunk Customer {n}"}) for n in range(4)
        ]
        standing = [
            self._order(start_date=fields.Date.today(), end_date=False, partner_id=c.id)
            for c in customers
        ]
        bad = self._occurrence(standing[1], cycle)
        SaleOrder = type(self.env["sale.order"])
        create = SaleOrder.create

        def refuse(orders, vals_list):
            if any(vals.get("partner_id") == customers[1].id for vals in vals_list):
                raise ValidationError(self.env._("The delivery address is incomplete"))
            return create(orders, vals_list)

        with (
            patch.object(SaleOrder, "create", autospec=True, side_effect=refuse),
            self.assertLogs(
                "odoo.addons.ofn_standing_orders.models.ofn_standing_order_occurrence", "WARNING"
            ),
        ):
            self._place()

        others = [self._occurrence(order, cycle) for order in standing if order != standing[1]]
        self.assertEqual({o.state for o in others}, {"placed"})
        self.assertTrue(all(o.sale_order_id for o in others))
        self.assertEqual(bad.state, "planned")
        self.assertFalse(bad.sale_order_id)
        self.assertTrue(bad.needs_attention)
        self.assertIn("The delivery address is incomplete", bad.failure_message)


@tagged("post_install", "-at_install")
class TestPlacementStock(StandingOrderCommon):
    """Stored products are ordered up to what the hub has free: the orders of one run share
    the stock, the customer and the hub are told what changed, and an order left with nothing
    is not placed."""

    def setUp(self):
        super().setUp()
        self.cheese = self.env["product.product"].create(
            {"name": "Farm cheese", "lst_price": 7.0, "is_storable": True}
        )
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.hub.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(self.cheese, warehouse.lot_stock_id, 5.0)
        now = fields.Datetime.now()
        schedule = self.env["ofn.schedule"].create(
            {"name": "Cheese run", "company_id": self.hub.id, "start_date": now.date()}
        )
        self.cycle_values = {
            "company_id": self.hub.id,
            "schedule_id": schedule.id,
            "opens_at": now - timedelta(hours=1),
            "closes_at": now + timedelta(days=2),
        }
        self.schedule_cheese = schedule

    def _cheese_order(self, name, quantity):
        customer = self.env["res.partner"].create({"name": name, "email": f"{name}@x.example"})
        return self._order(
            partner_id=customer.id,
            schedule_id=self.schedule_cheese.id,
            start_date=fields.Date.today(),
            end_date=False,
            line_ids=[
                (0, 0, {"product_id": self.cheese.id, "quantity": quantity}),
                (0, 0, {"product_id": self.product.id, "quantity": 1}),
            ],
        )

    def test_quantities_are_capped_by_the_stock_left(self):
        first = self._cheese_order("Cleo Cheese", 3)
        second = self._cheese_order("Carl Cheese", 3)
        third = self._cheese_order("Cora Cheese", 2)
        self.env["ofn.order.cycle"].create(self.cycle_values)
        manager = new_hub_manager(self.env, "cheese_manager", self.hub)

        self._place()

        def cheese(standing):
            line = standing.occurrence_ids.sale_order_id.order_line.filtered(
                lambda l: l.product_id == self.cheese
            )
            return line.product_uom_qty

        self.assertEqual([cheese(first), cheese(second), cheese(third)], [3.0, 2.0, 0.0])
        self.assertFalse(first.occurrence_ids.change_note)
        self.assertIn("3.0 wanted, 2.0 available", second.occurrence_ids.change_note)
        self.assertIn("Farm cheese: out of stock", third.occurrence_ids.change_note)
        self.assertEqual(third.occurrence_ids.state, "placed", "the eggs are still ordered")
        order = second.occurrence_ids.sale_order_id
        told = order.message_ids.filtered(lambda m: second.partner_id in m.partner_ids)
        self.assertIn("2.0 available", told.body)
        summary = self.env["mail.mail"].search(
            [("recipient_ids", "in", manager.partner_id.ids), ("subject", "ilike", "placed for")]
        )
        self.assertIn("Changed at placement", "".join(summary.mapped("body_html")))
        self.assertIn("Carl Cheese", "".join(summary.mapped("body_html")))

    def test_orders_already_placed_keep_their_stock(self):
        self._cheese_order("Pia Placed", 4)
        self.env["ofn.order.cycle"].create(self.cycle_values)
        self._place()
        late = self._cheese_order("Lou Late", 3)  # joins the open cycle afterwards

        self._place()

        line = late.occurrence_ids.sale_order_id.order_line.filtered(
            lambda l: l.product_id == self.cheese
        )
        self.assertEqual(line.product_uom_qty, 1.0, "5 in stock, 4 promised already")

    def test_an_order_with_only_sold_out_products_is_not_placed(self):
        standing = self._cheese_order("Sol Soldout", 2)
        standing.line_ids.filtered(lambda l: l.product_id == self.product).unlink()
        self.env["stock.quant"]._update_available_quantity(
            self.cheese,
            self.env["stock.warehouse"].search([("company_id", "=", self.hub.id)]).lot_stock_id,
            -5.0,
        )
        self.env["ofn.order.cycle"].create(self.cycle_values)

        self._place()

        self.assertEqual(standing.occurrence_ids.state, "empty")
        self.assertFalse(standing.occurrence_ids.sale_order_id)
        self.assertIn("out of stock", standing.occurrence_ids.change_note)


@tagged("post_install", "-at_install")
class TestHubWithoutWarehouse(StandingOrderCommon):
    """Outside tests Odoo gives a warehouse to the first company only: a new hub's first
    standing orders get one made for it, and are confirmed."""

    def test_a_hub_gets_its_warehouse_with_its_first_schedule(self):
        Warehouse = self.env["stock.warehouse"]
        Warehouse.search([("company_id", "=", self.hub.id)]).write(
            {"active": False, "name": "Gone", "code": "GONE"}
        )
        values = {"company_id": self.hub.id, "start_date": fields.Date.today()}

        self.env["ofn.schedule"].create([{"name": "Second boxes", **values}])

        warehouse = Warehouse.search([("company_id", "=", self.hub.id)])
        self.assertEqual(len(warehouse), 1)
        self.assertEqual(warehouse.name, self.hub.name)
        self.env["ofn.schedule"].create([{"name": "Third boxes", **values}])
        self.assertEqual(Warehouse.search([("company_id", "=", self.hub.id)]), warehouse)

    def test_a_hub_without_warehouse_gets_one(self):
        self.env["stock.warehouse"].search([("company_id", "=", self.hub.id)]).write(
            {"active": False, "name": "Gone", "code": "GONE"}
        )
        now = fields.Datetime.now()
        cycle = self.env["ofn.order.cycle"].create(
            {
                "company_id": self.hub.id,
                "schedule_id": self.schedule.id,
                "opens_at": now - timedelta(hours=1),
                "closes_at": now + timedelta(days=2),
            }
        )
        standing = self._order(start_date=fields.Date.today(), end_date=False)

        self._place()

        order = standing.occurrence_ids.filtered(lambda o: o.cycle_id == cycle).sale_order_id
        self.assertEqual(order.warehouse_id.company_id, self.hub)
        self.assertEqual(order.warehouse_id.name, "Standing Hub")
        order.action_confirm()
        self.assertEqual(order.picking_ids.picking_type_id.warehouse_id, order.warehouse_id)
