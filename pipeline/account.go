package pipeline

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"iter"
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

// AuditRecord is one entry of the audit trail. Hash chains it to the
// record before: for records of chain version 2 (AuditChainKeyed) it is an
// HMAC-SHA256 keyed by a secret kept outside the database, so someone who
// can write to the database cannot recompute it; records of version 1
// (written before the key existed) carry a plain SHA-256.
type AuditRecord struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	UserID   int64     `json:"user_id"`
	UserName string    `json:"user"`
	Remote   string    `json:"remote"`
	Action   string    `json:"action"`
	Object   string    `json:"object"` // e.g. "document:12"
	Detail   string    `json:"detail"` // JSON, e.g. the search query
	Version  int       `json:"version"`
	PrevHash string    `json:"prev_hash"`
	Hash     string    `json:"hash"`
}

// Audit chain versions.
const (
	AuditChainPlain = 1 // SHA-256: shows accidents, not a rewrite
	AuditChainKeyed = 2 // HMAC-SHA256 with the audit key
)

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
	AuditCheckpointMade = "audit_checkpoint"
	AuditJobAction      = "job_action" // a change through River's job UI
	AuditDataExport     = "export"     // hoso export on the command line
)

// ComputeHash returns the record's chained hash: SHA-256 over the previous
// hash and the record's fields, each length-prefixed so no two records
// share an encoding.
func (a *AuditRecord) ComputeHash() string {
	h := sha256.New()
	a.encode(h, a.PrevHash, strconv.FormatInt(a.Seq, 10), a.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(a.UserID, 10), a.UserName, a.Remote, a.Action, a.Object, a.Detail)
	return hex.EncodeToString(h.Sum(nil))
}

func (a *AuditRecord) encode(w interface{ Write([]byte) (int, error) }, fields ...string) {
	for _, f := range fields {
		w.Write([]byte(strconv.Itoa(len(f))))
		w.Write([]byte{':'})
		w.Write([]byte(f))
	}
}

// ComputeMAC returns the record's keyed chain hash (version 2): an
// HMAC-SHA256 under key over the version, the previous hash and the
// record's fields.
func (a *AuditRecord) ComputeMAC(key []byte) string {
	h := hmac.New(sha256.New, key)
	a.encode(h, "hoso-audit", strconv.Itoa(AuditChainKeyed), a.PrevHash, strconv.FormatInt(a.Seq, 10), a.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(a.UserID, 10), a.UserName, a.Remote, a.Action, a.Object, a.Detail)
	return hex.EncodeToString(h.Sum(nil))
}

// AuditKeyID names a key without revealing it, so that a process with
// another key refuses to extend the chain.
func AuditKeyID(key []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("hoso audit key id"))
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// AuditSigningKey derives the Ed25519 key that signs checkpoints from the
// audit key: one secret to keep, and a public key to publish.
func AuditSigningKey(key []byte) ed25519.PrivateKey {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("hoso audit checkpoint signing key"))
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// AuditCheckpoint is a signed statement of the chain's head: kept away from
// the database, it shows any later rewrite or removal of the records up to
// it, even by someone who has the database and the key.
type AuditCheckpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	PublicKey string    `json:"public_key"` // hex Ed25519
	Signature string    `json:"signature"`  // hex Ed25519 over Message
}

// Message is what the signature covers.
func (c *AuditCheckpoint) Message() []byte {
	return []byte("hoso audit checkpoint v1\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" + c.At.UTC().Format(time.RFC3339Nano) + "\n")
}

// SignAuditCheckpoint signs a checkpoint of the head seq/hash.
func SignAuditCheckpoint(key []byte, seq int64, hash string, at time.Time) *AuditCheckpoint {
	sk := AuditSigningKey(key)
	c := &AuditCheckpoint{Seq: seq, Hash: hash, At: at.UTC().Truncate(time.Second)}
	c.PublicKey = hex.EncodeToString(sk.Public().(ed25519.PublicKey))
	c.Signature = hex.EncodeToString(ed25519.Sign(sk, c.Message()))
	return c
}

// CheckSignature reports whether the checkpoint is signed by publicKey (hex);
// an empty publicKey accepts the one the checkpoint names.
func (c *AuditCheckpoint) CheckSignature(publicKey string) error {
	if publicKey != "" && publicKey != c.PublicKey {
		return Errorf(EINVALID, "The checkpoint was signed with another key (%s), not this trail's (%s).", c.PublicKey, publicKey)
	}
	pk, err1 := hex.DecodeString(c.PublicKey)
	sig, err2 := hex.DecodeString(c.Signature)
	if err1 != nil || err2 != nil || len(pk) != ed25519.PublicKeySize || !ed25519.Verify(pk, c.Message(), sig) {
		return Errorf(EINVALID, "The checkpoint's signature is not valid: the file was changed or is not a checkpoint.")
	}
	return nil
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

// AuditReport is the result of checking the chain.
type AuditReport struct {
	Checked int64 `json:"checked"`
	// Plain counts records of chain version 1, written before the audit
	// key: they show accidents but not a rewrite by someone who can write
	// to the database.
	Plain    int64          `json:"plain"`
	HeadSeq  int64          `json:"head_seq"`
	HeadHash string         `json:"head_hash"`
	Problems []AuditProblem `json:"problems"`
	// Checkpoint is set when a checkpoint was checked and held.
	Checkpoint *AuditCheckpoint `json:"checkpoint,omitempty"`
}

// VerifyAudit walks records in seq order and reports every break: a
// record whose hash does not match its content (changed), a gap in the
// numbers or a previous hash that does not match (removed), a chain that
// stops short of the head (the newest removed), a plain record after a
// keyed one (rewritten without the key), and, when cp is given, a record
// at the checkpoint that differs from the one signed or a chain that stops
// before it. records yields the trail in seq order, or an error that ends
// the walk. key is the audit key;
// without it keyed records cannot be checked and are reported. plainMax,
// when not negative, is how many records the trail held when the key was
// made (kept beside the key): more plain records than that means the trail
// was rewritten without the key.
func VerifyAudit(records iter.Seq2[*AuditRecord, error], headSeq int64, headHash string, key []byte, plainMax int64, cp *AuditCheckpoint) (*AuditReport, error) {
	rep := &AuditReport{HeadSeq: headSeq, HeadHash: headHash}
	add := func(seq int64, msg string) {
		rep.Problems = append(rep.Problems, AuditProblem{Seq: seq, Message: msg})
	}
	itoa := func(n int64) string { return strconv.FormatInt(n, 10) }
	var prev *AuditRecord
	keyed, cpSeen := false, false
	for r, err := range records {
		if err != nil {
			return rep, err
		}
		rep.Checked++
		wantSeq, wantPrev := int64(1), ""
		if prev != nil {
			wantSeq, wantPrev = prev.Seq+1, prev.Hash
		}
		if r.Seq != wantSeq {
			msg := "record " + itoa(wantSeq) + " is missing"
			if r.Seq-1 > wantSeq {
				msg = "records " + itoa(wantSeq) + " to " + itoa(r.Seq-1) + " are missing"
			}
			add(wantSeq, msg)
		} else if r.PrevHash != wantPrev {
			add(r.Seq, "record "+itoa(r.Seq)+" does not follow the record before it (previous hash differs)")
		}
		switch r.Version {
		case AuditChainKeyed:
			keyed = true
			if key == nil {
				add(r.Seq, "record "+itoa(r.Seq)+" is keyed but the audit key was not given: it cannot be checked")
			} else if r.ComputeMAC(key) != r.Hash {
				add(r.Seq, "record "+itoa(r.Seq)+" was changed: its content does not match its keyed hash")
			}
		default:
			rep.Plain++
			if keyed {
				add(r.Seq, "record "+itoa(r.Seq)+" is not keyed though keyed records come before it: it was written without the key")
			} else if plainMax >= 0 && rep.Plain > plainMax {
				add(r.Seq, "record "+itoa(r.Seq)+" is not keyed, but the audit key was made when the trail held "+itoa(plainMax)+" records: the trail was rewritten without the key")
			} else if r.ComputeHash() != r.Hash {
				add(r.Seq, "record "+itoa(r.Seq)+" was changed: its content does not match its hash")
			}
		}
		if cp != nil && r.Seq == cp.Seq {
			cpSeen = true
			if r.Hash != cp.Hash {
				add(r.Seq, "record "+itoa(r.Seq)+" differs from the one the checkpoint of "+cp.At.UTC().Format(time.RFC3339)+" vouches for: the trail up to it was rewritten")
			}
		}
		prev = r
	}
	last, lastHash := int64(0), ""
	if prev != nil {
		last, lastHash = prev.Seq, prev.Hash
	}
	if headSeq != last {
		add(last+1, "the trail ends at record "+itoa(last)+" but "+itoa(headSeq)+" were written: the newest records were removed")
	} else if headHash != lastHash {
		add(last, "record "+itoa(last)+" differs from the one written last")
	}
	if cp != nil && !cpSeen {
		add(cp.Seq, "the trail ends at record "+itoa(last)+" but the checkpoint of "+cp.At.UTC().Format(time.RFC3339)+" vouches for "+itoa(cp.Seq)+" records: records were removed")
	}
	if cp != nil && len(rep.Problems) == 0 {
		rep.Checkpoint = cp
	}
	return rep, nil
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
	// SessionRevokeUser ends every session of the user but keep's (a
	// password change keeps the session that made it; "" ends them all).
	SessionRevokeUser(ctx context.Context, userID int64, keep string) error

	TokenCreate(ctx context.Context, userID int64, name, tokenHash string) (*Token, error)
	// TokenUser returns the user a token belongs to and notes its use.
	TokenUser(ctx context.Context, tokenHash string) (*User, error)
	TokenList(ctx context.Context) ([]*Token, error)
	TokenRevoke(ctx context.Context, id int64) error

	// AuditAppend adds a record at the end of the chain, filling Seq,
	// PrevHash and Hash (and At when zero).
	AuditAppend(ctx context.Context, r *AuditRecord) error
	AuditList(ctx context.Context, p AuditListParams) ([]*AuditRecord, error)
	// AuditVerify checks the whole chain, and the checkpoint when given
	// (its signature is the caller's to check).
	AuditVerify(ctx context.Context, cp *AuditCheckpoint) (*AuditReport, error)
}
