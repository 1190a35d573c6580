"""Portal "My standing orders": written next."""
