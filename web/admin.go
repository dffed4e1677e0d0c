package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"hoso/accounts"
	"hoso/pipeline"
)

type usersPage struct {
	Users       []*pipeline.User
	Departments []pipeline.Department
	Tokens      []*pipeline.Token
	Roles       []string
	Locked      map[int64]bool // users locked out now, after wrong passwords
	Message     string
	// Secret is a one-time password or a new token, shown once.
	Secret      string
	SecretFor   string
	SecretIsKey bool
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, &usersPage{})
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, page *usersPage) {
	ctx := r.Context()
	var err error
	if page.Users, err = s.cfg.Store.UserList(ctx); err == nil {
		if page.Departments, err = s.cfg.Store.DepartmentList(ctx); err == nil {
			page.Tokens, err = s.cfg.Store.TokenList(ctx)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Roles = pipeline.Roles
	page.Locked = map[int64]bool{}
	now := time.Now()
	for _, u := range page.Users {
		if u.LockedUntil.After(now) {
			page.Locked[u.ID] = true
		}
	}
	s.render(w, r, status, "users", page)
}

// userFail re-renders the users page with a message a person can act on.
func (s *Server) userFail(w http.ResponseWriter, r *http.Request, err error) {
	if pipeline.ErrorCode(err) == pipeline.EINTERNAL {
		s.fail(w, r, err)
		return
	}
	s.renderUsers(w, r, http.StatusBadRequest, &usersPage{Message: pipeline.ErrorMessage(err)})
}

func (s *Server) userCreateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.userFail(w, r, pipeline.Errorf(pipeline.EINVALID, "The form could not be read."))
		return
	}
	u, password, err := s.accounts().Create(r.Context(), s.actor(r), pipeline.User{Name: r.PostFormValue("name"), Role: r.PostFormValue("role"),
		Departments: r.PostForm["department"]})
	if err != nil {
		s.userFail(w, r, err)
		return
	}
	s.renderUsers(w, r, http.StatusOK, &usersPage{Secret: password, SecretFor: u.Name})
}

// userUpdateForm changes a user's role and departments, disables or
// enables them, unlocks them, or gives a new one-time password.
func (s *Server) userUpdateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.userFail(w, r, pipeline.Errorf(pipeline.EINVALID, "The form could not be read."))
		return
	}
	ctx := r.Context()
	u, err := s.cfg.Store.UserGetByID(ctx, id)
	if err != nil {
		s.userFail(w, r, err)
		return
	}
	page := &usersPage{}
	change := map[string]any{}
	switch action := r.PostFormValue("action"); action {
	case "save":
		u.Role, u.Departments = r.PostFormValue("role"), r.PostForm["department"]
		change["role"], change["departments"] = u.Role, u.Departments
	case "disable", "enable":
		if action == "disable" && u.ID == currentUser(r).ID {
			s.userFail(w, r, pipeline.Errorf(pipeline.EINVALID, "You cannot disable your own account."))
			return
		}
		u.Disabled = action == "disable"
	case "unlock":
		u.LockedUntil, u.FailedLogins = time.Time{}, 0
	case "reset":
		password, err := accounts.ResetPassword(u)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		page.Secret, page.SecretFor = password, u.Name
	default:
		s.userFail(w, r, pipeline.Errorf(pipeline.EINVALID, "Unknown action %q.", action))
		return
	}
	change["change"] = r.PostFormValue("action")
	if u.Role == pipeline.RoleAdmin && u.ID == currentUser(r).ID && r.PostFormValue("role") != "" && r.PostFormValue("role") != pipeline.RoleAdmin {
		s.userFail(w, r, pipeline.Errorf(pipeline.EINVALID, "You cannot take the admin role from yourself; ask another admin."))
		return
	}
	if err := s.accounts().Update(ctx, s.actor(r), u, page.Secret != "", change); err != nil {
		s.userFail(w, r, err)
		return
	}
	if page.Secret != "" {
		s.renderUsers(w, r, http.StatusOK, page)
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

func (s *Server) tokenCreateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	ctx := r.Context()
	u, err := s.cfg.Store.UserGetByName(ctx, strings.TrimSpace(r.PostFormValue("user")))
	if err != nil {
		s.userFail(w, r, err)
		return
	}
	_, secret, err := s.accounts().TokenCreate(ctx, s.actor(r), u, r.PostFormValue("name"))
	if err != nil {
		s.userFail(w, r, err)
		return
	}
	s.renderUsers(w, r, http.StatusOK, &usersPage{Secret: secret, SecretFor: u.Name, SecretIsKey: true})
}

func (s *Server) tokenRevokeForm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.accounts().TokenRevoke(r.Context(), s.actor(r), id); err != nil {
		s.userFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

func (s *Server) departmentCreateForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	d := pipeline.Department{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if err := s.cfg.Store.DepartmentCreate(r.Context(), d); err != nil {
		s.userFail(w, r, err)
		return
	}
	if err := s.audit(r, pipeline.AuditUserChange, "department:"+d.Code, map[string]string{"change": "created", "name": d.Name}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
}

type auditPage struct {
	Records []*pipeline.AuditRecord
	Query   url.Values
	Actions []string
	Older   int64
	Message string
	Export  string
}

var auditActions = []string{pipeline.AuditLogin, pipeline.AuditLoginFailed, pipeline.AuditLogout, pipeline.AuditUpload, pipeline.AuditView,
	pipeline.AuditDownload, pipeline.AuditSearch, pipeline.AuditRetry, pipeline.AuditClassification, pipeline.AuditRuleChange,
	pipeline.AuditFlagDecision, pipeline.AuditCorrection, pipeline.AuditUserChange, pipeline.AuditTokenChange, pipeline.AuditReindex, pipeline.AuditExport,
	pipeline.AuditJobAction, pipeline.AuditDataExport, pipeline.AuditCheckpointMade}

// auditPage lists the trail newest first, 100 at a time.
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	page := &auditPage{Query: r.URL.Query(), Actions: auditActions}
	p, err := auditParams(r)
	if err != nil {
		page.Message = pipeline.ErrorMessage(err)
		s.render(w, r, http.StatusBadRequest, "audit", page)
		return
	}
	if p.BeforeSeq == 0 {
		p.BeforeSeq = 1 << 62
	}
	p.Limit = 100
	if page.Records, err = s.cfg.Store.AuditList(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(page.Records) == p.Limit {
		page.Older = page.Records[len(page.Records)-1].Seq
	}
	q := url.Values{}
	for k, v := range page.Query {
		if k != "before" {
			q[k] = slices.Clone(v)
		}
	}
	page.Export = "/admin/audit/export?" + q.Encode()
	s.render(w, r, http.StatusOK, "audit", page)
}

// auditExport streams the filtered trail as JSON Lines, oldest first.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) {
	p, err := auditParams(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.BeforeSeq, p.Limit = 0, 1000
	if err := s.audit(r, pipeline.AuditExport, "audit", map[string]string{"query": r.URL.RawQuery}); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="hoso-audit.jsonl"`)
	enc := json.NewEncoder(w)
	for {
		list, err := s.cfg.Store.AuditList(r.Context(), p)
		if err != nil {
			s.cfg.Logger.ErrorContext(r.Context(), "Audit export cut short", "error", err)
			return
		}
		for _, rec := range list {
			if err := enc.Encode(rec); err != nil {
				return
			}
		}
		if len(list) < p.Limit {
			return
		}
		p.AfterSeq = list[len(list)-1].Seq
	}
}
