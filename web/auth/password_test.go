package auth

import (
	"errors"
	"testing"
)

// TestCommonPasswordsRefused: NIST SP 800-63B's checks, on passwords the
// review had accepted (aaaaaaaaaa) and their kin.
func TestCommonPasswordsRefused(t *testing.T) {
	for _, c := range []struct {
		password, user string
		want           error
	}{
		{"ngắn", "lan", ErrPasswordShort},
		{"aaaaaaaaaa", "lan", ErrPasswordCommon},
		{"1234567890", "lan", ErrPasswordCommon},
		{"0987654321", "lan", ErrPasswordCommon},
		{"abcdefghijk", "lan", ErrPasswordCommon},
		{"abcabcabcabc", "lan", ErrPasswordCommon},
		{"qwertyuiop", "lan", ErrPasswordCommon},
		{"Password123!", "lan", ErrPasswordCommon},
		{"P@ssw0rd2024", "lan", ErrPasswordCommon},
		{"matkhau@2024", "lan", ErrPasswordCommon},
		{"anhyeuem123456", "lan", ErrPasswordCommon},
		{"passwordpassword", "lan", ErrPasswordCommon},
		{"2024!!nguyen", "lan", ErrPasswordCommon},
		{"12345678901", "lan", ErrPasswordCommon},
		{"LanLanLanLan", "lanlanlanlan", ErrPasswordUserName},
		{"minhtran2024!", "minhtran", ErrPasswordUserName},
		{"minhpassword123", "minh", ErrPasswordCommon},
		{"mật khẩu riêng của minh", "minh", nil},
		{"correct horse battery", "lan", nil},
		{"sông Hồng chảy qua ba mùa", "lan", nil},
		{"Tr4m-ch1m-g0-c0ng", "lan", nil},
	} {
		if err := CheckNewPassword(c.password, c.user); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
			t.Errorf("CheckNewPassword(%q, %q) = %v, want %v", c.password, c.user, err, c.want)
		}
	}
}
