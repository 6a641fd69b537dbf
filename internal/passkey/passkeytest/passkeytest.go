// Package passkeytest is a software passkey authenticator for tests: it
// answers the options Ordo's passkey endpoints send as a browser with a
// platform authenticator would (ES256 keys, "none" attestation,
// discoverable credentials, user verified), so that the ceremonies can be
// tested without a browser. Chromium's virtual authenticator covers the
// real browser path (cmd/ordo TestBrowserPasskeys).
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

var b64 = base64.RawURLEncoding

// Authenticator holds credentials for one origin.
type Authenticator struct {
	// Origin is the page's origin the browser reports (clientDataJSON);
	// set it to another to play a phishing site.
	Origin string
	creds  []*Credential
}

// Credential is one key the authenticator holds.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Key        *ecdsa.PrivateKey
	// Count is the signature counter; a test may set it back to play a
	// cloned key.
	Count uint32
}

// New returns an authenticator on origin.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin} }

// Credentials are the keys held, oldest first.
func (a *Authenticator) Credentials() []*Credential { return a.creds }

type options struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		RPID string `json:"rpId"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

func clientData(typ, challenge, origin string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": origin, "crossOrigin": false})
	return b
}

func authData(rpID string, flags byte, count uint32, attested []byte) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, attested...)
}

// Create answers the JSON of registration options ({"publicKey": …}) with
// the JSON of a new credential, as PublicKeyCredential.toJSON writes it.
func (a *Authenticator) Create(optionsJSON []byte) (json.RawMessage, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	user, err := b64.DecodeString(o.PublicKey.User.ID)
	if err != nil {
		return nil, fmt.Errorf("user id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	c := &Credential{ID: make([]byte, 16), RPID: o.PublicKey.RP.ID, UserHandle: user, Key: key}
	_, _ = rand.Read(c.ID)
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	raw := pub.Bytes() // 0x04 || x || y
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		return nil, err
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(c.ID)))
	attested = append(append(attested, c.ID...), cose...)
	ad := authData(c.RPID, 0x01|0x04|0x40, 0, attested) // user present, verified, attested data
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		return nil, err
	}
	a.creds = append(a.creds, c)
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData("webauthn.create", o.PublicKey.Challenge, a.Origin)),
			"attestationObject": b64.EncodeToString(att),
			"transports":        []string{"internal"},
		},
		"clientExtensionResults": map[string]any{},
	})
}

// Get answers the JSON of sign-in options with an assertion of the
// newest credential allowed (any of the RP's when the options allow all:
// a discoverable sign-in).
func (a *Authenticator) Get(optionsJSON []byte) (json.RawMessage, error) {
	var o options
	if err := json.Unmarshal(optionsJSON, &o); err != nil {
		return nil, err
	}
	var c *Credential
	for i := len(a.creds) - 1; i >= 0 && c == nil; i-- {
		k := a.creds[i]
		if k.RPID != o.PublicKey.RPID {
			continue
		}
		if len(o.PublicKey.AllowCredentials) == 0 {
			c = k
		}
		for _, al := range o.PublicKey.AllowCredentials {
			if al.ID == b64.EncodeToString(k.ID) {
				c = k
			}
		}
	}
	if c == nil {
		return nil, errors.New("no credential for these options")
	}
	return a.Assert(c, o.PublicKey.Challenge)
}

// Assert signs challenge with c, the counter one up.
func (a *Authenticator) Assert(c *Credential, challenge string) (json.RawMessage, error) {
	c.Count++
	cd := clientData("webauthn.get", challenge, a.Origin)
	ad := authData(c.RPID, 0x01|0x04, c.Count, nil)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cd),
			"authenticatorData": b64.EncodeToString(ad),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
		"clientExtensionResults": map[string]any{},
	})
}
