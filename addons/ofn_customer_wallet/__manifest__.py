{
    "name": "OFN Customer Wallet",
    "summary": "A card saved once, usable at every hub the customer allows",
    "version": "18.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "author": "Open Food Network Odoo team",
    "website": "https://github.com/openfoodfoundation",
    "license": "AGPL-3",
    "depends": ["ofn_stripe_connect", "portal"],
    "external_dependencies": {"python": ["stripe"]},
    "data": [
        "security/ir.model.access.csv",
        "security/ofn_wallet_rules.xml",
        "views/ofn_wallet_menus.xml",
        "views/ofn_wallet_consent_views.xml",
        "views/portal_wallet_templates.xml",
        "security/ofn_credit_rules.xml",
        "views/ofn_credit_adjust_wizard_views.xml",
        "views/ofn_wallet_transaction_views.xml",
        "views/ofn_credit_balance_views.xml",
        "views/res_partner_credit_views.xml",
        "views/account_move_credit_views.xml",
        "views/res_company_credit_views.xml",
    ],
    "assets": {
        "web.assets_frontend": [
            "ofn_customer_wallet/static/src/js/wallet.js",
        ],
        "web.assets_tests": [
            "ofn_customer_wallet/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
