{
    "name": "OFN Standing Orders",
    "summary": "Recurring orders placed, invoiced and charged by scheduled actions",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "Open Food Network Odoo team",
    "website": "https://github.com/openfoodfoundation",
    "license": "AGPL-3",
    "depends": ["ofn_customer_wallet", "sale_management"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ofn_standing_order_rules.xml",
        "views/ofn_standing_order_menus.xml",
        "views/ofn_schedule_views.xml",
        "data/ofn_cycle_cron.xml",
    ],
    "installable": True,
}
