"""A client outside the stack asked the front door every 0.2 s from before the first converge (prepare.yml) to
here. The site playbook brought Apache and nginx up on their hosts at the same time, and each proxy had to wait
for its backends: through the first converge and the idempotent run the client got no answer (nginx not up yet)
or the app's, never an error from a proxy whose backend was not up yet. Runs before the release tests."""

from webstack_testlib import docker

STRANGER = "chained-stranger"


def test_no_client_got_an_error_from_a_proxy_while_the_stack_came_up():
    docker("exec", STRANGER, "systemctl", "stop", "front-door-watch")
    log = docker("exec", STRANGER, "cat", "/var/tmp/front-door-watch.log").stdout
    tries = [(float(seconds), int(status)) for seconds, status in (line.split() for line in log.splitlines())]
    statuses = [status for _, status in tries]
    first_answer = statuses.index(200) if 200 in statuses else None
    print(f"FIGURE front door during the converges: {len(tries)} tries, {statuses.count(0)} unanswered, "
          f"{statuses.count(200)} answered 200")
    assert first_answer, f"the watcher never saw the stack before it came up, or never got an answer: {statuses[:20]}"
    errors = [(seconds, status) for seconds, status in tries if status not in (0, 200)]
    assert errors == [], f"a proxy answered with an error while the stack came up: {errors[:20]}"
    # Once it answers, it keeps answering (the idempotent run reloads nothing).
    assert 0 not in statuses[first_answer:], "the front door stopped answering after it first answered"
