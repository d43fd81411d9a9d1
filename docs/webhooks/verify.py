"""Checks a Checkout Edge webhook (docs/webhooks.md). Python 3.7 or later, standard library only."""
import hashlib
import hmac
import sys

TOLERANCE_SECS = 300


def verify_webhook(header, raw_body, secrets, now_secs):
    """True when `header` (the Checkout-Signature value) signs `raw_body` (bytes as received,
    never re-serialised JSON) with one of `secrets` (each the whole "whsec_…" string), and its
    time is within five minutes of `now_secs`."""
    timestamp = None
    signatures = []
    for part in header.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep:
            continue
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 15:
            timestamp = value
        elif key == "v1":
            signatures.append(value.encode())
    if timestamp is None or not signatures:
        return False
    if abs(now_secs - int(timestamp)) > TOLERANCE_SECS:
        return False
    for secret in secrets:
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256)
        expected = expected.hexdigest().encode()
        if any(hmac.compare_digest(expected, signature) for signature in signatures):
            return True
    return False


# From a shell: python3 verify.py HEADER NOW_SECS SECRET[,SECRET…] < raw-body
if __name__ == "__main__":
    header, now, secrets = sys.argv[1:4]
    ok = verify_webhook(header, sys.stdin.buffer.read(), secrets.split(","), int(now))
    print("verified" if ok else "refused")
    sys.exit(0 if ok else 1)
