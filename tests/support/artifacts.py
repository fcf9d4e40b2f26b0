"""Prefect artifacts as the UI shows them, read back from the test harness's server."""

from __future__ import annotations


def artifacts(key: str) -> list[str]:
    """The markdown of every artifact with ``key``, newest first.

    The harness's server is shared by the whole session, so the order must be asked for: without
    a sort the server may answer an older test's artifact first.
    """
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
        )
    return [str(artifact.data) for artifact in found]


def latest_artifact(key: str) -> str:
    """The markdown of the newest artifact with ``key`` ("" when there is none)."""
    found = artifacts(key)
    return found[0] if found else ""
