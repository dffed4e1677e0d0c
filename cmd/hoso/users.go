package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"hoso/accounts"
	"hoso/pipeline"
)

// multiFlag collects a repeated flag (--department a --department b, or
// --department a,b).
type multiFlag []string

func (f *multiFlag) String() string { return strings.Join(*f, ",") }

func (f *multiFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*f = append(*f, p)
		}
	}
	return nil
}

// cliActor is who makes a change on the command line: the operating
// system's user name stands for them.
func cliActor() accounts.Actor {
	who := "cli"
	if u, err := user.Current(); err == nil {
		who = "cli:" + u.Username
	}
	return accounts.Actor{Name: who, Remote: "local"}
}

// cliAudit records a change made on the command line.
func cliAudit(ctx context.Context, st pipeline.Store, action, object string, detail any) error {
	who := cliActor()
	return st.AuditAppend(ctx, &pipeline.AuditRecord{UserName: who.Name, Remote: who.Remote, Action: action, Object: object, Detail: pipeline.AuditDetail(detail)})
}

func (m *Main) users(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"users needs a subcommand: add, token, list, password, disable, enable"}
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("users " + sub)
	var name, role, label string
	var deps multiFlag
	if sub != "list" {
		f.fs.StringVar(&name, "name", "", "user name")
	}
	switch sub {
	case "add":
		f.fs.StringVar(&role, "role", "", "clerk, officer, supervisor or admin")
		f.fs.Var(&deps, "department", "department code; repeat or separate with commas")
	case "token":
		f.fs.StringVar(&label, "label", "", "what the token is for")
	case "password", "disable", "enable", "list":
	default:
		return usageError{fmt.Sprintf("unknown users subcommand %q (add, token, list, password, disable, enable)", sub)}
	}
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	if sub == "list" {
		return m.usersList(ctx, rt.Store)
	}
	if name == "" {
		return usageError{"name the user with --name"}
	}
	acc := &accounts.Service{Store: rt.Store}
	if sub == "add" {
		u, password, err := acc.Create(ctx, cliActor(), pipeline.User{Name: name, Role: role, Departments: deps})
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "Created %s (%s, %s). One-time password, shown only now; they choose their own at first sign-in:\n", u.Name, u.Role, strings.Join(u.Departments, ", "))
		fmt.Fprintln(m.Stdout, password)
		return nil
	}
	u, err := rt.Store.UserGetByName(ctx, name)
	if err != nil {
		return err
	}
	if sub == "token" {
		t, secret, err := acc.TokenCreate(ctx, cliActor(), u, label)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "API token %d for %s (%s), shown only now; send it as Authorization: Bearer TOKEN:\n", t.ID, u.Name, u.Role)
		fmt.Fprintln(m.Stdout, secret)
		return nil
	}
	return m.usersChange(ctx, acc, u, sub)
}

// usersList prints every user with their role, departments and state.
func (m *Main) usersList(ctx context.Context, st pipeline.Store) error {
	list, err := st.UserList(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(m.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tDEPARTMENTS\tSTATE")
	for _, u := range list {
		state := "active"
		if u.Disabled {
			state = "disabled"
		} else if u.LockedUntil.After(time.Now()) {
			state = "locked until " + u.LockedUntil.Local().Format("15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, strings.Join(u.Departments, ","), state)
	}
	return tw.Flush()
}

// usersChange gives a user a new one-time password ("password"), or
// disables or enables them.
func (m *Main) usersChange(ctx context.Context, acc *accounts.Service, u *pipeline.User, sub string) error {
	password := ""
	switch sub {
	case "password":
		var err error
		if password, err = accounts.ResetPassword(u); err != nil {
			return err
		}
	case "disable":
		u.Disabled = true
	case "enable":
		u.Disabled = false
	}
	if err := acc.Update(ctx, cliActor(), u, password != "", map[string]any{"change": sub}); err != nil {
		return err
	}
	if password != "" {
		fmt.Fprintf(m.Stderr, "New one-time password for %s, shown only now:\n", u.Name)
		fmt.Fprintln(m.Stdout, password)
	} else {
		fmt.Fprintf(m.Stdout, "%s is %sd\n", u.Name, sub)
	}
	return nil
}

func (m *Main) departments(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "add") {
		return usageError{"departments needs a subcommand: list, or add CODE --name NAME"}
	}
	sub := args[0]
	f := m.newFlags("departments " + sub)
	name := f.fs.String("name", "", "the department's name as people say it")
	rt, pos, err := f.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer rt.Close()
	if sub == "add" {
		if len(pos) != 1 {
			return usageError{"usage: hoso departments add CODE --name NAME"}
		}
		d := pipeline.Department{Code: pos[0], Name: *name}
		if err := rt.Store.DepartmentCreate(ctx, d); err != nil {
			return err
		}
		return cliAudit(ctx, rt.Store, pipeline.AuditUserChange, "department:"+d.Code, map[string]string{"change": "created", "name": d.Name})
	}
	list, err := rt.Store.DepartmentList(ctx)
	if err != nil {
		return err
	}
	for _, d := range list {
		fmt.Fprintf(m.Stdout, "%-16s %s\n", d.Code, d.Name)
	}
	return nil
}

func (m *Main) audit(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export" && args[0] != "checkpoint") {
		return usageError{"audit needs a subcommand: verify [--checkpoint FILE], checkpoint [--out FILE], or export [--user U] [--action A] [--since DATE] [--until DATE]"}
	}
	sub := args[0]
	f := m.newFlags("audit " + sub)
	var p pipeline.AuditListParams
	var since, until, cpFile, out string
	switch sub {
	case "export":
		f.fs.StringVar(&p.UserName, "user", "", "only this user's records")
		f.fs.StringVar(&p.Action, "action", "", "only this action")
		f.fs.StringVar(&p.Object, "object", "", "only this object, e.g. document:12")
		f.fs.StringVar(&since, "since", "", "from this date (yyyy-mm-dd)")
		f.fs.StringVar(&until, "until", "", "up to and including this date")
	case "verify":
		f.fs.StringVar(&cpFile, "checkpoint", "", "a checkpoint written by hoso audit checkpoint: the records up to it must be the ones it signed")
	case "checkpoint":
		f.fs.StringVar(&out, "out", "", "write the checkpoint to this file instead of the standard output")
	}
	rt, _, err := f.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer rt.Close()
	switch sub {
	case "verify":
		return m.auditVerify(ctx, rt, cpFile)
	case "checkpoint":
		return m.auditCheckpoint(ctx, rt, out)
	}
	return m.auditExport(ctx, rt.Store, p, since, until)
}

// auditExport writes the audit records that match p, from since up to
// and including until (dates, may be empty), one JSON object a line.
func (m *Main) auditExport(ctx context.Context, st pipeline.Store, p pipeline.AuditListParams, since, until string) error {
	for i, s := range []string{since, until} {
		if s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			return usageError{fmt.Sprintf("%q is not a date like 2024-07-05", s)}
		}
		if i == 0 {
			p.Since = t
		} else {
			p.Until = t.AddDate(0, 0, 1)
		}
	}
	enc := json.NewEncoder(m.Stdout)
	p.Limit = 1000
	for {
		list, err := st.AuditList(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range list {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		if len(list) < p.Limit {
			return nil
		}
		p.AfterSeq = list[len(list)-1].Seq
	}
}

func (m *Main) auditVerify(ctx context.Context, rt *Runtime, cpFile string) error {
	var cp *pipeline.AuditCheckpoint
	if cpFile != "" {
		b, err := os.ReadFile(cpFile)
		if err != nil {
			return pipeline.Errorf(pipeline.EINVALID, "Cannot read the checkpoint %s: %v.", cpFile, err)
		}
		cp = &pipeline.AuditCheckpoint{}
		if err := json.Unmarshal(b, cp); err != nil {
			return pipeline.Errorf(pipeline.EINVALID, "%s is not a checkpoint written by hoso audit checkpoint.", cpFile)
		}
		if err := cp.CheckSignature(auditPublicKey(rt.auditKey)); err != nil {
			return err
		}
	}
	rep, err := rt.Store.AuditVerify(ctx, cp)
	if err != nil {
		return err
	}
	if len(rep.Problems) == 0 {
		fmt.Fprintf(m.Stdout, "The audit trail is intact: %d records, each chained to the one before.\n", rep.Checked)
		if rep.Plain > 0 {
			fmt.Fprintf(m.Stdout, "Records 1 to %d were written before the audit key existed: they are chained by plain SHA-256, which someone with write access to the database could recompute; checkpoints protect them from here on.\n", rep.Plain)
		}
		if rep.Checkpoint != nil {
			fmt.Fprintf(m.Stdout, "The checkpoint of %s holds: records 1 to %d are the ones it signed.\n", rep.Checkpoint.At.Local().Format(time.RFC3339), rep.Checkpoint.Seq)
		}
		return nil
	}
	for _, pr := range rep.Problems {
		fmt.Fprintf(m.Stdout, "record %d: %s\n", pr.Seq, pr.Message)
	}
	return pipeline.Errorf(pipeline.ECORRUPT, "The audit trail was tampered with: %d problems in %d records (the first at record %d).", len(rep.Problems), rep.Checked, rep.Problems[0].Seq)
}

// auditPublicKey is the hex public key that signs this trail's checkpoints.
func auditPublicKey(key []byte) string {
	return hex.EncodeToString(pipeline.AuditSigningKey(key).Public().(ed25519.PublicKey))
}

// auditCheckpoint verifies the trail, records the checkpoint in it and
// writes a signed statement of the new head for safekeeping elsewhere.
func (m *Main) auditCheckpoint(ctx context.Context, rt *Runtime, out string) error {
	rep, err := rt.Store.AuditVerify(ctx, nil)
	if err != nil {
		return err
	}
	if len(rep.Problems) > 0 {
		return pipeline.Errorf(pipeline.ECORRUPT, "The audit trail was tampered with (%d problems, the first at record %d): run hoso audit verify; no checkpoint was signed.", len(rep.Problems), rep.Problems[0].Seq)
	}
	who := cliActor()
	r := &pipeline.AuditRecord{UserName: who.Name, Remote: who.Remote, Action: pipeline.AuditCheckpointMade, Object: "audit", Detail: pipeline.AuditDetail(map[string]any{"seq": rep.HeadSeq})}
	if err := rt.Store.AuditAppend(ctx, r); err != nil {
		return err
	}
	cp := pipeline.SignAuditCheckpoint(rt.auditKey, r.Seq, r.Hash, r.At)
	b, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if out == "" {
		_, err = m.Stdout.Write(b)
	} else {
		err = os.WriteFile(out, b, 0o644)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "Checkpoint of record %d signed with key %s. Keep it away from this machine (another server, paper, mail to the inspector); hoso audit verify --checkpoint FILE checks the trail against it.\n", cp.Seq, cp.PublicKey)
	return nil
}
