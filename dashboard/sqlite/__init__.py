"""The embedded default's database backend (``ENGINE = "dashboard.sqlite"``): see ``base``."""
