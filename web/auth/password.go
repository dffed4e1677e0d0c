package auth

import (
	_ "embed"
	"errors"
	"strings"
	"unicode"
)

// The ways a new password is refused (NIST SP 800-63B, 5.1.1.2: long
// enough, not common or breached, not repetitive or sequential, not the
// user's name).
var (
	ErrPasswordShort    = errors.New("the password is too short")
	ErrPasswordUserName = errors.New("the password holds the user name")
	ErrPasswordCommon   = errors.New("the password is common, repetitive or sequential")
)

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the set of common and breached passwords shipped with
// hoso (common_passwords.txt says where they come from).
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// leet undoes the usual letter swaps: p@ssw0rd is password.
var leet = strings.NewReplacer("@", "a", "4", "a", "0", "o", "1", "i", "3", "e", "5", "s", "$", "s", "7", "t", "!", "i")

// CheckNewPassword says what is wrong with a password a user chose:
// ErrPasswordShort, ErrPasswordUserName or ErrPasswordCommon.
func CheckNewPassword(password, userName string) error {
	if len([]rune(password)) < MinPasswordLength {
		return ErrPasswordShort
	}
	lower := strings.ToLower(password)
	name := strings.ToLower(strings.TrimSpace(userName))
	if name != "" && (lower == name || strings.Contains(name, lower)) {
		return ErrPasswordUserName
	}
	// The name with a few characters around it is the name: what is left
	// without it must be a password on its own.
	rest := lower
	if len([]rune(name)) >= 3 {
		rest = strings.ReplaceAll(lower, name, "")
		if rest != lower && len([]rune(strings.TrimSpace(rest))) < MinPasswordLength {
			return ErrPasswordUserName
		}
	}
	if commonPassword(lower) || (rest != lower && commonPassword(strings.TrimSpace(rest))) {
		return ErrPasswordCommon
	}
	return nil
}

func commonPassword(lower string) bool {
	if commonPasswords[lower] || repetitive(lower) || sequential(lower) {
		return true
	}
	// A common word with digits or symbols around it, letters swapped.
	core := strings.TrimFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, c := range []string{core, leet.Replace(core), strings.TrimFunc(leet.Replace(lower), func(r rune) bool { return !unicode.IsLetter(r) })} {
		if c == "" || commonPasswords[c] || repeatsCommon(c) {
			return true
		}
	}
	return false
}

// repetitive: one short run repeated (aaaaaaaaaa, abcabcabca, 1212121212).
func repetitive(s string) bool {
	r := []rune(s)
	for p := 1; p <= 4 && p < len(r); p++ {
		same := true
		for i := p; i < len(r); i++ {
			if r[i] != r[i-p] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// sequential: each character one after (or before) the last
// (abcdefghij, 9876543210).
func sequential(s string) bool {
	r := []rune(s)
	if len(r) < 3 {
		return false
	}
	d := r[1] - r[0]
	if d != 1 && d != -1 {
		return false
	}
	for i := 2; i < len(r); i++ {
		if r[i]-r[i-1] != d {
			return false
		}
	}
	return true
}

// repeatsCommon: a common word said more than once (passwordpassword).
func repeatsCommon(s string) bool {
	for p := 1; p <= len(s)/2; p++ {
		if len(s)%p != 0 || !commonPasswords[s[:p]] {
			continue
		}
		if strings.Repeat(s[:p], len(s)/p) == s {
			return true
		}
	}
	return false
}
