"""Shared by every scenario's verifier: on a failed test, show the journal of the units under test.

A test module names them in JOURNAL_UNITS = ["unit.service", ...]; the journal of each of the
scenario's containers is attached to the failure report.
"""

import pytest
import webstack_testlib


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    units = getattr(item.module, "JOURNAL_UNITS", None)
    if report.when != "call" or not report.failed or not units:
        return
    for name in webstack_testlib.scenario_containers():
        report.sections.append((f"journal of {name}", webstack_testlib.journal(name, units)))
