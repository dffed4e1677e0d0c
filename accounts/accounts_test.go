package accounts_test

import (
	"context"
	"testing"
	"time"

	"hoso/accounts"
	"hoso/pipeline"
	"hoso/pipeline/sqlite/sqlitetest"
	"hoso/web/auth"
)

func TestAccountChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	st, _, _ := sqlitetest.Open(t)
	svc := &accounts.Service{Store: st}
	admin := accounts.Actor{Name: "cli:root", Remote: "local"}

	u, password, err := svc.Create(ctx, admin, pipeline.User{Name: "lan", Role: pipeline.RoleClerk, Departments: []string{pipeline.DepartmentIntake}})
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(u.PasswordHash, password) || !u.MustChangePassword {
		t.Errorf("created user: the one-time password does not match its hash, or need not be changed")
	}
	if _, _, err := svc.Create(ctx, admin, pipeline.User{Name: "lan", Role: pipeline.RoleClerk, Departments: []string{pipeline.DepartmentIntake}}); pipeline.ErrorCode(err) != pipeline.ECONFLICT {
		t.Errorf("a second lan: %v, want %s", err, pipeline.ECONFLICT)
	}
	if err := st.SessionCreate(ctx, "s1", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	newPassword, err := accounts.ResetPassword(u)
	if err != nil || newPassword == password {
		t.Fatalf("ResetPassword = %q, %v", newPassword, err)
	}
	if err := svc.Update(ctx, admin, u, true, map[string]any{"change": "password"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionGet(ctx, "s1"); pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		t.Errorf("the session outlived a password reset: %v", err)
	}
	tok, secret, err := svc.TokenCreate(ctx, admin, u, "scanner")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.TokenUser(ctx, auth.HashSecret(secret)); err != nil || got.ID != u.ID {
		t.Errorf("TokenUser(secret) = %v, %v", got, err)
	}
	if err := svc.TokenRevoke(ctx, admin, tok.ID); err != nil {
		t.Fatal(err)
	}
	recs, err := st.AuditList(ctx, pipeline.AuditListParams{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range recs {
		if r.UserName != "cli:root" || r.Remote != "local" {
			t.Errorf("record %s by %q from %q", r.Action, r.UserName, r.Remote)
		}
		actions = append(actions, r.Action+" "+r.Object)
	}
	if len(recs) != 4 {
		t.Errorf("audit trail %q, want the creation, the reset, the token and its revocation", actions)
	}
}
