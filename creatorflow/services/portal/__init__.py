"""The creator portal's use cases: signed links, terms, drafts and their review, shipping."""
