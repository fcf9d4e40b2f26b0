"""The creator portal served by ``creatorflow web``: pages behind signed links (issue 18)."""
