from prefect import flow


def test_a_flow_runs_against_the_session_harness() -> None:
    @flow
    def add(a: int, b: int) -> int:
        return a + b

    assert add(2, 3) == 5
