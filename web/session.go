package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"hoso/pipeline"
	"hoso/web/auth"
)

const (
	sessionCookie  = "hoso_session"
	languageCookie = "hoso_lang"
)

func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

type loginPage struct {
	Name    string
	Next    string
	Message string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if currentUser(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", &loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// login checks a password. Every failure gets the same answer with the
// same status after the same work (a password hash compared): a wrong
// name, a wrong password, a disabled or a locked account, too many
// failures from one address. Only failures count towards the limits, by
// account (in the database) and by address (in memory).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, pipeline.Errorf(pipeline.EINVALID, "The sign-in form could not be read."))
		return
	}
	ctx := r.Context()
	t := s.translator(r)
	page := &loginPage{Name: strings.TrimSpace(r.PostFormValue("name")), Next: safeNext(r.PostFormValue("next"))}
	password := r.PostFormValue("password")
	addr := s.clientAddr(r)
	u, err := s.cfg.Store.UserGetByName(ctx, page.Name)
	if err != nil && pipeline.ErrorCode(err) != pipeline.ENOTFOUND {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	hash := dummyHash()
	if u != nil && !u.Disabled {
		hash = u.PasswordHash
	}
	// The hash is compared in every case, so the time taken tells nothing.
	passwordOK := auth.CheckPassword(hash, password) && u != nil && !u.Disabled
	addrOK, _ := s.logins.Check(addr)
	reason := ""
	switch {
	case !addrOK:
		reason = "too_many"
	case u == nil:
		reason = "unknown"
	case u.Disabled:
		reason = "disabled"
	case u.LockedUntil.After(now):
		reason = "locked"
	case !passwordOK:
		reason = "password"
	}
	if reason != "" {
		if err := s.loginFailed(r, u, page.Name, addr, reason); err != nil {
			s.fail(w, r, err)
			return
		}
		page.Message = t.T("login.wrong")
		s.render(w, r, http.StatusUnauthorized, "login", page)
		return
	}
	if err := s.cfg.Store.UserLoginSucceeded(ctx, u.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	secret := auth.NewSecret("hs_")
	expires := now.Add(s.cfg.SessionTTL)
	if err := s.cfg.Store.SessionCreate(ctx, auth.HashSecret(secret), u.ID, expires); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.auditAs(r, u, pipeline.AuditLogin, "user:"+u.Name, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", Expires: expires, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	next := page.Next
	if u.MustChangePassword {
		next = "/account/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// loginFailed counts a failed sign-in against the address, and against
// the account when the password was wrong, and audits it; an unknown
// name is kept as typed, cut short (it may be a password typed in the
// wrong field).
func (s *Server) loginFailed(r *http.Request, u *pipeline.User, name, addr, reason string) error {
	s.logins.Add(addr)
	if reason == "password" {
		if _, err := s.cfg.Store.UserLoginFailed(r.Context(), u.ID, s.cfg.MaxFailedLogins, s.cfg.LockFor); err != nil {
			return err
		}
	}
	who := u
	if who == nil {
		if len(name) > 64 {
			name = strings.ToValidUTF8(name[:64], "")
		}
		who = &pipeline.User{Name: name}
	}
	return s.auditAs(r, who, pipeline.AuditLoginFailed, "user:"+who.Name, map[string]string{"reason": reason})
}

// dummyHash is checked against when the name is unknown. It is made at
// the first sign-in, not when the package loads: Argon2id takes 64 MiB,
// which every hoso command (process, ingest, export) would otherwise
// hold at its start.
var dummyHash = sync.OnceValue(func() string {
	h, _ := auth.HashPassword("not a password anyone has")
	return h
})

func (s *Server) auditAs(r *http.Request, u *pipeline.User, action, object string, detail any) error {
	rec := &pipeline.AuditRecord{UserID: u.ID, UserName: u.Name, Remote: s.clientAddr(r), Action: action, Object: object, Detail: pipeline.AuditDetail(detail)}
	err := s.cfg.Store.AuditAppend(r.Context(), rec)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "Audit record not written", "action", action, "error", err)
	}
	return err
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if hash, ok := r.Context().Value(sessionKey).(string); ok {
		if err := s.cfg.Store.SessionDelete(r.Context(), hash); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	// The one record whose failure does not stop its action: the session
	// is gone already, and a sign-out that failed would leave the person
	// believing they were out. The failure is logged.
	if err := s.audit(r, pipeline.AuditLogout, "user:"+currentUser(r).Name, nil); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "Audit record not written", "action", pipeline.AuditLogout, "error", err)
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// language sets the interface language and goes back where the switch was.
func (s *Server) language(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	lang := r.PostFormValue("lang")
	if _, ok := catalogs[lang]; !ok {
		lang = "vi"
	}
	http.SetCookie(w, &http.Cookie{Name: languageCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, HttpOnly: true})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	to := map[string]string{pipeline.RoleClerk: "/batches", pipeline.RoleOfficer: "/search",
		pipeline.RoleSupervisor: "/flags", pipeline.RoleAdmin: "/admin/users"}[currentUser(r).Role]
	http.Redirect(w, r, to, http.StatusSeeOther)
}

type passwordPage struct {
	Message string
	Done    bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", &passwordPage{})
}

func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ctx := r.Context()
	t := s.translator(r)
	u, err := s.cfg.Store.UserGetByID(ctx, currentUser(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := &passwordPage{}
	current, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("again")
	switch {
	case !auth.CheckPassword(u.PasswordHash, current):
		page.Message = t.T("password.wrong_current")
	case next != again:
		page.Message = t.T("password.mismatch")
	case next == current:
		page.Message = t.T("password.same")
	default:
		switch err := auth.CheckNewPassword(next, u.Name); {
		case errors.Is(err, auth.ErrPasswordShort):
			page.Message = t.T("password.weak", auth.MinPasswordLength)
		case errors.Is(err, auth.ErrPasswordUserName):
			page.Message = t.T("password.user_name")
		case err != nil:
			page.Message = t.T("password.common")
		}
	}
	if page.Message != "" {
		s.render(w, r, http.StatusBadRequest, "password", page)
		return
	}
	if u.PasswordHash, err = auth.HashPassword(next); err != nil {
		s.fail(w, r, err)
		return
	}
	u.MustChangePassword = false
	if err := s.cfg.Store.UserUpdate(ctx, u); err != nil {
		s.fail(w, r, err)
		return
	}
	// Whoever knew the old password is signed out everywhere else.
	keep, _ := ctx.Value(sessionKey).(string)
	if err := s.cfg.Store.SessionRevokeUser(ctx, u.ID, keep); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.audit(r, pipeline.AuditUserChange, "user:"+u.Name, map[string]string{"change": "password"}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// CreateFirstAdmin creates user "admin" with a random one-time password
// when the database has no users yet, and returns the password ("" when
// there were users).
func CreateFirstAdmin(ctx context.Context, store pipeline.Store) (string, error) {
	n, err := store.UserCount(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password := auth.NewPassword()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	u, err := store.UserCreate(ctx, &pipeline.User{Name: "admin", Role: pipeline.RoleAdmin, PasswordHash: hash, MustChangePassword: true})
	if err != nil {
		return "", fmt.Errorf("create the first administrator: %w", err)
	}
	err = store.AuditAppend(ctx, &pipeline.AuditRecord{UserName: "hoso", Remote: "local", Action: pipeline.AuditUserChange,
		Object: "user:" + u.Name, Detail: pipeline.AuditDetail(map[string]string{"change": "created", "role": u.Role})})
	return password, err
}
