"""Schemathesis hooks for the run against the live edge (tests/it/fuzz_api.rs).

Only loopback addresses are targets of the tests: a webhook URL in a generated request (a
session's `notify_url`, a Payzero order's `notifyUrl`, which the sandbox would call) is pointed
at a closed loopback port before the request goes out, whatever was generated. Any other value
(a number, a list, nothing) is left as generated, so the edge's refusals are still tested.
"""

import schemathesis

LOOPBACK = "http://127.0.0.1:9/webhook"
URL_FIELDS = {"notify_url", "notifyUrl"}


def _to_loopback(value):
    if isinstance(value, dict):
        return {
            key: (LOOPBACK if key in URL_FIELDS and isinstance(item, str) else _to_loopback(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_to_loopback(item) for item in value]
    return value


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.body is not None and not isinstance(case.body, (str, bytes)):
        case.body = _to_loopback(case.body)
