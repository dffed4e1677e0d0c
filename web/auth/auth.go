// Package auth holds hoso's credentials: Argon2id password hashes, random
// one-time passwords, session and API token secrets (stored only as their
// SHA-256), and the login rate limiter.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: RFC 9106's second recommended option (64 MiB, 3
// passes), one lane per core of the machines hoso runs on.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password a user may choose.
const MinPasswordLength = 10

// HashPassword returns the password's Argon2id hash in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash, in time that does
// not depend on where they differ.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 100 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// alphabet for one-time passwords: no 0/O, 1/l/I to misread on paper.
const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// NewPassword returns a random 16-character password (about 93 bits).
func NewPassword() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = alphabet[randInt(len(alphabet))]
	}
	return string(b)
}

func randInt(n int) int {
	var b [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err)
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NewSecret returns a random 256-bit secret for a session cookie or an
// API token, with a prefix that says what it is.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what the database keeps of a secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Limiter allows a number of events per key within a sliding window; it
// guards logins per address. Memory is bounded by pruning old keys.
type Limiter struct {
	Max    int
	Window time.Duration
	now    func() time.Time
	mu     sync.Mutex
	events map[string][]time.Time
}

// NewLimiter returns a Limiter.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, now: time.Now, events: map[string][]time.Time{}}
}

// Allow records an attempt for key and reports whether it is within the
// limit, and if not, how long until the next is.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	ok, wait := l.Check(key)
	if ok {
		l.Add(key)
	}
	return ok, wait
}

// Check reports whether key is within the limit without counting an
// event, and if not, how long until it is.
func (l *Limiter) Check(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.prune(key, now)
	if len(ts) >= l.Max {
		return false, ts[0].Add(l.Window).Sub(now)
	}
	return true, 0
}

// Add counts an event for key (a failed sign-in).
func (l *Limiter) Add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.events[key] = append(l.prune(key, now), now)
}

// prune drops events older than the window; l.mu is held.
func (l *Limiter) prune(key string, now time.Time) []time.Time {
	cut := now.Add(-l.Window)
	if len(l.events) > 10000 {
		for k, ts := range l.events {
			if len(ts) == 0 || ts[len(ts)-1].Before(cut) {
				delete(l.events, k)
			}
		}
	}
	ts := l.events[key]
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	ts = ts[i:]
	l.events[key] = ts
	return ts
}
