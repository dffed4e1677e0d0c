package web_test

import (
	"context"
	"net/url"
	"testing"

	"hoso/web"
	"hoso/web/auth"
)

// TestSessionsRevokedOnPasswordChange: a password change ends every other
// session of the user (the one that made it stays); an admin's reset and
// disabling end them all.
func TestSessionsRevokedOnPasswordChange(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	thief, owner := f.browser(), f.browser()
	thief.login("officer-land", testPassword, "/")
	owner.login("officer-land", testPassword, "/")
	if resp, _ := thief.do("GET", "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Fatalf("thief signed in: %d", resp.StatusCode)
	}
	newPassword := "a new and long passphrase 42"
	resp, body := owner.do("POST", "/account/password", url.Values{"current": {testPassword}, "new": {newPassword}, "again": {newPassword}})
	if resp.StatusCode != 303 {
		t.Fatalf("password change: %d %s", resp.StatusCode, body)
	}
	if resp, _ := owner.do("GET", "/api/v1/me", nil); resp.StatusCode != 200 {
		t.Errorf("the session that changed the password: %d, want 200", resp.StatusCode)
	}
	if resp, _ := thief.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("another session after a password change: %d, want 401", resp.StatusCode)
	}

	// An admin's reset ends the owner's session too.
	admin := f.browser()
	admin.login("admin", testPassword, "/")
	u, _ := f.store.UserGetByName(ctx, "officer-land")
	if resp, body := admin.do("POST", "/admin/users/"+itoa(u.ID), url.Values{"action": {"reset"}}); resp.StatusCode != 200 {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	if resp, _ := owner.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("a session after a reset: %d, want 401", resp.StatusCode)
	}
	// Disabling ends sessions as well.
	clerk := f.browser()
	clerk.login("clerk-land", testPassword, "/")
	c, _ := f.store.UserGetByName(ctx, "clerk-land")
	admin.do("POST", "/admin/users/"+itoa(c.ID), url.Values{"action": {"disable"}})
	admin.do("POST", "/admin/users/"+itoa(c.ID), url.Values{"action": {"enable"}})
	if resp, _ := clerk.do("GET", "/api/v1/me", nil); resp.StatusCode != 401 {
		t.Errorf("a session after disabling and enabling: %d, want 401", resp.StatusCode)
	}
}

// TestAPIRefusesMustChangePassword: a one-time password opens only the page
// that replaces it; the API refuses the session (it read texts before).
func TestAPIRefusesMustChangePassword(t *testing.T) {
	f := newFixture(t, web.Config{})
	ctx := context.Background()
	u, _ := f.store.UserGetByName(ctx, "officer-land")
	u.MustChangePassword = true
	u.PasswordHash, _ = auth.HashPassword("one-time password 1234")
	if err := f.store.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	if resp := b.login("officer-land", "one-time password 1234", "/"); resp.Header.Get("Location") != "/account/password" {
		t.Fatalf("sign-in with a one-time password went to %q", resp.Header.Get("Location"))
	}
	for _, path := range []string{"/api/v1/documents/" + itoa(f.doc["land"]) + "/text", "/api/v1/search?q=Thành", "/api/v1/documents/" + itoa(f.doc["land"])} {
		if resp, body := b.do("GET", path, nil); resp.StatusCode != 403 {
			t.Errorf("GET %s with a one-time password: %d %s, want 403", path, resp.StatusCode, body)
		}
	}
	if resp, _ := b.do("GET", "/search?q=Thành", nil); resp.StatusCode != 303 || resp.Header.Get("Location") != "/account/password" {
		t.Errorf("a page with a one-time password: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := b.do("POST", "/logout", url.Values{}); resp.StatusCode != 303 {
		t.Errorf("sign out with a one-time password: %d", resp.StatusCode)
	}
}
