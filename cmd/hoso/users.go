package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"hoso/pipeline"
	"hoso/web/auth"
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

// cliAudit records a change made on the command line: the operating
// system's user name stands for who.
func cliAudit(ctx context.Context, st pipeline.Store, action, object string, detail any) error {
	who := "cli"
	if u, err := user.Current(); err == nil {
		who = "cli:" + u.Username
	}
	return st.AuditAppend(ctx, &pipeline.AuditRecord{UserName: who, Remote: "local", Action: action, Object: object, Detail: pipeline.AuditDetail(detail)})
}

func (m *Main) users(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"users needs a subcommand: add, token, list, password, disable, enable"}
	}
	sub, args := args[0], args[1:]
	f := m.newFlags("users " + sub)
	name := f.fs.String("name", "", "user name")
	var role string
	var deps multiFlag
	label := f.fs.String("label", "", "what the token is for (users token)")
	switch sub {
	case "add":
		f.fs.StringVar(&role, "role", "", "clerk, officer, supervisor or admin")
		f.fs.Var(&deps, "department", "department code; repeat or separate with commas")
	case "token", "password", "disable", "enable", "list":
	default:
		return usageError{fmt.Sprintf("unknown users subcommand %q (add, token, list, password, disable, enable)", sub)}
	}
	rt, _, err := f.open(ctx, args)
	if err != nil {
		return err
	}
	defer rt.Close()
	st := rt.Store
	if sub == "list" {
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
	if *name == "" {
		return usageError{"name the user with --name"}
	}
	switch sub {
	case "add":
		password := auth.NewPassword()
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		u, err := st.UserCreate(ctx, &pipeline.User{Name: *name, Role: role, Departments: deps, PasswordHash: hash, MustChangePassword: true})
		if err != nil {
			return err
		}
		if err := cliAudit(ctx, st, pipeline.AuditUserChange, "user:"+u.Name, map[string]any{"change": "created", "role": u.Role, "departments": u.Departments}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "Created %s (%s, %s). One-time password, shown only now; they choose their own at first sign-in:\n", u.Name, u.Role, strings.Join(u.Departments, ", "))
		fmt.Fprintln(m.Stdout, password)
	case "token":
		u, err := st.UserGetByName(ctx, *name)
		if err != nil {
			return err
		}
		secret := auth.NewSecret("hoso_")
		t, err := st.TokenCreate(ctx, u.ID, *label, auth.HashSecret(secret))
		if err != nil {
			return err
		}
		if err := cliAudit(ctx, st, pipeline.AuditTokenChange, "user:"+u.Name, map[string]any{"change": "created", "token": t.ID, "name": t.Name}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "API token %d for %s (%s), shown only now; send it as Authorization: Bearer TOKEN:\n", t.ID, u.Name, u.Role)
		fmt.Fprintln(m.Stdout, secret)
	case "password", "disable", "enable":
		u, err := st.UserGetByName(ctx, *name)
		if err != nil {
			return err
		}
		password := ""
		switch sub {
		case "password":
			password = auth.NewPassword()
			if u.PasswordHash, err = auth.HashPassword(password); err != nil {
				return err
			}
			u.MustChangePassword = true
			u.LockedUntil, u.FailedLogins = time.Time{}, 0
		case "disable":
			u.Disabled = true
		case "enable":
			u.Disabled = false
		}
		if err := st.UserUpdate(ctx, u); err != nil {
			return err
		}
		if err := cliAudit(ctx, st, pipeline.AuditUserChange, "user:"+u.Name, map[string]string{"change": sub}); err != nil {
			return err
		}
		if password != "" {
			fmt.Fprintf(m.Stderr, "New one-time password for %s, shown only now:\n", u.Name)
			fmt.Fprintln(m.Stdout, password)
		} else {
			fmt.Fprintf(m.Stdout, "%s is %sd\n", u.Name, sub)
		}
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
	if len(args) == 0 || (args[0] != "verify" && args[0] != "export") {
		return usageError{"audit needs a subcommand: verify, or export [--user U] [--action A] [--since DATE] [--until DATE]"}
	}
	sub := args[0]
	f := m.newFlags("audit " + sub)
	var p pipeline.AuditListParams
	var since, until string
	if sub == "export" {
		f.fs.StringVar(&p.UserName, "user", "", "only this user's records")
		f.fs.StringVar(&p.Action, "action", "", "only this action")
		f.fs.StringVar(&p.Object, "object", "", "only this object, e.g. document:12")
		f.fs.StringVar(&since, "since", "", "from this date (yyyy-mm-dd)")
		f.fs.StringVar(&until, "until", "", "up to and including this date")
	}
	rt, _, err := f.open(ctx, args[1:])
	if err != nil {
		return err
	}
	defer rt.Close()
	if sub == "verify" {
		n, problems, err := rt.Store.AuditVerify(ctx)
		if err != nil {
			return err
		}
		if len(problems) == 0 {
			fmt.Fprintf(m.Stdout, "The audit trail is intact: %d records, each chained to the one before.\n", n)
			return nil
		}
		for _, pr := range problems {
			fmt.Fprintf(m.Stdout, "record %d: %s\n", pr.Seq, pr.Message)
		}
		return pipeline.Errorf(pipeline.ECORRUPT, "The audit trail was tampered with: %d problems in %d records (the first at record %d).", len(problems), n, problems[0].Seq)
	}
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
		list, err := rt.Store.AuditList(ctx, p)
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
