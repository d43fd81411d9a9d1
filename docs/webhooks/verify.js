// Checks a Checkout Edge webhook (docs/webhooks.md). Node 18 or later, no packages.
const crypto = require("node:crypto");

const TOLERANCE_SECS = 300;

// True when `header` (the Checkout-Signature value) signs `rawBody` (a Buffer: the bytes as
// received, never re-serialised JSON) with one of `secrets` (each the whole "whsec_…" string),
// and its time is within five minutes of `nowSecs`.
function verifyWebhook(header, rawBody, secrets, nowSecs) {
  let timestamp = null;
  const signatures = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t" && /^[0-9]{1,15}$/.test(value)) timestamp = value;
    else if (key === "v1") signatures.push(Buffer.from(value));
  }
  if (timestamp === null || signatures.length === 0) return false;
  if (Math.abs(nowSecs - Number(timestamp)) > TOLERANCE_SECS) return false;
  for (const secret of secrets) {
    const expected = Buffer.from(
      crypto.createHmac("sha256", secret).update(timestamp + ".").update(rawBody).digest("hex"),
    );
    for (const signature of signatures) {
      if (signature.length === expected.length && crypto.timingSafeEqual(signature, expected)) {
        return true;
      }
    }
  }
  return false;
}

module.exports = { verifyWebhook };

// From a shell: node verify.js HEADER NOW_SECS SECRET[,SECRET…] < raw-body
if (require.main === module) {
  const [header, now, secrets] = process.argv.slice(2);
  const body = require("node:fs").readFileSync(0);
  const ok = verifyWebhook(header, body, secrets.split(","), Number(now));
  console.log(ok ? "verified" : "refused");
  process.exit(ok ? 0 : 1);
}
