// Package accounts changes users and API tokens the one way both the admin
// pages and the hoso users command do: secrets made and hashed here, shown
// once to the caller, sessions ended where a password is reset or an
// account disabled, and every change recorded in the audit trail. A
// change whose record cannot be written reports the error.
package accounts

import (
	"context"
	"strconv"
	"time"

	"hoso/pipeline"
	"hoso/web/auth"
)

// Store is what accounts need of a pipeline.Store.
type Store interface {
	UserCreate(ctx context.Context, u *pipeline.User) (*pipeline.User, error)
	UserUpdate(ctx context.Context, u *pipeline.User) error
	SessionRevokeUser(ctx context.Context, userID int64, keep string) error
	TokenCreate(ctx context.Context, userID int64, name, tokenHash string) (*pipeline.Token, error)
	TokenRevoke(ctx context.Context, id int64) error
	AuditAppend(ctx context.Context, r *pipeline.AuditRecord) error
}

// Actor is who makes a change, as the audit trail names them: a signed-in
// admin (UserID set) or a command line ("cli:NAME", Remote "local").
type Actor struct {
	UserID int64
	Name   string
	Remote string
}

// Service makes account changes.
type Service struct {
	Store Store
}

// audit records a change by who.
func (s *Service) audit(ctx context.Context, who Actor, action, object string, detail any) error {
	return s.Store.AuditAppend(ctx, &pipeline.AuditRecord{UserID: who.UserID, UserName: who.Name, Remote: who.Remote,
		Action: action, Object: object, Detail: pipeline.AuditDetail(detail)})
}

// Create adds a user with a one-time password, which it returns: the user
// chooses their own at first sign-in.
func (s *Service) Create(ctx context.Context, who Actor, u pipeline.User) (*pipeline.User, string, error) {
	password := auth.NewPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, "", err
	}
	u.PasswordHash, u.MustChangePassword = hash, true
	created, err := s.Store.UserCreate(ctx, &u)
	if err != nil {
		return nil, "", err
	}
	detail := map[string]any{"change": "created", "role": created.Role, "departments": created.Departments}
	if err := s.audit(ctx, who, pipeline.AuditUserChange, "user:"+created.Name, detail); err != nil {
		return nil, "", err
	}
	return created, password, nil
}

// ResetPassword gives u a new one-time password, unlocks the account and
// ends its sessions; it returns the password. Store it with Update.
func ResetPassword(u *pipeline.User) (string, error) {
	password := auth.NewPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	u.PasswordHash, u.MustChangePassword = hash, true
	u.LockedUntil, u.FailedLogins = time.Time{}, 0
	return password, nil
}

// Update stores a changed user and records the change (detail says what
// changed). A disabled account or a reset password (reset) ends the
// user's sessions: whoever held the old password is out.
func (s *Service) Update(ctx context.Context, who Actor, u *pipeline.User, reset bool, detail map[string]any) error {
	if err := s.Store.UserUpdate(ctx, u); err != nil {
		return err
	}
	if u.Disabled || reset {
		if err := s.Store.SessionRevokeUser(ctx, u.ID, ""); err != nil {
			return err
		}
	}
	return s.audit(ctx, who, pipeline.AuditUserChange, "user:"+u.Name, detail)
}

// TokenCreate gives u a new API token named label and returns its secret,
// which hoso keeps only hashed.
func (s *Service) TokenCreate(ctx context.Context, who Actor, u *pipeline.User, label string) (*pipeline.Token, string, error) {
	secret := auth.NewSecret("hoso_")
	t, err := s.Store.TokenCreate(ctx, u.ID, label, auth.HashSecret(secret))
	if err != nil {
		return nil, "", err
	}
	if err := s.audit(ctx, who, pipeline.AuditTokenChange, "user:"+u.Name, map[string]any{"change": "created", "token": t.ID, "name": t.Name}); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// TokenRevoke deletes an API token.
func (s *Service) TokenRevoke(ctx context.Context, who Actor, id int64) error {
	if err := s.Store.TokenRevoke(ctx, id); err != nil {
		return err
	}
	return s.audit(ctx, who, pipeline.AuditTokenChange, "token:"+strconv.FormatInt(id, 10), map[string]string{"change": "revoked"})
}
