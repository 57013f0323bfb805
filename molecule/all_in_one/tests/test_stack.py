"""The site playbook's stack in this scenario, seen through the front door (shared tests)."""

from webstack_stack_tests import *  # noqa: F401,F403  (pytest collects the shared tests from here)

testinfra_hosts = ["ansible://nginx"]
