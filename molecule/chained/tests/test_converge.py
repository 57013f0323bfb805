"""A client outside the stack watched it from before the first converge (prepare.yml) to here: it asked the front
door every 0.2 s, and tried Apache's port and each app's. The site playbook brought Apache and nginx up on their
hosts at the same time, and each proxy had to wait for its backends: through the first converge and the
idempotent run the client got no answer (nginx not up yet) or the app's, never an error from a proxy whose
backend was not up yet. Each host loaded its firewall before its tiers opened a port, so no inner port ever
accepted the client. Runs before the release tests."""

from webstack_testlib import docker

STRANGER = "chained-stranger"


def watched(unit):
    """[(seconds, what, answer)] from one of the stranger's watchers, which this stops."""
    docker("exec", STRANGER, "systemctl", "stop", unit)
    log = docker("exec", STRANGER, "cat", f"/var/tmp/{unit}.log").stdout
    return [(float(seconds), what, int(answer)) for seconds, what, answer in map(str.split, log.splitlines())]


def test_no_client_got_an_error_from_a_proxy_while_the_stack_came_up():
    tries = watched("front-door-watch")
    statuses = [status for _, _, status in tries]
    first_answer = statuses.index(200) if 200 in statuses else None
    print(f"FIGURE front door during the converges: {len(tries)} tries, {statuses.count(0)} unanswered, "
          f"{statuses.count(200)} answered 200")
    assert first_answer, f"the watcher never saw the stack before it came up, or never got an answer: {statuses[:20]}"
    errors = [(seconds, status) for seconds, _, status in tries if status not in (0, 200)]
    assert errors == [], f"a proxy answered with an error while the stack came up: {errors[:20]}"
    # Once it answers, it keeps answering (the idempotent run reloads nothing).
    assert 0 not in statuses[first_answer:], "the front door stopped answering after it first answered"


def test_no_inner_port_accepted_a_client_outside_the_stack_while_it_came_up():
    tries = watched("inner-ports-watch")
    ports = sorted({what for _, what, _ in tries})
    print(f"FIGURE inner ports during the converges: {len(tries)} tries of {len(ports)} ports")
    assert len(ports) == 3 and all(sum(1 for _, what, _ in tries if what == port) > 20 for port in ports), ports
    assert [(seconds, port) for seconds, port, answer in tries if answer] == []
