package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// chrome starts Debian's Chromium headless for a test and returns a
// context to drive it. On failure the test's last page is saved as a
// screenshot.
func chrome(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed; make deps (or apt-get install chromium) installs it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.Headless,
		chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 1000))
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
			if png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
				file := filepath.Join(os.TempDir(), fmt.Sprintf("hoso-%s-%d.png", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().Unix()))
				if os.WriteFile(file, png, 0o644) == nil {
					t.Logf("screenshot of the last page: %s", file)
				}
			}
			scancel()
		}
		cancel()
		cancelAlloc()
	})
	return ctx
}

// step runs browser actions with a deadline and stops the test on error,
// saying which step failed.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// leftPage waits until the browser is on a page other than path (after
// a form's answer came), or until the step's deadline.
func leftPage(path string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		for {
			loc, err := chromedp.Location()(ctx, t)
			if err != nil {
				return chromedp.Void{}, err
			}
			if u, err := url.Parse(loc); err == nil && u.Path != path {
				_, err := chromedp.WaitReady(chromedp.CSS("main h1"))(ctx, t)
				return chromedp.Void{}, err
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("still on %s: %w", path, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// into runs an action that returns a value and keeps the value.
func into[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// signIn signs a user in through the form; with a one-time password it
// goes through the forced password change first.
func signIn(t *testing.T, ctx context.Context, base, name, password string) {
	t.Helper()
	var loc string
	step(t, ctx, "sign in as "+name,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
		leftPage("/login"),
		into(&loc, chromedp.Location()),
	)
	if strings.HasSuffix(loc, "/account/password") {
		step(t, ctx, "choose a password for "+name,
			chromedp.SendKeys(chromedp.CSS("#current"), password),
			chromedp.SendKeys(chromedp.CSS("#new"), "mật khẩu riêng của "+name),
			chromedp.SendKeys(chromedp.CSS("#again"), "mật khẩu riêng của "+name),
			chromedp.Click(chromedp.CSS("form.stack button[type=submit]")),
			leftPage("/account/password"),
			into(&loc, chromedp.Location()),
		)
		if strings.HasSuffix(loc, "/account/password") {
			t.Fatalf("%s: the password change did not go through", name)
		}
	}
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	step(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
}

func oneTimePassword(t *testing.T, b backend, name, role string, deps ...string) string {
	t.Helper()
	args := []string{"users", "add", "--name", name, "--role", role}
	for _, d := range deps {
		args = append(args, "--department", d)
	}
	out, errs, code := run(t, b, args...)
	if code != 0 {
		t.Fatalf("users add %s: %s", name, errs)
	}
	return strings.TrimSpace(out)
}

// TestBrowser drives the real server with Chromium: a clerk uploads a
// batch and watches it finish, an officer searches, opens a hit and
// downloads the original, a supervisor decides a flag, and an officer of
// another department is turned away.
func TestBrowser(t *testing.T) {
	b := backends(t)[0]
	clerk := oneTimePassword(t, b, "hoa", "clerk", "construction")
	officer := oneTimePassword(t, b, "an", "officer", "construction")
	supervisor := oneTimePassword(t, b, "son", "supervisor", "construction")
	outsider := oneTimePassword(t, b, "binh", "officer", "tax")
	base := serveTest(t, b)
	ctx := chrome(t)

	// The clerk uploads three files, one of them twice under two names.
	dir := t.TempDir()
	permit, err := os.ReadFile(filepath.Join("testdata", "fixtures", "permit-application.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(dir, "ban-sao-giay-phep.pdf")
	if err := os.WriteFile(copyPath, permit, 0o644); err != nil {
		t.Fatal(err)
	}
	abs := func(name string) string {
		p, _ := filepath.Abs(filepath.Join("testdata", "fixtures", name))
		return p
	}
	signIn(t, ctx, base, "hoa", clerk)
	var loc, status, table string
	step(t, ctx, "upload a batch",
		chromedp.Navigate(base+"/batches"),
		chromedp.WaitVisible(chromedp.CSS("#batch-name")),
		chromedp.SendKeys(chromedp.CSS("#batch-name"), "Phường 5 — giấy phép xây dựng"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{abs("permit-application.pdf"), abs("don-de-nghi-cap-phep.txt"), copyPath}),
	)
	step(t, ctx, "see the chosen files listed",
		chromedp.WaitVisible(chromedp.CSS("#progress li")),
	)
	step(t, ctx, "send the batch",
		chromedp.Click(chromedp.CSS("#upload button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#batch")),
		into(&loc, chromedp.Location()),
	)
	if !strings.Contains(loc, "/batches/") {
		t.Fatalf("after the upload the browser is at %s", loc)
	}
	step(t, ctx, "watch the batch finish",
		chromedp.WaitVisible(chromedp.CSS(`#batch[data-done="true"]`)),
		into(&status, chromedp.Text(chromedp.CSS("#batch-status"))),
		into(&table, chromedp.Text(chromedp.CSS("#batch table"))),
	)
	if strings.Count(table, "searchable") != 3 {
		t.Errorf("batch table after finishing:\n%s", table)
	}
	signOut(t, ctx)

	// The officer searches, opens the hit, downloads the original.
	signIn(t, ctx, base, "an", officer)
	var hits, heading, docURL string
	step(t, ctx, "search",
		chromedp.Navigate(base+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "giấy phép xây dựng"),
		chromedp.Submit(chromedp.CSS("#q")),
		chromedp.WaitVisible(chromedp.CSS("ol.hits li")),
		into(&hits, chromedp.Text(chromedp.CSS("ol.hits"))),
	)
	if !strings.Contains(hits, "don-de-nghi-cap-phep.txt") {
		t.Errorf("search hits:\n%s", hits)
	}
	step(t, ctx, "open a hit",
		chromedp.Click(chromedp.CSS(`ol.hits a[href^="/documents/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#why-h")),
		into(&heading, chromedp.Text(chromedp.CSS("main h1"))),
		into(&docURL, chromedp.Location()),
	)
	downloads := t.TempDir()
	step(t, ctx, "download the original",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
			return err
		}),
		chromedp.Click(chromedp.CSS(`a[download]`)),
	)
	deadline := time.Now().Add(30 * time.Second)
	var got []os.DirEntry
	for time.Now().Before(deadline) {
		got, _ = os.ReadDir(downloads)
		if len(got) == 1 && !strings.HasSuffix(got[0].Name(), ".crdownload") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 1 || got[0].Name() != heading {
		t.Errorf("downloads: %v, want %s", got, heading)
	}
	signOut(t, ctx)

	// The supervisor decides the duplicate flag.
	signIn(t, ctx, base, "son", supervisor)
	var flagStatus, flagURL, notice string
	step(t, ctx, "decide a flag",
		chromedp.Navigate(base+"/flags"),
		chromedp.WaitVisible(chromedp.CSS(`table a[href^="/flags/"]`)),
		chromedp.Click(chromedp.CSS(`table a[href^="/flags/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#decide-h")),
		into(&flagURL, chromedp.Location()),
		chromedp.Click(chromedp.CSS(`input[name="status"][value="dismissed"]`)),
		chromedp.SetValue(chromedp.CSS("#reason"), "same_applicant"),
		chromedp.SendKeys(chromedp.CSS("#note"), "Cùng một hồ sơ nộp hai lần; đã gọi điện cho người nộp."),
		chromedp.Click(chromedp.CSS(`form[action$="/decisions"] button[type=submit]`)),
		// The page moves on to the next open flag (or the list) with word of this one.
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)),
		into(&notice, chromedp.Text(chromedp.CSS(`p.notice[role="status"]`))),
	)
	step(t, ctx, "the decided flag",
		chromedp.Navigate(flagURL),
		chromedp.WaitVisible(chromedp.CSS("#hist-h")),
		into(&flagStatus, chromedp.Text(chromedp.CSS("main p.meta"))),
	)
	if notice == "" {
		t.Error("no word of the decision after it was made")
	}
	if !strings.Contains(flagStatus, "dismissed") {
		t.Errorf("flag after the decision: %s", flagStatus)
	}
	signOut(t, ctx)

	// An officer of the tax department may not open the construction file.
	signIn(t, ctx, base, "binh", outsider)
	var denied string
	step(t, ctx, "an officer of another department",
		chromedp.Navigate(docURL),
		chromedp.WaitVisible(chromedp.CSS("main p.error")),
		into(&denied, chromedp.Text(chromedp.CSS("main"))),
	)
	if !strings.Contains(denied, "does not exist or belongs to a department you do not work in") {
		t.Errorf("the other department's officer sees:\n%s", denied)
	}

	signOut(t, ctx)

	// An admin opens River's job UI: the single-page app loads under the
	// jobs page's content policy and lists the jobs.
	admin := oneTimePassword(t, b, "quantri", "admin")
	signIn(t, ctx, base, "quantri", admin)
	var jobs string
	var listed bool
	step(t, ctx, "River's job UI",
		chromedp.Navigate(base+"/admin/jobs/jobs?state=completed"),
		into(&listed, chromedp.Poll[bool](`document.body.innerText.includes("detect")`)),
		into(&jobs, chromedp.Text(chromedp.CSS("body"))),
	)
	if !strings.Contains(jobs, "extract") {
		t.Errorf("River's UI shows:\n%.500s", jobs)
	}

	// The interface speaks Vietnamese after the switch.
	var h1 string
	step(t, ctx, "switch to Vietnamese",
		chromedp.Navigate(base+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS("#lang")),
		// What choosing Vietnamese in the menu does (app.js submits on
		// change), in one go so no navigation comes between.
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("lang"); s.value = "vi"; s.form.submit(); })()`),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="vi"]`)),
		into(&h1, chromedp.Text(chromedp.CSS("main h1"))),
	)
	if h1 != "Người dùng, mã truy cập và phòng ban" {
		t.Errorf("heading after switching to Vietnamese: %q", h1)
	}
}
