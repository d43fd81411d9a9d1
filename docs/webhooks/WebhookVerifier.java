// Checks a Checkout Edge webhook (docs/webhooks.md). Java 17 or later, no libraries.
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public final class WebhookVerifier {
    static final long TOLERANCE_SECS = 300;

    /**
     * True when {@code header} (the Checkout-Signature value) signs {@code rawBody} (the bytes as
     * received, never re-serialised JSON) with one of {@code secrets} (each the whole "whsec_…"
     * string), and its time is within five minutes of {@code nowSecs}.
     */
    public static boolean verify(String header, byte[] rawBody, List<String> secrets, long nowSecs) {
        String timestamp = null;
        List<byte[]> signatures = new ArrayList<>();
        for (String part : header.split(",", -1)) {
            int at = part.indexOf('=');
            if (at < 0) {
                continue;
            }
            String key = part.substring(0, at).trim();
            String value = part.substring(at + 1).trim();
            if (key.equals("t") && value.matches("[0-9]{1,15}")) {
                timestamp = value;
            } else if (key.equals("v1")) {
                signatures.add(value.getBytes(StandardCharsets.US_ASCII));
            }
        }
        if (timestamp == null || signatures.isEmpty()) {
            return false;
        }
        if (Math.abs(nowSecs - Long.parseLong(timestamp)) > TOLERANCE_SECS) {
            return false;
        }
        for (String secret : secrets) {
            if (secret.isEmpty()) {
                continue;
            }
            byte[] expected;
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
                expected = HexFormat.of().formatHex(mac.doFinal(rawBody)).getBytes(StandardCharsets.US_ASCII);
            } catch (GeneralSecurityException e) {
                return false;
            }
            for (byte[] signature : signatures) {
                if (MessageDigest.isEqual(expected, signature)) {
                    return true;
                }
            }
        }
        return false;
    }

    // From a shell: java WebhookVerifier.java HEADER NOW_SECS SECRET[,SECRET…] < raw-body
    public static void main(String[] args) throws Exception {
        byte[] body = System.in.readAllBytes();
        boolean ok = verify(args[0], body, Arrays.asList(args[2].split(",")), Long.parseLong(args[1]));
        System.out.println(ok ? "verified" : "refused");
        System.exit(ok ? 0 : 1);
    }
}
