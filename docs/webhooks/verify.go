// Checks a Checkout Edge webhook (docs/webhooks.md). Go 1.18 or later, standard library only.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const toleranceSecs = 300

// VerifyWebhook reports whether header (the Checkout-Signature value) signs rawBody (the bytes as
// received, never re-encoded JSON) with one of secrets (each the whole "whsec_…" string), and
// its time is within five minutes of nowSecs.
func VerifyWebhook(header string, rawBody []byte, secrets []string, nowSecs int64) bool {
	timestamp := ""
	var signatures []string
	for _, part := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if key == "t" {
			timestamp = value
		} else if key == "v1" {
			signatures = append(signatures, value)
		}
	}
	t, err := strconv.ParseUint(timestamp, 10, 64)
	if err != nil || len(timestamp) > 15 || len(signatures) == 0 {
		return false
	}
	if diff := nowSecs - int64(t); diff > toleranceSecs || diff < -toleranceSecs {
		return false
	}
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(timestamp + "."))
		mac.Write(rawBody)
		expected := []byte(hex.EncodeToString(mac.Sum(nil)))
		for _, signature := range signatures {
			if hmac.Equal(expected, []byte(signature)) {
				return true
			}
		}
	}
	return false
}

// From a shell: go run verify.go HEADER NOW_SECS SECRET[,SECRET…] < raw-body
func main() {
	body, err := io.ReadAll(os.Stdin)
	now, nowErr := strconv.ParseInt(os.Args[2], 10, 64)
	if err != nil || nowErr != nil || !VerifyWebhook(os.Args[1], body, strings.Split(os.Args[3], ","), now) {
		fmt.Println("refused")
		os.Exit(1)
	}
	fmt.Println("verified")
}
