package web_test

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"booty/internal/web"
)

// chromium finds the browser: skipped without it, but under CI=true its
// absence fails the test, as a missing PostgreSQL does.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; CI must run the browser test (.ci/run installs it)")
	}
	t.Skip("chromium is not installed: the browser test needs it (apt-get install chromium)")
	return ""
}

// TestPageInChromium loads the page in headless Chromium: the list shows
// its rows and the recent runs, a title carrying markup does not run, a
// problem's link opens its page with the timeline and its runs, and a
// run's link opens its page with the log, whose markup stays text.
func TestPageInChromium(t *testing.T) {
	t.Parallel()
	path := chromium(t)
	s := seed(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("booty:"+testToken))
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": auth}}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("chromium: %s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("chromium: %s: %v", expr, err)
		}
		return v
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("chromium: text of %s: %v", sel, err)
		}
		return v
	}

	do("open the list", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#problems")))
	rowCount := eval(`String(document.querySelectorAll("#problems tbody tr").length)`)
	pwned := eval(`typeof window.__pwned`)
	status := eval(`document.querySelector("header").innerText`)
	firstTitle := text(`#problems tbody tr:first-child a.problem`)
	table := text("#problems")
	issueLink := eval(`document.querySelector('a[href="https://github.com/acme/shop/issues/5"]') ? "linked" : "missing"`)
	recent := text("#runs")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	// Kept with go test -artifacts, for a person to look at.
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "status-page.jpg"), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	do("open a problem", chromedp.Click(chromedp.CSS(`a.problem[href="/problems/sentry:1"]`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline")))
	location := eval(`document.location.pathname`)
	heading := text("#title")
	timelineRows := eval(`String(document.querySelectorAll("#timeline tbody tr").length)`)
	do("open the problem titled with markup", chromedp.Navigate(s.url+"/problems/sentry:2"),
		chromedp.WaitVisible(chromedp.CSS("#title")))
	imgPageHeading := text("#title")
	imgPagePwned := eval(`typeof window.__pwned`)
	do("open the problem with runs", chromedp.Navigate(s.url+"/problems/sentry:1"), chromedp.WaitVisible(chromedp.CSS("#runs")))
	problemRuns := text("#runs")
	problemRunRows := eval(`String(document.querySelectorAll("#runs tbody tr").length)`)
	buildPath := web.RunPath(s.build)
	do("open the build run", chromedp.Click(chromedp.CSS(`a.run[href="`+buildPath+`"]`)), chromedp.WaitVisible(chromedp.CSS("#log")))
	runLocation := eval(`document.location.pathname`)
	runHeading := text("#title")
	runFacts := text("#facts")
	runLogText := eval(`document.querySelector("#log").textContent`)
	runPwned := eval(`typeof window.__pwned`)
	runShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "run-page.jpg"), runShot, 0o644); err != nil {
		t.Fatal(err)
	}
	do("open the verify run", chromedp.Navigate(s.url+web.RunPath(s.verify)), chromedp.WaitVisible(chromedp.CSS("#facts")))
	verifyHeading := text("#title")
	verifyFacts := text("#facts")

	for _, state := range []string{"open", "closed", "pending", "folded"} {
		if !strings.Contains(table, state) {
			t.Errorf("the table shows no %s problem:\n%s", state, table)
		}
	}
	if issueLink != "linked" || len(shot) == 0 {
		t.Errorf("the open problem's issue link is %s; screenshot %d bytes", issueLink, len(shot))
	}
	if rowCount != "50" {
		t.Errorf("the first page shows %s rows, want 50", rowCount)
	}
	if pwned != "undefined" || imgPagePwned != "undefined" {
		t.Errorf("markup in a title ran: window.__pwned is %s on the list, %s on the problem", pwned, imgPagePwned)
	}
	for _, want := range []string{"v1.2.3", "sqlite", "web"} {
		if !strings.Contains(status, want) {
			t.Errorf("the header %q lacks %q", status, want)
		}
	}
	if firstTitle != scriptTitle {
		t.Errorf("the newest problem reads %q, want the title as text %q", firstTitle, scriptTitle)
	}
	if location != "/problems/sentry:1" || heading != scriptTitle {
		t.Errorf("the click opened %s titled %q", location, heading)
	}
	if timelineRows != "2" {
		t.Errorf("the timeline has %s rows, want 2", timelineRows)
	}
	if imgPageHeading != imgTitle {
		t.Errorf("the problem titled with markup reads %q, want %q", imgPageHeading, imgTitle)
	}
	for _, want := range []string{"build", "pull_opened", "2m30s", "verify", "running", "acme/shop#9", "opened pull request #9 <b>bold</b>"} {
		if !strings.Contains(recent, want) || !strings.Contains(problemRuns, want) {
			t.Errorf("no %q in the recent runs:\n%s\nor in the problem's runs:\n%s", want, recent, problemRuns)
		}
	}
	if problemRunRows != "2" {
		t.Errorf("the problem lists %s runs, want 2", problemRunRows)
	}
	if runLocation != buildPath || runHeading != "build of acme/shop#5, attempt 1: pull_opened" {
		t.Errorf("the run's link opened %s titled %q", runLocation, runHeading)
	}
	for _, want := range []string{"pull_opened", "opened pull request #9 <b>bold</b>", "acme/shop#9", headSHA, "after 2m30s"} {
		if !strings.Contains(runFacts, want) {
			t.Errorf("the build run's facts lack %q:\n%s", want, runFacts)
		}
	}
	if runLogText != runLog || runPwned != "undefined" || len(runShot) == 0 {
		t.Errorf("the run's log reads %q (window.__pwned %s), want the output as text %q", runLogText, runPwned, runLog)
	}
	if verifyHeading != "verify of acme/shop#5, attempt 2: running" || !strings.Contains(verifyFacts, "running for 1h47m0s") {
		t.Errorf("the running verify reads %q:\n%s", verifyHeading, verifyFacts)
	}
}
