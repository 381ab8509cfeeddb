package secret_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/accessrequests/accessrequests/app/internal/testutil"
	"github.com/accessrequests/accessrequests/app/secret"
)

// key returns a deterministic 32-byte key filled with b.
func key(b byte) []byte { return bytes.Repeat([]byte{b}, secret.KeySize) }

func ring(t *testing.T, current []byte, old ...[]byte) *secret.Keyring {
	t.Helper()
	kr, err := secret.NewKeyring(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func mustSeal(t *testing.T, kr *secret.Keyring, plain, ad string) string {
	t.Helper()
	s, err := kr.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpen(t *testing.T) {
	const ad = "access_links/0b7a9d4e-3f4a-4a57-9a0e-2f1c0d6a8b11/token"
	kr := ring(t, key(1))

	t.Run("OK", func(t *testing.T) {
		for _, plain := range []string{"", "x", "a link token", strings.Repeat("é", 1000)} {
			sealed := mustSeal(t, kr, plain, ad)
			// Short plaintexts can occur in random base64 by chance.
			if len(plain) >= 8 && strings.Contains(sealed, plain) {
				t.Fatalf("sealed value %q contains the plaintext", sealed)
			}
			if want := "v1." + kr.CurrentKeyID() + "."; !strings.HasPrefix(sealed, want) {
				t.Fatalf("sealed = %q, want prefix %q", sealed, want)
			}
			got, err := kr.Open(sealed, ad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got != plain {
				t.Fatalf("Open = %q, want %q", got, plain)
			}
		}
	})

	t.Run("ErrWrongAssociatedData", func(t *testing.T) {
		sealed := mustSeal(t, kr, "token", ad)
		for _, other := range []string{"", "access_links/other/token", ad + " "} {
			if got, err := kr.Open(sealed, other); !errors.Is(err, secret.ErrOpen) || got != "" {
				t.Fatalf("Open with AD %q = %q, %v; want ErrOpen", other, got, err)
			}
		}
	})

	t.Run("ErrTampered", func(t *testing.T) {
		sealed := mustSeal(t, kr, "token", ad)
		prefix := sealed[:strings.LastIndex(sealed, ".")+1]
		payload, err := base64.RawURLEncoding.DecodeString(sealed[len(prefix):])
		if err != nil {
			t.Fatal(err)
		}
		// Flip one bit in every position: nonce, ciphertext and tag.
		for i := range payload {
			p := bytes.Clone(payload)
			p[i] ^= 0x01
			tampered := prefix + base64.RawURLEncoding.EncodeToString(p)
			if _, err := kr.Open(tampered, ad); !errors.Is(err, secret.ErrOpen) {
				t.Fatalf("byte %d flipped: err = %v, want ErrOpen", i, err)
			}
		}
		// Truncated and malformed values.
		for _, bad := range []string{
			"",
			"v1",
			"v1." + kr.CurrentKeyID(),
			prefix,
			prefix + "AAAA",
			prefix + "not base64!",
			prefix + base64.RawURLEncoding.EncodeToString(payload[:len(payload)-1]),
			"v2" + sealed[2:],
			strings.Replace(sealed, kr.CurrentKeyID(), "00000000", 1),
		} {
			if _, err := kr.Open(bad, ad); !errors.Is(err, secret.ErrOpen) {
				t.Fatalf("Open(%q) err = %v, want ErrOpen", bad, err)
			}
		}
	})

	t.Run("ErrDifferentKey", func(t *testing.T) {
		sealed := mustSeal(t, kr, "token", ad)
		other := ring(t, key(2))
		if _, err := other.Open(sealed, ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
		// Even a value relabelled with the other key's ID does not open.
		relabelled := strings.Replace(sealed, kr.CurrentKeyID(), other.CurrentKeyID(), 1)
		if _, err := other.Open(relabelled, ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("relabelled: err = %v, want ErrOpen", err)
		}
	})

	t.Run("RandomNonce", func(t *testing.T) {
		seen := map[string]bool{}
		for i := 0; i < 50; i++ {
			s := mustSeal(t, kr, "same plaintext", ad)
			if seen[s] {
				t.Fatalf("seal %d repeated an earlier sealed value", i)
			}
			seen[s] = true
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		if err := testutil.ConcurrentlyErr(16, func(int) error {
			s, err := kr.Seal("v", ad)
			if err != nil {
				return err
			}
			got, err := kr.Open(s, ad)
			if err == nil && got != "v" {
				err = errors.New("round trip changed the value")
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	const ad = "connected_accounts/1/access_token"
	oldKey, newKey := key(1), key(2)
	oldRing := ring(t, oldKey)
	oldSealed := mustSeal(t, oldRing, "old secret", ad)

	rotated := ring(t, newKey, oldKey)
	newSealed := mustSeal(t, rotated, "new secret", ad)

	t.Run("OK", func(t *testing.T) {
		if got, err := rotated.Open(oldSealed, ad); err != nil || got != "old secret" {
			t.Fatalf("Open(old) = %q, %v", got, err)
		}
		if got, err := rotated.Open(newSealed, ad); err != nil || got != "new secret" {
			t.Fatalf("Open(new) = %q, %v", got, err)
		}
	})

	t.Run("SealsWithCurrentKey", func(t *testing.T) {
		if rotated.CurrentKeyID() != secret.KeyID(newKey) {
			t.Fatalf("CurrentKeyID = %s, want %s", rotated.CurrentKeyID(), secret.KeyID(newKey))
		}
		if !strings.HasPrefix(newSealed, "v1."+secret.KeyID(newKey)+".") {
			t.Fatalf("new value %q not sealed with the new key", newSealed)
		}
		// The old ring alone cannot open what the rotated ring sealed.
		if _, err := oldRing.Open(newSealed, ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("old ring opened a new value: %v", err)
		}
	})

	t.Run("NeedsReseal", func(t *testing.T) {
		if !rotated.NeedsReseal(oldSealed) {
			t.Fatal("NeedsReseal(old) = false, want true")
		}
		if rotated.NeedsReseal(newSealed) {
			t.Fatal("NeedsReseal(new) = true, want false")
		}
		if oldRing.NeedsReseal(oldSealed) {
			t.Fatal("old ring: NeedsReseal(own value) = true, want false")
		}
		resealed := mustSeal(t, rotated, "old secret", ad)
		if rotated.NeedsReseal(resealed) {
			t.Fatal("NeedsReseal(resealed) = true, want false")
		}
	})

	t.Run("ErrKeyRemoved", func(t *testing.T) {
		onlyNew := ring(t, newKey)
		if _, err := onlyNew.Open(oldSealed, ad); !errors.Is(err, secret.ErrOpen) {
			t.Fatalf("err = %v, want ErrOpen", err)
		}
	})
}

func TestNewKeyring(t *testing.T) {
	t.Run("ErrKeySize", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			current []byte
			old     [][]byte
		}{
			{"nil", nil, nil},
			{"short", make([]byte, 16), nil},
			{"long", make([]byte, 33), nil},
			{"bad old key", key(1), [][]byte{make([]byte, 31)}},
		} {
			if _, err := secret.NewKeyring(tc.current, tc.old...); err == nil {
				t.Fatalf("%s: NewKeyring succeeded, want an error", tc.name)
			}
		}
	})

	t.Run("KeyID", func(t *testing.T) {
		a, b := secret.KeyID(key(1)), secret.KeyID(key(2))
		if len(a) != 8 || a == b {
			t.Fatalf("KeyID = %q, %q; want 8 hex digits, distinct", a, b)
		}
		if a != secret.KeyID(key(1)) {
			t.Fatal("KeyID is not deterministic")
		}
		if strings.Contains(base64.StdEncoding.EncodeToString(key(1)), a) {
			t.Fatal("KeyID reveals the key")
		}
	})
}

func TestDerive(t *testing.T) {
	kr := ring(t, key(1))
	a := kr.Derive("cookie signing", 32)
	b := kr.Derive("cookie encryption", 32)
	if len(a) != 32 || len(kr.Derive("x", 64)) != 64 {
		t.Fatalf("Derive returned %d bytes, want 32", len(a))
	}
	if bytes.Equal(a, b) {
		t.Fatal("two purposes derived the same key")
	}
	if !bytes.Equal(a, kr.Derive("cookie signing", 32)) {
		t.Fatal("Derive is not deterministic")
	}
	if bytes.Equal(a, key(1)) {
		t.Fatal("Derive returned the master key")
	}
	if bytes.Equal(a, ring(t, key(2)).Derive("cookie signing", 32)) {
		t.Fatal("different master keys derived the same key")
	}
	// Derived keys follow the current key of a rotated ring.
	if !bytes.Equal(ring(t, key(2), key(1)).Derive("cookie signing", 32), ring(t, key(2)).Derive("cookie signing", 32)) {
		t.Fatal("rotated ring derives from an old key")
	}
}

func TestRandomToken(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok := secret.RandomToken(32)
		if len(tok) != 43 {
			t.Fatalf("len = %d, want 43", len(tok))
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q: %d bytes, %v; want 32 bytes of base64url", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatal("RandomToken repeated a token")
		}
		seen[tok] = true
	}
}

func TestHashToken(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// FIPS 180-2 test vectors.
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	} {
		if got := secret.HashToken(tc.in); got != tc.want {
			t.Fatalf("HashToken(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestSealedKeyID: the key ID is read from a value's prefix alone, as the
// start-up check reads it with SUBSTR.
func TestSealedKeyID(t *testing.T) {
	key := bytes.Repeat([]byte{9}, secret.KeySize)
	kr, err := secret.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := kr.Seal("x", "ad")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{sealed, sealed[:secret.KeyIDPrefixLen]} {
		if id, ok := secret.SealedKeyID(v); !ok || id != secret.KeyID(key) || !kr.Has(id) {
			t.Errorf("SealedKeyID(%q) = %q, %v; want %s", v, id, ok, secret.KeyID(key))
		}
	}
	for _, bad := range []string{"", "v1.", "v2.0123abcd.x", "v1.0123abcdx", "v1.zzzzzzzz.x", sealed[:secret.KeyIDPrefixLen-1]} {
		if id, ok := secret.SealedKeyID(bad); ok {
			t.Errorf("SealedKeyID(%q) = %q, true", bad, id)
		}
	}
	if kr.Has("00000000") || len(kr.KeyIDs()) != 1 {
		t.Error("Has or KeyIDs wrong")
	}
}
