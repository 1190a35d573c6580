"""Portal "My standing orders" (/my/standing_orders): written next."""
