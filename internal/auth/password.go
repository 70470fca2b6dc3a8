// Package auth holds staff accounts: argon2id password hashes, the password
// policy, login throttling, one-time set-password links, roles and the unit
// scope of coordinators.
package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's recommendation of 19 MiB, two passes, one lane.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// Password length limits.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// errBadHash reports a stored hash that cannot be read.
var errBadHash = errors.New("auth: unreadable password hash")

// CheckPassword reports whether password matches the PHC-format hash. The
// parameters are read from the hash, so older hashes keep working when the
// defaults change.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Hasher computes password hashes a few at a time. Each argon2id
// computation takes 19 MiB for some tens of milliseconds; a burst of
// logins would otherwise take memory by the hundreds of megabytes and
// starve the rest of the app of CPU. Callers wait their turn (or give up
// with their request's context).
type Hasher struct {
	slots chan struct{}
}

// NewHasher allows n computations at once; n < 1 means the number of CPUs,
// at least two.
func NewHasher(n int) *Hasher {
	if n < 1 {
		n = max(2, runtime.GOMAXPROCS(0))
	}
	return &Hasher{slots: make(chan struct{}, n)}
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash is HashPassword in turn.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return HashPassword(password)
}

// Check is CheckPassword in turn.
func (h *Hasher) Check(ctx context.Context, hash, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return CheckPassword(hash, password)
}

//go:embed commonpasswords.txt.gz
var commonPasswordsGz []byte

// Policy checks new passwords: long enough, not absurdly long, and not on a
// list of commonly used passwords.
type Policy struct {
	common map[string]struct{}
}

// NewPolicy loads the list of common passwords.
func NewPolicy() (*Policy, error) {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		return nil, fmt.Errorf("auth: common passwords: %w", err)
	}
	p := &Policy{common: make(map[string]struct{}, 50000)}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		p.common[sc.Text()] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("auth: common passwords: %w", err)
	}
	return p, nil
}

// PolicyError says why a password is refused: a message key and its argument.
type PolicyError struct {
	Key string
	Arg int
}

func (e *PolicyError) Error() string { return "auth: password refused: " + e.Key }

// Check returns a *PolicyError when the password is not acceptable for
// the account with address email: too short or long, a common password,
// or the address itself or its part before the @.
func (p *Policy) Check(password, email string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return &PolicyError{Key: "password.too_short", Arg: MinPasswordLen}
	case n > MaxPasswordLen:
		return &PolicyError{Key: "password.too_long", Arg: MaxPasswordLen}
	}
	lower := strings.ToLower(strings.TrimSpace(password))
	if _, ok := p.common[lower]; ok {
		return &PolicyError{Key: "password.common"}
	}
	if email = NormalizeEmail(email); email != "" {
		local, _, _ := strings.Cut(email, "@")
		if lower == email || lower == local || strings.Contains(lower, email) {
			return &PolicyError{Key: "password.email"}
		}
	}
	return nil
}
