package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("mật khẩu của Lan 2026")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not an Argon2id PHC string with the chosen parameters", h)
	}
	h2, _ := HashPassword("mật khẩu của Lan 2026")
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !CheckPassword(h, "mật khẩu của Lan 2026") {
		t.Error("the right password does not check")
	}
	for _, wrong := range []string{"", "mật khẩu của Lan 2025", "mat khau cua Lan 2026"} {
		if CheckPassword(h, wrong) {
			t.Errorf("%q checks", wrong)
		}
	}
	parts := strings.Split(h, "$")
	for _, bad := range []string{"", "plain", "$argon2i$" + strings.Join(parts[2:], "$"),
		strings.Replace(h, "m=65536", "m=999999999", 1), // a hash that would eat the memory
		strings.Join(append(parts[:5:5], "AAAA"), "$")} {
		if CheckPassword(bad, "mật khẩu của Lan 2026") {
			t.Errorf("malformed hash %q checks", bad)
		}
	}
}

func TestNewPasswordAndSecrets(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := NewPassword()
		if len(p) != 16 || strings.ContainsAny(p, "0O1lI") || seen[p] {
			t.Fatalf("NewPassword = %q", p)
		}
		seen[p] = true
	}
	s := NewSecret("hoso_")
	if !strings.HasPrefix(s, "hoso_") || len(s) != 5+43 || HashSecret(s) == HashSecret(s+"x") || len(HashSecret(s)) != 64 {
		t.Errorf("NewSecret = %q", s)
	}
	if err := CheckNewPassword("ngắn", "lan"); err == nil {
		t.Error("a short password passes")
	}
	if err := CheckNewPassword("LanLanLanLan", "lanlanlanlan"); err == nil {
		t.Error("the user name as password passes")
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter(3, time.Minute)
	now := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("10.0.0.1"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := l.Allow("10.0.0.1")
	if ok || wait != time.Minute {
		t.Errorf("fourth attempt: %v, wait %v", ok, wait)
	}
	if ok, _ := l.Allow("10.0.0.2"); !ok {
		t.Error("another address is refused")
	}
	now = now.Add(61 * time.Second)
	if ok, _ := l.Allow("10.0.0.1"); !ok {
		t.Error("refused after the window passed")
	}
}
