"""Shared pytest wiring: fixtures for real services live in tests/fixtures/."""
pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.clickhouse",
]
