<?php
// Checks a Checkout Edge webhook (docs/webhooks.md). PHP 7.4 or later, no extensions beyond
// the default ones. In a web request the raw body is file_get_contents('php://input') and the
// header $_SERVER['HTTP_CHECKOUT_SIGNATURE'].

const CHECKOUT_TOLERANCE_SECS = 300;

// True when $header (the Checkout-Signature value) signs $rawBody (the bytes as received, never
// re-encoded JSON) with one of $secrets (each the whole "whsec_…" string), and its time is within
// five minutes of $nowSecs.
function verify_webhook(string $header, string $rawBody, array $secrets, int $nowSecs): bool
{
    $timestamp = null;
    $signatures = [];
    foreach (explode(',', $header) as $part) {
        $pair = explode('=', $part, 2);
        if (count($pair) !== 2) {
            continue;
        }
        $key = trim($pair[0]);
        $value = trim($pair[1]);
        if ($key === 't' && preg_match('/^[0-9]{1,15}$/', $value) === 1) {
            $timestamp = $value;
        } elseif ($key === 'v1') {
            $signatures[] = $value;
        }
    }
    if ($timestamp === null || count($signatures) === 0) {
        return false;
    }
    if (abs($nowSecs - (int) $timestamp) > CHECKOUT_TOLERANCE_SECS) {
        return false;
    }
    foreach ($secrets as $secret) {
        $expected = hash_hmac('sha256', $timestamp . '.' . $rawBody, $secret);
        foreach ($signatures as $signature) {
            if (hash_equals($expected, $signature)) {
                return true;
            }
        }
    }
    return false;
}

// From a shell: php verify.php HEADER NOW_SECS SECRET[,SECRET…] < raw-body
if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    $ok = verify_webhook($argv[1], file_get_contents('php://stdin'), explode(',', $argv[3]), (int) $argv[2]);
    echo $ok ? "verified\n" : "refused\n";
    exit($ok ? 0 : 1);
}
