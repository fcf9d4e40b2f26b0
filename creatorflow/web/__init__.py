"""The web app served by ``creatorflow web``."""
