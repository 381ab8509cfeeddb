// Package secret seals values at rest with AES-256-GCM and derives the
// application's sub-keys from its one master key.
//
// A sealed value reads "v1.<key id>.<base64url(nonce|ciphertext)>". The key ID
// names the master key that sealed it, so that keys can be rotated: a Keyring
// opens values sealed by any of its keys and always seals with the first.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length in bytes of a master key.
const KeySize = 32

// ErrOpen reports a sealed value that no key of the ring can open: a wrong or
// missing key, a tampered value, or associated data that does not match.
var ErrOpen = errors.New("secret: cannot open sealed value")

type key struct {
	id   string
	aead cipher.AEAD
	raw  []byte
}

// Keyring holds the current master key and any older ones still needed to
// open existing data. It is safe for concurrent use.
type Keyring struct {
	keys []key
}

// NewKeyring builds a ring from master keys, current key first.
func NewKeyring(current []byte, old ...[]byte) (*Keyring, error) {
	kr := &Keyring{}
	for i, raw := range append([][]byte{current}, old...) {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("secret: key %d is %d bytes, want %d", i, len(raw), KeySize)
		}
		aead, err := DeriveAEAD(raw, nil, "accessrequests seal v1")
		if err != nil {
			return nil, err
		}
		kr.keys = append(kr.keys, key{id: KeyID(raw), aead: aead, raw: raw})
	}
	return kr, nil
}

// KeyID names a master key without revealing it: the first 8 hex digits of
// a hash of the key.
func KeyID(raw []byte) string {
	sum := sha256.Sum256(append([]byte("accessrequests key id\x00"), raw...))
	return hex.EncodeToString(sum[:4])
}

// CurrentKeyID is the ID of the key new values are sealed with.
func (kr *Keyring) CurrentKeyID() string { return kr.keys[0].id }

// Seal encrypts plaintext with the current key. The associated data binds
// the value to its row (for example "access_links/<id>/token"), so a sealed
// value copied to another row does not open there.
func (kr *Keyring) Seal(plaintext, associated string) (string, error) {
	k := kr.keys[0]
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(associated))
	return "v1." + k.id + "." + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with the same associated data.
func (kr *Keyring) Open(sealed, associated string) (string, error) {
	version, rest, ok := strings.Cut(sealed, ".")
	if !ok || version != "v1" {
		return "", ErrOpen
	}
	id, payload, ok := strings.Cut(rest, ".")
	if !ok {
		return "", ErrOpen
	}
	data, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", ErrOpen
	}
	for _, k := range kr.keys {
		if k.id != id {
			continue
		}
		ns := k.aead.NonceSize()
		if len(data) < ns {
			return "", ErrOpen
		}
		plain, err := k.aead.Open(nil, data[:ns], data[ns:], []byte(associated))
		if err != nil {
			return "", ErrOpen
		}
		return string(plain), nil
	}
	return "", ErrOpen
}

// KeyIDPrefixLen is the length of the "v1.<key id>." prefix of a sealed
// value: enough of it to read its key ID, for a query that reads only that
// much of each value (SUBSTR in SQL).
const KeyIDPrefixLen = len("v1.") + 8 + len(".")

// SealedKeyID returns the key ID a sealed value names; it needs only the
// value's first KeyIDPrefixLen bytes. ok is false for a value not in the
// format Seal makes.
func SealedKeyID(sealed string) (id string, ok bool) {
	if len(sealed) < KeyIDPrefixLen || !strings.HasPrefix(sealed, "v1.") || sealed[KeyIDPrefixLen-1] != '.' {
		return "", false
	}
	id = sealed[3 : KeyIDPrefixLen-1]
	if _, err := hex.DecodeString(id); err != nil {
		return "", false
	}
	return id, true
}

// Has reports whether the ring holds the key with this ID.
func (kr *Keyring) Has(id string) bool {
	for _, k := range kr.keys {
		if k.id == id {
			return true
		}
	}
	return false
}

// KeyIDs lists the IDs of the ring's keys, the current one first.
func (kr *Keyring) KeyIDs() []string {
	out := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		out[i] = k.id
	}
	return out
}

// NeedsReseal reports whether a sealed value was made with an older key.
func (kr *Keyring) NeedsReseal(sealed string) bool {
	return !strings.HasPrefix(sealed, "v1."+kr.keys[0].id+".")
}

// Derive returns n bytes derived from the current master key for one named
// purpose (cookie signing, cookie encryption), so no two uses share a key.
func (kr *Keyring) Derive(purpose string, n int) []byte {
	out, err := hkdf.Key(sha256.New, kr.keys[0].raw, nil, "accessrequests "+purpose, n)
	if err != nil {
		panic(err) // only for n beyond HKDF's limit, a programming error
	}
	return out
}

// RandomToken returns n random bytes from crypto/rand, base64url encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken returns the hex SHA-256 of a token, the form in which tokens are
// looked up.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// DeriveAEAD derives an AES-256-GCM cipher from secret with HKDF-SHA256,
// salt and info: one key per purpose, never the secret itself.
func DeriveAEAD(secret, salt []byte, info string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, salt, info, KeySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
