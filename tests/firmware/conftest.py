"""Host builds shared by the firmware tests (compiled once per session)."""

from __future__ import annotations

import pytest

from .hostbuild import DOCTEST_INCLUDE, FIRMWARE, compile_host


@pytest.fixture(scope="session")
def unit_tests(tmp_path_factory):
    """The doctest binary of firmware/test/test_native."""
    sources = sorted((FIRMWARE / "test" / "test_native").glob("*.cpp"))
    out = tmp_path_factory.mktemp("fw-host") / "unit_tests"
    return compile_host(sources, out, [DOCTEST_INCLUDE])


@pytest.fixture(scope="session")
def codec_tool(tmp_path_factory):
    """tests/firmware/codec_tool.cpp: the DHCP/DNS codecs behind a command line."""
    out = tmp_path_factory.mktemp("fw-host") / "codec_tool"
    return compile_host([FIRMWARE.parent / "tests" / "firmware" / "codec_tool.cpp"], out)
