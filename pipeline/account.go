package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// Roles. A clerk uploads and watches batches; an officer searches and reads;
// a supervisor reviews flags and edits rules; an admin manages users,
// departments and tokens and reads the audit trail.
const (
	RoleClerk      = "clerk"
	RoleOfficer    = "officer"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
)

// Roles lists the roles.
var Roles = []string{RoleClerk, RoleOfficer, RoleSupervisor, RoleAdmin}

// DepartmentIntake is where documents wait that were uploaded for no
// department and that no rule gives one: supervisors see it, and those
// who work in it.
const DepartmentIntake = "intake"

// Department is a unit of the office; documents, batches and flags belong
// to one.
type Department struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// User is a person (or a program, through a token) who signs in.
type User struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Departments []string `json:"departments"`
	Disabled    bool     `json:"disabled"`
	// FailedLogins counts wrong passwords since the last good one;
	// LockedUntil is set when they reach the limit.
	FailedLogins int       `json:"failed_logins"`
	LockedUntil  time.Time `json:"locked_until,omitzero"`
	// MustChangePassword is set for one-time passwords.
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
	PasswordHash       string    `json:"-"`
}

// Scope returns what the user may see: their departments. Supervisors
// also see intake, where documents uploaded for no department wait when
// no rule names a department for them; clerks see it only when they work
// in it.
func (u *User) Scope() Scope {
	deps := slices.Clone(u.Departments)
	if u.Role == RoleSupervisor && !slices.Contains(deps, DepartmentIntake) {
		deps = append(deps, DepartmentIntake)
	}
	return Scope{Departments: deps}
}

// Scope is the set of departments whose documents, batches and flags a
// reader may see. The zero Scope sees nothing; ScopeAll is for the system
// itself (workers, the command line).
type Scope struct {
	All         bool
	Departments []string
}

// ScopeAll sees everything.
var ScopeAll = Scope{All: true}

// Allows reports whether the scope covers a department.
func (s Scope) Allows(department string) bool {
	if department == "" {
		department = DepartmentIntake
	}
	return s.All || slices.Contains(s.Departments, department)
}

// Token is an API token's record; the secret itself is shown once and
// stored only as its SHA-256.
type Token struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	UserName  string    `json:"user"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// Session is a signed-in browser.
type Session struct {
	User      *User
	ExpiresAt time.Time
}

// AuditRecord is one entry of the audit trail. Hash is the SHA-256 of the
// previous record's hash and this record's content; changing or removing a
// record breaks the chain from there on.
type AuditRecord struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user"`
	Remote   string    `json:"remote"`
	Action   string    `json:"action"`
	Object   string    `json:"object"` // e.g. "document:12"
	Detail   string    `json:"detail"` // JSON, e.g. the search query
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Audit actions.
const (
	AuditLogin          = "login"
	AuditLoginFailed    = "login_failed"
	AuditLogout         = "logout"
	AuditUpload         = "upload"
	AuditView           = "view"
	AuditDownload       = "download"
	AuditSearch         = "search"
	AuditRetry          = "retry"
	AuditClassification = "classification_change"
	AuditCorrection     = "correction"
	AuditRuleChange     = "rule_change"
	AuditFlagDecision   = "flag_decision"
	AuditUserChange     = "user_change"
	AuditTokenChange    = "token_change"
	AuditReindex        = "reindex"
	AuditExport         = "audit_export"
)

// ComputeHash returns the record's chained hash: SHA-256 over the previous
// hash and the record's fields, each length-prefixed so no two records
// share an encoding.
func (a *AuditRecord) ComputeHash() string {
	h := sha256.New()
	for _, f := range []string{a.PrevHash, strconv.FormatInt(a.Seq, 10), a.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(a.UserID, 10), a.UserName, a.Remote, a.Action, a.Object, a.Detail} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditDetail encodes v as a record's detail.
func AuditDetail(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

// AuditListParams are the parameters of AccountStore.AuditList.
type AuditListParams struct {
	UserName string
	Action   string
	Object   string
	Since    time.Time
	Until    time.Time
	AfterSeq int64 // oldest first from here; BeforeSeq for newest first
	// BeforeSeq, when set, lists newest first below it.
	BeforeSeq int64
	Limit     int // 0 means 200
}

// AuditProblem is a break in the audit chain.
type AuditProblem struct {
	Seq     int64  `json:"seq"`
	Message string `json:"message"`
}

// VerifyAudit walks records in seq order and reports every break: a
// record whose hash does not match its content (changed), a gap in the
// numbers or a previous hash that does not match (removed), and a chain
// that stops short of the head (the newest removed). next is called until
// it returns nil.
func VerifyAudit(next func() (*AuditRecord, error), headSeq int64, headHash string) (int64, []AuditProblem, error) {
	var problems []AuditProblem
	var prev *AuditRecord
	var n int64
	for {
		r, err := next()
		if err != nil {
			return n, problems, err
		}
		if r == nil {
			break
		}
		n++
		wantSeq, wantPrev := int64(1), ""
		if prev != nil {
			wantSeq, wantPrev = prev.Seq+1, prev.Hash
		}
		if r.Seq != wantSeq {
			msg := "record " + strconv.FormatInt(wantSeq, 10) + " is missing"
			if r.Seq-1 > wantSeq {
				msg = "records " + strconv.FormatInt(wantSeq, 10) + " to " + strconv.FormatInt(r.Seq-1, 10) + " are missing"
			}
			problems = append(problems, AuditProblem{Seq: wantSeq, Message: msg})
		} else if r.PrevHash != wantPrev {
			problems = append(problems, AuditProblem{Seq: r.Seq, Message: "record " + strconv.FormatInt(r.Seq, 10) + " does not follow the record before it (previous hash differs)"})
		}
		if r.ComputeHash() != r.Hash {
			problems = append(problems, AuditProblem{Seq: r.Seq, Message: "record " + strconv.FormatInt(r.Seq, 10) + " was changed: its content does not match its hash"})
		}
		prev = r
	}
	last, lastHash := int64(0), ""
	if prev != nil {
		last, lastHash = prev.Seq, prev.Hash
	}
	if headSeq != last {
		problems = append(problems, AuditProblem{Seq: last + 1, Message: "the trail ends at record " + strconv.FormatInt(last, 10) + " but " + strconv.FormatInt(headSeq, 10) + " were written: the newest records were removed"})
	} else if headHash != lastHash {
		problems = append(problems, AuditProblem{Seq: last, Message: "record " + strconv.FormatInt(last, 10) + " differs from the one written last"})
	}
	return n, problems, nil
}

// AccountStore keeps users, departments, sessions, tokens and the audit
// trail.
type AccountStore interface {
	DepartmentCreate(ctx context.Context, d Department) error
	DepartmentList(ctx context.Context) ([]Department, error)

	UserCreate(ctx context.Context, u *User) (*User, error)
	UserGetByID(ctx context.Context, id int64) (*User, error)
	UserGetByName(ctx context.Context, name string) (*User, error)
	UserList(ctx context.Context) ([]*User, error)
	UserCount(ctx context.Context) (int, error)
	// UserUpdate writes role, departments, disabled, password hash and
	// must-change flag.
	UserUpdate(ctx context.Context, u *User) error
	// UserLoginFailed counts a wrong password and locks the account for
	// lockFor once it reaches maxFailures; it returns the updated user.
	UserLoginFailed(ctx context.Context, id int64, maxFailures int, lockFor time.Duration) (*User, error)
	UserLoginSucceeded(ctx context.Context, id int64) error

	SessionCreate(ctx context.Context, tokenHash string, userID int64, expires time.Time) error
	// SessionGet returns the session with that hash if it has not expired.
	SessionGet(ctx context.Context, tokenHash string) (*Session, error)
	SessionDelete(ctx context.Context, tokenHash string) error

	TokenCreate(ctx context.Context, userID int64, name, tokenHash string) (*Token, error)
	// TokenUser returns the user a token belongs to and notes its use.
	TokenUser(ctx context.Context, tokenHash string) (*User, error)
	TokenList(ctx context.Context) ([]*Token, error)
	TokenRevoke(ctx context.Context, id int64) error

	// AuditAppend adds a record at the end of the chain, filling Seq,
	// PrevHash and Hash (and At when zero).
	AuditAppend(ctx context.Context, r *AuditRecord) error
	AuditList(ctx context.Context, p AuditListParams) ([]*AuditRecord, error)
	// AuditVerify checks the whole chain.
	AuditVerify(ctx context.Context) (checked int64, problems []AuditProblem, err error)
}
