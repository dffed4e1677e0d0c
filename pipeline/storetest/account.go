package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hoso/pipeline"
)

func mustUser(t *testing.T, st pipeline.Store, name, role string, deps ...string) *pipeline.User {
	t.Helper()
	u, err := st.UserCreate(context.Background(), &pipeline.User{Name: name, Role: role, Departments: deps, PasswordHash: "$argon2id$x"})
	if err != nil {
		t.Fatalf("UserCreate(%s): %v", name, err)
	}
	return u
}

func testUsers(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	if n, err := st.UserCount(ctx); err != nil || n != 0 {
		t.Fatalf("UserCount = %d, %v; want 0", n, err)
	}
	u := mustUser(t, st, "lan", pipeline.RoleOfficer, "land", "tax", "land")
	if !slices.Equal(u.Departments, []string{"land", "tax"}) || u.Role != pipeline.RoleOfficer || u.ID == 0 {
		t.Errorf("UserCreate = %+v", u)
	}
	for _, bad := range []*pipeline.User{
		{Name: "lan", Role: pipeline.RoleClerk, Departments: []string{"land"}, PasswordHash: "x"}, // taken
		{Name: "two words", Role: pipeline.RoleClerk, Departments: []string{"land"}, PasswordHash: "x"},
		{Name: "minh", Role: "king", Departments: []string{"land"}, PasswordHash: "x"},
		{Name: "minh", Role: pipeline.RoleClerk, PasswordHash: "x"}, // no department
		{Name: "minh", Role: pipeline.RoleClerk, Departments: []string{"atlantis"}, PasswordHash: "x"},
		{Name: "minh", Role: pipeline.RoleClerk, Departments: []string{"land"}}, // no password
	} {
		if _, err := st.UserCreate(ctx, bad); err == nil {
			t.Errorf("UserCreate(%+v) succeeded", bad)
		}
	}
	if err := st.DepartmentCreate(ctx, pipeline.Department{Code: "ward-5", Name: "Phường 5"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DepartmentCreate(again)", st.DepartmentCreate(ctx, pipeline.Department{Code: "ward-5"}), pipeline.ECONFLICT)
	wantCode(t, "DepartmentCreate(bad)", st.DepartmentCreate(ctx, pipeline.Department{Code: "Ward 5"}), pipeline.EINVALID)
	u.Departments = []string{"ward-5"}
	u.Role = pipeline.RoleSupervisor
	if err := st.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := st.UserGetByName(ctx, "lan")
	if err != nil || got.Role != pipeline.RoleSupervisor || !slices.Equal(got.Departments, []string{"ward-5"}) {
		t.Errorf("after UserUpdate: %+v, %v", got, err)
	}
	_, err = st.UserGetByName(ctx, "nobody")
	wantCode(t, "UserGetByName(missing)", err, pipeline.ENOTFOUND)

	// Wrong passwords lock the account at the limit, and a good one clears the count.
	for i := 1; i <= 3; i++ {
		got, err = st.UserLoginFailed(ctx, u.ID, 3, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if locked := got.LockedUntil.After(time.Now()); locked != (i == 3) {
			t.Errorf("after %d failures: locked %v (%+v)", i, locked, got)
		}
	}
	if err := st.UserLoginSucceeded(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.UserGetByID(ctx, u.ID); got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Errorf("after success: %+v", got)
	}
	list, err := st.UserList(ctx)
	if err != nil || len(list) != 1 {
		t.Errorf("UserList = %d users, %v", len(list), err)
	}
}

func testSessionsAndTokens(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	u := mustUser(t, st, "hoa", pipeline.RoleClerk, "land")
	if err := st.SessionCreate(ctx, "live", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.SessionCreate(ctx, "stale", u.ID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	sess, err := st.SessionGet(ctx, "live")
	if err != nil || sess.User.Name != "hoa" {
		t.Fatalf("SessionGet(live) = %+v, %v", sess, err)
	}
	_, err = st.SessionGet(ctx, "stale")
	wantCode(t, "SessionGet(expired)", err, pipeline.ENOTFOUND)
	if err := st.SessionDelete(ctx, "live"); err != nil {
		t.Fatal(err)
	}
	_, err = st.SessionGet(ctx, "live")
	wantCode(t, "SessionGet(after logout)", err, pipeline.ENOTFOUND)

	tok, err := st.TokenCreate(ctx, u.ID, "scanner", "hash1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.TokenUser(ctx, "hash1")
	if err != nil || got.ID != u.ID {
		t.Fatalf("TokenUser = %+v, %v", got, err)
	}
	toks, err := st.TokenList(ctx)
	if err != nil || len(toks) != 1 || toks[0].UserName != "hoa" || toks[0].LastUsed.IsZero() {
		t.Errorf("TokenList = %+v, %v", toks, err)
	}
	// A disabled user's sessions end and tokens stop working.
	if err := st.SessionCreate(ctx, "again", u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := st.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = st.SessionGet(ctx, "again")
	wantCode(t, "SessionGet(disabled)", err, pipeline.ENOTFOUND)
	_, err = st.TokenUser(ctx, "hash1")
	wantCode(t, "TokenUser(disabled)", err, pipeline.ENOTFOUND)
	if err := st.TokenRevoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = st.TokenUser(ctx, "hash1")
	wantCode(t, "TokenUser(revoked)", err, pipeline.ENOTFOUND)
	wantCode(t, "TokenRevoke(again)", st.TokenRevoke(ctx, tok.ID), pipeline.ENOTFOUND)
}

// testScope checks that every scoped read returns only what the scope
// covers, in the query itself.
func testScope(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	land := pipeline.Scope{Departments: []string{"land"}}
	tax := pipeline.Scope{Departments: []string{"tax"}}
	b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "land batch", CreatedBy: 7, Department: "land"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BatchGet(ctx, land, b.ID); err != nil {
		t.Errorf("BatchGet(land scope): %v", err)
	}
	_, err = st.BatchGet(ctx, tax, b.ID)
	wantCode(t, "BatchGet(other department)", err, pipeline.ENOTFOUND)
	_, err = st.BatchGet(ctx, pipeline.Scope{}, b.ID)
	wantCode(t, "BatchGet(zero scope)", err, pipeline.ENOTFOUND)
	if l, _ := st.BatchList(ctx, pipeline.BatchListParams{Scope: tax}); len(l) != 0 {
		t.Errorf("BatchList(tax) = %d batches, want 0", len(l))
	}

	// A document is in intake until classified into a department.
	id := classifiedDoc(t, st, b.ID, 1) // classified as administration
	d := mustDoc(t, st, b.ID, "new.pdf", sha(99))
	if _, err := st.DocumentGet(ctx, pipeline.Scope{Departments: []string{pipeline.DepartmentIntake}}, d.ID); err != nil {
		t.Errorf("DocumentGet(intake) of an unclassified document: %v", err)
	}
	_, err = st.DocumentGet(ctx, land, d.ID)
	wantCode(t, "DocumentGet(unclassified, land)", err, pipeline.ENOTFOUND)
	admin := pipeline.Scope{Departments: []string{"administration"}}
	if _, err := st.DocumentGet(ctx, admin, id); err != nil {
		t.Errorf("DocumentGet(administration): %v", err)
	}
	_, err = st.DocumentGet(ctx, land, id)
	wantCode(t, "DocumentGet(other department)", err, pipeline.ENOTFOUND)
	l, err := st.BatchList(ctx, pipeline.BatchListParams{Scope: land, CreatedBy: 7})
	if err != nil || len(l) != 1 || l[0].Documents != 2 || l[0].States[pipeline.StateReceived] != 1 {
		t.Errorf("BatchList(land, mine) = %+v, %v", l, err)
	}

	// Flags: the flag's department decides; evidence outside the scope is
	// counted, not shown.
	other := classifiedDoc(t, st, b.ID, 2)
	err = st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: other, Flags: []pipeline.FlagUpsert{{
		Kind: "recurring_identifier", Key: "phone:+84912345678", Severity: "medium", Department: "administration", Title: "t",
		Evidence: []pipeline.FlagEvidence{{DocumentID: other}, {DocumentID: d.ID}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if fl, _ := st.FlagList(ctx, pipeline.FlagListParams{Scope: land}); len(fl) != 0 {
		t.Errorf("FlagList(land) = %d flags, want 0", len(fl))
	}
	fl, err := st.FlagList(ctx, pipeline.FlagListParams{Scope: admin, DocumentID: other})
	if err != nil || len(fl) != 1 {
		t.Fatalf("FlagList(administration, document) = %v, %v", fl, err)
	}
	f, err := st.FlagGet(ctx, admin, fl[0].ID)
	// Evidence of another department is neither listed nor counted.
	if err != nil || len(f.Evidence) != 1 || f.Evidence[0].DocumentID != other {
		t.Errorf("FlagGet(administration) = %+v, %v; want 1 document shown, none hinted at", f, err)
	}
	_, err = st.FlagGet(ctx, land, fl[0].ID)
	wantCode(t, "FlagGet(other department)", err, pipeline.ENOTFOUND)
	_, err = st.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: land, ID: fl[0].ID, Status: pipeline.FlagDismissed, Reason: "x", DecidedBy: "s"})
	wantCode(t, "FlagDecide(other department)", err, pipeline.ENOTFOUND)

	// Retry: failed documents of a batch in scope go back to extraction.
	if err := st.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: d.ID, Stage: pipeline.StageExtract, Code: pipeline.ETIMEOUT, Reason: "slow"}); err != nil {
		t.Fatal(err)
	}
	_, err = st.DocumentRetry(ctx, pipeline.DocumentRetryParams{Scope: tax, BatchID: b.ID})
	wantCode(t, "DocumentRetry(other department)", err, pipeline.ENOTFOUND)
	ids, err := st.DocumentRetry(ctx, pipeline.DocumentRetryParams{Scope: land, BatchID: b.ID})
	if err != nil || !slices.Equal(ids, []int64{d.ID}) {
		t.Errorf("DocumentRetry = %v, %v; want [%d]", ids, err, d.ID)
	}
	if got, _ := st.DocumentGetByID(ctx, d.ID); got.State != pipeline.StateReceived || got.Error != "" {
		t.Errorf("after retry: %s %q", got.State, got.Error)
	}
}

func testAudit(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	if rep, err := st.AuditVerify(ctx, nil); err != nil || rep.Checked != 0 || len(rep.Problems) != 0 {
		t.Fatalf("AuditVerify(empty) = %+v, %v", rep, err)
	}
	for i, a := range []string{pipeline.AuditLogin, pipeline.AuditSearch, pipeline.AuditView, pipeline.AuditDownload, pipeline.AuditLogout} {
		r := &pipeline.AuditRecord{UserID: 3, UserName: "lan", Remote: "10.0.0.7", Action: a, Object: "document:" + strings.Repeat("1", i+1),
			Detail: pipeline.AuditDetail(map[string]string{"q": "Nguyễn Văn An"})}
		if err := st.AuditAppend(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.Seq != int64(i+1) || len(r.Hash) != 64 {
			t.Errorf("AuditAppend = seq %d hash %q", r.Seq, r.Hash)
		}
	}
	rep, err := st.AuditVerify(ctx, nil)
	if err != nil || rep.Checked != 5 || len(rep.Problems) != 0 {
		t.Fatalf("AuditVerify = %+v, %v; want 5 records, no problems", rep, err)
	}
	list, err := st.AuditList(ctx, pipeline.AuditListParams{Action: pipeline.AuditSearch})
	if err != nil || len(list) != 1 || list[0].Seq != 2 {
		t.Errorf("AuditList(search) = %+v, %v", list, err)
	}
	list, _ = st.AuditList(ctx, pipeline.AuditListParams{BeforeSeq: 5, Limit: 2})
	if len(list) != 2 || list[0].Seq != 4 || list[1].Seq != 3 {
		t.Errorf("AuditList(before 5, 2) = %+v", list)
	}
}

func testFigures(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b := mustBatch(t, st, "figures")
	id := classifiedDoc(t, st, b.ID, 1)
	if err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id}); err != nil {
		t.Fatal(err)
	}
	if err := st.DocumentMarkIndexed(ctx, []int64{id}); err != nil {
		t.Fatal(err)
	}
	d := mustDoc(t, st, b.ID, "broken.pdf", sha(77))
	if err := st.DocumentFail(ctx, pipeline.DocumentFailParams{DocumentID: d.ID, Stage: pipeline.StageExtract, Code: pipeline.ECORRUPT, Reason: "damaged"}); err != nil {
		t.Fatal(err)
	}
	f, err := st.Figures(ctx, pipeline.ScopeAll, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if f.Documents != 2 || f.Failed != 1 || f.Searchable != 1 || len(f.PerDay) != 1 || len(f.Failures) != 1 || f.Failures[0].Code != pipeline.ECORRUPT {
		t.Errorf("Figures = %+v", f)
	}
	f, _ = st.Figures(ctx, pipeline.Scope{Departments: []string{"tax"}}, time.Now().Add(-time.Hour))
	if f.Documents != 0 {
		t.Errorf("Figures(tax) = %d documents, want 0", f.Documents)
	}
}

// testFourEyes: with four eyes on, a high-severity confirmation by one
// supervisor waits for another; the same one cannot confirm twice.
func testFourEyes(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b := mustBatch(t, st, "four eyes")
	id := classifiedDoc(t, st, b.ID, 1)
	err := st.DetectComplete(ctx, pipeline.DetectCompleteParams{DocumentID: id, Flags: []pipeline.FlagUpsert{
		{Kind: "red_flag", Key: "high", Severity: "high", Department: "administration", Title: "h", Evidence: []pipeline.FlagEvidence{{DocumentID: id}}},
		{Kind: "red_flag", Key: "low", Severity: "low", Department: "administration", Title: "l", Evidence: []pipeline.FlagEvidence{{DocumentID: id}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	flags, _ := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Sort: "severity"})
	high, low := flags[0].ID, flags[1].ID
	decide := func(flag int64, who string) (*pipeline.Flag, error) {
		return st.FlagDecide(ctx, pipeline.FlagDecideParams{Scope: pipeline.ScopeAll, FourEyes: true, ID: flag, Status: pipeline.FlagConfirmed, Reason: "confirmed_fraud", DecidedBy: who})
	}
	f, err := decide(high, "lan")
	if err != nil || f.Status != pipeline.FlagAwaitingSecond {
		t.Fatalf("first confirmation: %v, %v; want awaiting a second", f, err)
	}
	if active, _ := st.FlagList(ctx, pipeline.FlagListParams{Scope: pipeline.ScopeAll, Status: pipeline.FlagsActive}); len(active) != 2 {
		t.Errorf("active flags: %d, want 2", len(active))
	}
	_, err = decide(high, "lan")
	wantCode(t, "the same supervisor confirming twice", err, pipeline.ECONFLICT)
	f, err = decide(high, "minh")
	if err != nil || f.Status != pipeline.FlagConfirmed || len(f.Decisions) != 2 {
		t.Errorf("second confirmation: %+v, %v", f, err)
	}
	if f, err = decide(low, "lan"); err != nil || f.Status != pipeline.FlagConfirmed {
		t.Errorf("a low-severity confirmation: %+v, %v; want confirmed at once", f, err)
	}
}

// testAuditKeyed: once keyed, the chain resists a rewrite by someone who
// can write to the database but lacks the key: a changed record, records
// removed and renumbered with a recomputed plain chain, and a new head
// all show. Plain records from before the key still verify.
func testAuditKeyed(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	keyed, ok := st.(interface{ SetAuditKey([]byte) })
	if !ok || h.Exec == nil {
		t.Skip("the store takes no audit key")
	}
	appendN := func(from, n int) {
		for i := from; i < from+n; i++ {
			r := &pipeline.AuditRecord{UserID: 3, UserName: "lan", Action: pipeline.AuditView, Object: fmt.Sprintf("document:%d", i)}
			if err := st.AuditAppend(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(1, 2) // before the key: plain records
	key := []byte("0123456789abcdef0123456789abcdef")
	keyed.SetAuditKey(key)
	appendN(3, 4)
	rep, err := st.AuditVerify(ctx, nil)
	if err != nil || rep.Checked != 6 || rep.Plain != 2 || len(rep.Problems) != 0 {
		t.Fatalf("AuditVerify(keyed) = %+v, %v; want 6 records, 2 plain, no problems", rep, err)
	}
	list, _ := st.AuditList(ctx, pipeline.AuditListParams{})
	if list[5].Version != pipeline.AuditChainKeyed || list[0].Version != pipeline.AuditChainPlain {
		t.Errorf("versions %d, %d", list[0].Version, list[5].Version)
	}
	cp := pipeline.SignAuditCheckpoint(key, rep.HeadSeq, rep.HeadHash, time.Now())
	if rep, err := st.AuditVerify(ctx, cp); err != nil || len(rep.Problems) != 0 || rep.Checkpoint == nil {
		t.Fatalf("AuditVerify(checkpoint) = %+v, %v", rep, err)
	}

	// Without the key, the store refuses to extend the keyed chain.
	keyed.SetAuditKey(nil)
	if err := st.AuditAppend(ctx, &pipeline.AuditRecord{Action: pipeline.AuditView}); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("AuditAppend without the key = %v, want EINVALID", err)
	}
	keyed.SetAuditKey([]byte("another key, another key, another"))
	if err := st.AuditAppend(ctx, &pipeline.AuditRecord{Action: pipeline.AuditView}); pipeline.ErrorCode(err) != pipeline.EINVALID {
		t.Errorf("AuditAppend with another key = %v, want EINVALID", err)
	}
	keyed.SetAuditKey(key)

	// The attack: delete record 4, renumber, recompute every hash as a
	// plain chain and set the head. A plain SHA-256 chain hid this.
	h.Exec(ctx, `DELETE FROM audit_log WHERE seq = 4`)
	h.Exec(ctx, `UPDATE audit_log SET seq = -seq WHERE seq > 4`)
	h.Exec(ctx, `UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0`)
	h.Exec(ctx, `UPDATE audit_log SET user_name = 'minh' WHERE seq = 3`)
	list, _ = st.AuditList(ctx, pipeline.AuditListParams{})
	prev := ""
	for _, r := range list {
		r.PrevHash = prev
		r.Version = pipeline.AuditChainPlain
		r.Hash = r.ComputeHash()
		h.Exec(ctx, fmt.Sprintf(`UPDATE audit_log SET prev_hash = '%s', hash = '%s', chain_version = 1 WHERE seq = %d`, r.PrevHash, r.Hash, r.Seq))
		prev = r.Hash
	}
	h.Exec(ctx, fmt.Sprintf(`UPDATE audit_head SET seq = %d, hash = '%s', key_id = ''`, len(list), prev))
	// The database alone now looks consistent, but the checkpoint and
	// the key's binding do not agree.
	rep, err = st.AuditVerify(ctx, cp)
	if err != nil || len(rep.Problems) == 0 {
		t.Fatalf("AuditVerify(rewritten, checkpoint) = %+v, %v; want problems", rep, err)
	}
	// Rewritten with keyed records instead, it needs the key; without it
	// the HMACs do not match.
	prev = list[1].Hash
	for _, r := range list[2:] {
		r.PrevHash = prev
		r.Hash = r.ComputeMAC([]byte("a guessed key, a guessed key, a g"))
		h.Exec(ctx, fmt.Sprintf(`UPDATE audit_log SET prev_hash = '%s', hash = '%s', chain_version = 2 WHERE seq = %d`, r.PrevHash, r.Hash, r.Seq))
		prev = r.Hash
	}
	h.Exec(ctx, fmt.Sprintf(`UPDATE audit_head SET hash = '%s'`, prev))
	rep, err = st.AuditVerify(ctx, nil)
	if err != nil || len(rep.Problems) < 3 || !strings.Contains(rep.Problems[0].Message, "keyed hash") {
		t.Fatalf("AuditVerify(rewritten with a guessed key) = %+v, %v; want every keyed record reported", rep, err)
	}
}

// testCorrectionKeepsDepartment: a clerk rewrote a page so that the rules
// moved the document to the clerk's department, away from its uploader. A
// rewrite with KeepDepartment holds the department through the
// reclassification; a supervisor's (without it) lets the rules decide.
func testCorrectionKeepsDepartment(t *testing.T, h Harness) {
	ctx := context.Background()
	st := h.Store
	b, err := st.BatchCreate(ctx, pipeline.BatchCreateParams{Name: "land", Department: "land"})
	if err != nil {
		t.Fatal(err)
	}
	land := pipeline.Scope{Departments: []string{"land"}}
	for i, keep := range []bool{true, false} {
		d := mustDoc(t, st, b.ID, fmt.Sprintf("so-do-%d.pdf", i), sha(900+i))
		if err := st.ExtractComplete(ctx, pipeline.ExtractCompleteParams{DocumentID: d.ID, Pages: []pipeline.Page{{Number: 1, Text: "thửa đất"}}}); err != nil {
			t.Fatal(err)
		}
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "land_title", Department: "land"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PageCorrect(ctx, pipeline.PageCorrectParams{Scope: land, DocumentID: d.ID, Number: 1, Text: "hóa đơn thuế", KeepDepartment: keep}); err != nil {
			t.Fatal(err)
		}
		// The rules now read the text as a finance document.
		if err := st.ClassifyComplete(ctx, pipeline.ClassifyCompleteParams{DocumentID: d.ID, Classification: pipeline.Classification{Type: "invoice", Department: "finance"}}); err != nil {
			t.Fatal(err)
		}
		got, err := st.DocumentGet(ctx, pipeline.ScopeAll, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := "finance"
		if keep {
			want = "land"
		}
		if got.Department != want || got.Type != "invoice" {
			t.Errorf("KeepDepartment %v: department %q type %q, want %q invoice", keep, got.Department, got.Type, want)
		}
	}
}
