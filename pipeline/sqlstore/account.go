package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hoso/pipeline"
)

var _ pipeline.AccountStore = (*Store)(nil)

// DepartmentCreate adds a department.
func (s *Store) DepartmentCreate(ctx context.Context, d pipeline.Department) error {
	d.Code = strings.TrimSpace(d.Code)
	if d.Code == "" || strings.ContainsAny(d.Code, " \t,/") || strings.ToLower(d.Code) != d.Code {
		return pipeline.Errorf(pipeline.EINVALID, "A department code is one lower-case word such as %q, not %q.", "land", d.Code)
	}
	if strings.TrimSpace(d.Name) == "" {
		d.Name = d.Code
	}
	n, err := s.db.Exec(ctx, `INSERT INTO department (code, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING`, d.Code, d.Name, s.now())
	if err != nil {
		return fmt.Errorf("create department: %w", err)
	}
	if n == 0 {
		return pipeline.Errorf(pipeline.ECONFLICT, "Department %q exists already.", d.Code)
	}
	return nil
}

// DepartmentList lists the departments by code.
func (s *Store) DepartmentList(ctx context.Context) ([]pipeline.Department, error) {
	out, err := collect(func(row Row) (pipeline.Department, error) {
		var d pipeline.Department
		err := row.Scan(&d.Code, &d.Name)
		return d, err
	})(s.db.Query(ctx, `SELECT code, name FROM department ORDER BY code`))
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return out, nil
}

func (s *Store) checkUser(ctx context.Context, u *pipeline.User) error {
	u.Name = strings.TrimSpace(u.Name)
	if u.Name == "" || len(u.Name) > 64 || strings.ContainsAny(u.Name, " \t\r\n/:") {
		return pipeline.Errorf(pipeline.EINVALID, "A user name is one word of at most 64 characters, without spaces, slashes or colons.")
	}
	if !slices.Contains(pipeline.Roles, u.Role) {
		return pipeline.Errorf(pipeline.EINVALID, "The role is one of %s, not %q.", strings.Join(pipeline.Roles, ", "), u.Role)
	}
	if u.Role != pipeline.RoleAdmin && len(u.Departments) == 0 {
		return pipeline.Errorf(pipeline.EINVALID, "A %s needs at least one department.", u.Role)
	}
	deps, err := s.DepartmentList(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	var codes []string
	for _, d := range deps {
		known[d.Code] = true
		codes = append(codes, d.Code)
	}
	for _, d := range u.Departments {
		if !known[d] {
			return pipeline.Errorf(pipeline.EINVALID, "There is no department %q; the departments are %s.", d, strings.Join(codes, ", "))
		}
	}
	slices.Sort(u.Departments)
	u.Departments = slices.Compact(u.Departments)
	return nil
}

func (s *Store) writeDepartments(ctx context.Context, tx Tx, u *pipeline.User) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_department WHERE user_id = $1`, u.ID); err != nil {
		return err
	}
	for _, d := range u.Departments {
		if _, err := tx.Exec(ctx, `INSERT INTO user_department (user_id, department) VALUES ($1, $2)`, u.ID, d); err != nil {
			return err
		}
	}
	return nil
}

// UserCreate adds a user.
func (s *Store) UserCreate(ctx context.Context, u *pipeline.User) (*pipeline.User, error) {
	if err := s.checkUser(ctx, u); err != nil {
		return nil, err
	}
	if u.PasswordHash == "" {
		return nil, pipeline.Errorf(pipeline.EINVALID, "A user needs a password.")
	}
	err := s.inTx(ctx, func(tx Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM app_user WHERE name = $1`, u.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return pipeline.Errorf(pipeline.ECONFLICT, "There is a user called %q already.", u.Name)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO app_user (name, role, password_hash, must_change_password, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, u.Name, u.Role, u.PasswordHash, u.MustChangePassword, s.now()).Scan(&u.ID); err != nil {
			return err
		}
		return s.writeDepartments(ctx, tx, u)
	})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return s.UserGetByID(ctx, u.ID)
}

const userColumns = `id, name, role, password_hash, must_change_password, disabled, failed_logins, locked_until, created_at`

func (s *Store) scanUser(ctx context.Context, row Row, what string) (*pipeline.User, error) {
	u := &pipeline.User{}
	var locked *time.Time
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.PasswordHash, &u.MustChangePassword, &u.Disabled, &u.FailedLogins, &locked, &u.CreatedAt)
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "There is no user %s.", what)
	} else if err != nil {
		return nil, fmt.Errorf("get user %s: %w", what, err)
	}
	if locked != nil {
		u.LockedUntil = locked.UTC()
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.Departments, err = s.userDepartments(ctx, u.ID)
	return u, err
}

func (s *Store) userDepartments(ctx context.Context, id int64) ([]string, error) {
	return collect(scanString)(s.db.Query(ctx, `SELECT department FROM user_department WHERE user_id = $1 ORDER BY department`, id))
}

// UserGetByID returns a user.
func (s *Store) UserGetByID(ctx context.Context, id int64) (*pipeline.User, error) {
	return s.scanUser(ctx, s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM app_user WHERE id = $1`, id), fmt.Sprintf("with ID %d", id))
}

// UserGetByName returns a user.
func (s *Store) UserGetByName(ctx context.Context, name string) (*pipeline.User, error) {
	return s.scanUser(ctx, s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM app_user WHERE name = $1`, name), fmt.Sprintf("called %q", name))
}

// UserList lists users by name.
func (s *Store) UserList(ctx context.Context) ([]*pipeline.User, error) {
	ids, err := s.ids(ctx, `SELECT id FROM app_user ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := []*pipeline.User{}
	for _, id := range ids {
		u, err := s.UserGetByID(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// UserCount counts users.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM app_user`).Scan(&n)
	return n, err
}

// UserUpdate writes a user's role, departments, state and password.
func (s *Store) UserUpdate(ctx context.Context, u *pipeline.User) error {
	if err := s.checkUser(ctx, u); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx Tx) error {
		var locked *time.Time
		if !u.LockedUntil.IsZero() {
			locked = &u.LockedUntil
		}
		n, err := tx.Exec(ctx, `UPDATE app_user SET role = $2, password_hash = $3, must_change_password = $4, disabled = $5,
			failed_logins = $6, locked_until = $7 WHERE id = $1`, u.ID, u.Role, u.PasswordHash, u.MustChangePassword, u.Disabled, u.FailedLogins, locked)
		if err != nil {
			return err
		}
		if n == 0 {
			return pipeline.Errorf(pipeline.ENOTFOUND, "There is no user with ID %d.", u.ID)
		}
		if u.Disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM user_session WHERE user_id = $1`, u.ID); err != nil {
				return err
			}
		}
		return s.writeDepartments(ctx, tx, u)
	})
}

// UserLoginFailed counts a wrong password.
func (s *Store) UserLoginFailed(ctx context.Context, id int64, maxFailures int, lockFor time.Duration) (*pipeline.User, error) {
	now := s.now()
	err := s.inTx(ctx, func(tx Tx) error {
		var failed int
		if err := tx.QueryRow(ctx, `UPDATE app_user SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins`, id).Scan(&failed); err != nil {
			return err
		}
		if failed >= maxFailures {
			_, err := tx.Exec(ctx, `UPDATE app_user SET locked_until = $2, failed_logins = 0 WHERE id = $1`, id, now.Add(lockFor))
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count failed login: %w", err)
	}
	return s.UserGetByID(ctx, id)
}

// UserLoginSucceeded clears the failure count and any lock.
func (s *Store) UserLoginSucceeded(ctx context.Context, id int64) error {
	_, err := s.db.Exec(ctx, `UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = $1`, id)
	return err
}

// SessionCreate records a session.
func (s *Store) SessionCreate(ctx context.Context, tokenHash string, userID int64, expires time.Time) error {
	now := s.now()
	if _, err := s.db.Exec(ctx, `DELETE FROM user_session WHERE expires_at < $1`, now); err != nil {
		return err
	}
	_, err := s.db.Exec(ctx, `INSERT INTO user_session (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`, tokenHash, userID, now, expires.UTC())
	return err
}

// SessionGet returns a live session.
func (s *Store) SessionGet(ctx context.Context, tokenHash string) (*pipeline.Session, error) {
	var userID int64
	var expires time.Time
	err := s.db.QueryRow(ctx, `SELECT user_id, expires_at FROM user_session WHERE token_hash = $1`, tokenHash).Scan(&userID, &expires)
	if errors.Is(err, ErrNoRows) || (err == nil && !expires.After(s.now())) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "The session has ended; sign in again.")
	} else if err != nil {
		return nil, fmt.Errorf("get session: %w", err)
	}
	u, err := s.UserGetByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "The session has ended; sign in again.")
	}
	return &pipeline.Session{User: u, ExpiresAt: expires.UTC()}, nil
}

// SessionDelete ends a session.
func (s *Store) SessionDelete(ctx context.Context, tokenHash string) error {
	_, err := s.db.Exec(ctx, `DELETE FROM user_session WHERE token_hash = $1`, tokenHash)
	return err
}

// SessionRevokeUser ends the user's sessions but keep.
func (s *Store) SessionRevokeUser(ctx context.Context, userID int64, keep string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM user_session WHERE user_id = $1 AND token_hash <> $2`, userID, keep); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// TokenCreate stores an API token's hash.
func (s *Store) TokenCreate(ctx context.Context, userID int64, name, tokenHash string) (*pipeline.Token, error) {
	t := &pipeline.Token{UserID: userID, Name: strings.TrimSpace(name), CreatedAt: s.now()}
	if t.Name == "" {
		t.Name = "token"
	}
	err := s.db.QueryRow(ctx, `INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		userID, t.Name, tokenHash, t.CreatedAt).Scan(&t.ID)
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	return t, nil
}

// TokenUser returns the token's user.
func (s *Store) TokenUser(ctx context.Context, tokenHash string) (*pipeline.User, error) {
	var id, userID int64
	err := s.db.QueryRow(ctx, `SELECT id, user_id FROM api_token WHERE token_hash = $1`, tokenHash).Scan(&id, &userID)
	if errors.Is(err, ErrNoRows) {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "The API token is not valid (revoked, or mistyped).")
	} else if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	if _, err := s.db.Exec(ctx, `UPDATE api_token SET last_used = $2 WHERE id = $1`, id, s.now()); err != nil {
		return nil, err
	}
	u, err := s.UserGetByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, pipeline.Errorf(pipeline.ENOTFOUND, "The API token's user is disabled.")
	}
	return u, nil
}

// TokenList lists tokens, without their secrets (hoso never has them).
func (s *Store) TokenList(ctx context.Context) ([]*pipeline.Token, error) {
	out, err := collect(func(row Row) (*pipeline.Token, error) {
		t := &pipeline.Token{}
		var last *time.Time
		if err := row.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.CreatedAt, &last); err != nil {
			return nil, err
		}
		if last != nil {
			t.LastUsed = last.UTC()
		}
		t.CreatedAt = t.CreatedAt.UTC()
		return t, nil
	})(s.db.Query(ctx, `SELECT t.id, t.user_id, u.name, t.name, t.created_at, t.last_used
		FROM api_token t JOIN app_user u ON u.id = t.user_id ORDER BY t.id`))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// TokenRevoke deletes a token.
func (s *Store) TokenRevoke(ctx context.Context, id int64) error {
	n, err := s.db.Exec(ctx, `DELETE FROM api_token WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return pipeline.Errorf(pipeline.ENOTFOUND, "There is no token with ID %d.", id)
	}
	return nil
}
