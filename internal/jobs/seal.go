package jobs

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/ordo/ordo/internal/mail"
)

// Sealer encrypts secrets that must be kept in the database, with a key
// derived from ORDO_SECRET (AES-256-GCM): the bodies of e-mails in their
// job arguments (Email), and other values that must be read back, such as
// webhook signing secrets (SealText). The arguments of a job stay in the
// database, and in its backups, after the job is done; the bodies of
// sign-up, reset, e-mail-change and invitation mails carry one-time links
// that take over an account, so they must not be readable there. The
// secret is not in the database, so neither a database read nor a backup
// can open them.
type Sealer struct {
	aead cipher.AEAD
}

// sealInfo names what the key is for, so that the same secret used
// elsewhere (signed blob URLs) never yields this key.
const sealInfo = "ordo e-mail job bodies v1"

// NewSealer derives the key from secret (ORDO_SECRET).
func NewSealer(secret string) (*Sealer, error) {
	if len(secret) < 16 {
		return nil, errors.New("jobs: the secret for sealing e-mails is missing or too short")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, sealInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("jobs: derive e-mail key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("jobs: e-mail cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("jobs: e-mail cipher: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// sealedBody is what Sealed holds once opened.
type sealedBody struct {
	Text string `json:"text"`
	HTML string `json:"html,omitempty"`
}

// Email is the job that sends m, like jobs.Email, with the body sealed:
// use it for every message that carries a secret (a link with a token).
// The recipients and the subject stay readable, for the jobs pages.
func (s *Sealer) Email(m mail.Message, tenantID *uuid.UUID) (EmailArgs, error) {
	plain, err := json.Marshal(sealedBody{Text: m.Text, HTML: m.HTML})
	if err != nil {
		return EmailArgs{}, err
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return EmailArgs{}, fmt.Errorf("jobs: nonce: %w", err)
	}
	// The recipients and subject are bound to the body: a sealed body
	// cannot be moved to another job's recipients.
	sealed := s.aead.Seal(nonce, nonce, plain, sealAD(m.To, m.Subject))
	return EmailArgs{TenantID: tenantID, To: m.To, Subject: m.Subject, Sealed: sealed}, nil
}

// SendEmail renders the e-mail of the given kind from its templates (data
// is the kind's data struct, such as mail.VerifyData) and enqueues it
// through ins, its body sealed: inside a transaction it goes out only if
// the transaction commits. Without a Sealer (s nil) nothing is sent and
// it fails: links must never sit readable in the database.
func (s *Sealer) SendEmail(ctx context.Context, ins Inserter, kind mail.Kind, to string, data any) error {
	return s.SendTenantEmail(ctx, ins, nil, kind, to, data)
}

// SendTenantEmail is SendEmail for a message about a tenant (an
// invitation): the tenant's owners see the job if it fails, and it counts
// in the tenant's usage once sent.
func (s *Sealer) SendTenantEmail(ctx context.Context, ins Inserter, tenantID *uuid.UUID, kind mail.Kind, to string, data any) error {
	if s == nil {
		return errors.New("no sealer for e-mails (the service's Options.Sealer)")
	}
	m, err := mail.Render(kind, []string{to}, data)
	if err != nil {
		return err
	}
	args, err := s.Email(m, tenantID)
	if err != nil {
		return fmt.Errorf("seal e-mail: %w", err)
	}
	_, err = ins.JobInsert(ctx, args, nil)
	return err
}

// open returns the message a job's arguments describe, opening a sealed
// body.
func (s *Sealer) open(a EmailArgs) (mail.Message, error) {
	m := mail.Message{To: a.To, Subject: a.Subject, Text: a.Text, HTML: a.HTML}
	if a.Sealed == nil {
		return m, nil
	}
	if s == nil {
		return m, errors.New("the e-mail body is sealed and this process has no key to open it")
	}
	n := s.aead.NonceSize()
	if len(a.Sealed) < n {
		return m, errors.New("the sealed e-mail body is truncated")
	}
	plain, err := s.aead.Open(nil, a.Sealed[:n], a.Sealed[n:], sealAD(a.To, a.Subject))
	if err != nil {
		return m, fmt.Errorf("open the sealed e-mail body (was ORDO_SECRET changed?): %w", err)
	}
	var b sealedBody
	if err := json.Unmarshal(plain, &b); err != nil {
		return m, fmt.Errorf("sealed e-mail body: %w", err)
	}
	m.Text, m.HTML = b.Text, b.HTML
	return m, nil
}

func sealAD(to []string, subject string) []byte {
	ad, _ := json.Marshal(struct {
		To      []string `json:"to"`
		Subject string   `json:"subject"`
	}{to, subject})
	return ad
}

// sealedTextPrefix starts a value sealed by SealText; a value without it
// was stored before sealing began, and is read as it is.
const sealedTextPrefix = "sealed:v1:"

// SealText seals plain for storage in a text column. what names the value
// (such as "webhook secret <endpoint id>"): a sealed value opens only as
// what it was sealed as, so it cannot be copied to another row.
func (s *Sealer) SealText(plain, what string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("jobs: nonce: %w", err)
	}
	return sealedTextPrefix + base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(what))), nil
}

// OpenText returns what SealText sealed as what; a value that was never
// sealed is returned as it is.
func (s *Sealer) OpenText(v, what string) (string, error) {
	rest, sealed := strings.CutPrefix(v, sealedTextPrefix)
	if !sealed {
		return v, nil
	}
	if s == nil {
		return "", errors.New("the value is sealed and this process has no key to open it")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("the sealed value is damaged")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(what))
	if err != nil {
		return "", fmt.Errorf("open the sealed %s (was ORDO_SECRET changed?): %w", what, err)
	}
	return string(plain), nil
}
