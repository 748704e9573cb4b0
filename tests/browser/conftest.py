"""One web stack for every browser test (a booking process, two edges and the test payment page take
seconds to start; the tests create their own events and users, so they share it safely)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.web_stack import WebStack, web_stack_running


@pytest.fixture(scope="session")
def web_stack(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebStack]:
    with web_stack_running(database_url, redis_url, tmp_path_factory.mktemp("web-stack")) as running:
        yield running
