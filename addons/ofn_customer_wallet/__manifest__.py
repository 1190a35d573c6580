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
    ],
    "assets": {
        "web.assets_frontend": [
            "ofn_customer_wallet/static/src/js/wallet.js",
        ],
    },
    "installable": True,
}
