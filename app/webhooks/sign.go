// Package webhooks sends signed webhook messages per the Standard Webhooks
// specification (https://www.standardwebhooks.com): the webhook-id,
// webhook-timestamp and webhook-signature headers, v1 signatures (HMAC-SHA256
// with a whsec_ secret), to receivers that are treated as untrusted. It knows
// nothing of the database: the job engine hands it what to send.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret, as the specification suggests.
const SecretPrefix = "whsec_"

// secretBytes is the size of a new secret's key (the specification allows
// 24 to 64 bytes).
const secretBytes = 32

// NewSecret returns a new signing secret: whsec_ and base64 of 32 random
// bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// DecodeSecret returns the HMAC key of a whsec_ secret.
func DecodeSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("webhooks: not a whsec_ secret")
	}
	return key, nil
}

// Sign returns the webhook-signature header of one message: a
// space-separated "v1,<base64 HMAC-SHA256>" for each secret, over
// "<id>.<timestamp>.<body>".
func Sign(secrets []string, id string, ts time.Time, body []byte) (string, error) {
	var sigs []string
	for _, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	if len(sigs) == 0 {
		return "", errors.New("webhooks: no secret to sign with")
	}
	return strings.Join(sigs, " "), nil
}
