{
    "name": "OFN Standing Orders",
    "summary": "Recurring orders placed, invoiced and charged by scheduled actions",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "Open Food Network Odoo team",
    "website": "https://github.com/openfoodfoundation",
    "license": "AGPL-3",
    "depends": ["ofn_customer_wallet", "sale_management", "sale_stock", "queue_job"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ofn_standing_order_rules.xml",
        "views/ofn_standing_order_menus.xml",
        "views/ofn_schedule_views.xml",
        "views/ofn_standing_order_views.xml",
        "views/ofn_standing_order_occurrence_views.xml",
        "views/res_company_views.xml",
        "views/portal_templates.xml",
        "wizard/ofn_standing_order_stop_views.xml",
        "data/queue_job_data.xml",
        "data/mail_templates.xml",
        "data/ofn_cycle_cron.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "ofn_standing_orders/static/src/js/pay_now.js",
        ],
        "web.assets_tests": [
            "ofn_standing_orders/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
