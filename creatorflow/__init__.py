"""creatorflow: influencer-marketing campaigns end to end on Prefect."""

__version__ = "0.1.0"
